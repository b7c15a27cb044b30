/**
 * Organization runs on the simulator: several state files (or directories of them), one per account and region.
 * A state's account is the OwnerId of its first security group and its region the one named by its first
 * SecurityGroupArn (else its first interface's AvailabilityZone), as for a single `--state` (docs/simulator-fidelity.md).
 */
import { readdir, stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { Ec2Simulator } from '../handlers/adapters/local/ec2-simulator.ts';
import { ServiceQuotasSimulator } from '../handlers/adapters/local/service-quotas-simulator.ts';
import { ServiceSimulator } from '../handlers/adapters/local/service-simulator.ts';
import { InvalidInputError } from '../handlers/core/errors.ts';
import type { OrgReach, Place, PlaceAccess } from './org.ts';

export interface StateFile {
  path: string;
  simulator: Ec2Simulator;
}

export interface Scope {
  /** Only these accounts; default every account the run can see. */
  accounts?: string[];
  /** Only these regions; default every region the run can see. */
  regions?: string[];
}

async function expand(path: string): Promise<string[]> {
  let isDirectory: boolean;
  try {
    isDirectory = (await stat(path)).isDirectory();
  } catch (error) {
    throw new InvalidInputError([`Cannot read the state ${path}: ${(error as NodeJS.ErrnoException).code ?? error}`]);
  }
  if (!isDirectory) return [path];
  const names = (await readdir(path)).filter((name) => name.endsWith('.json')).sort();
  if (names.length === 0) throw new InvalidInputError([`The directory ${path} has no .json state files.`]);
  return names.map((name) => join(path, name));
}

/** Loads every state file; two files for the same account and region, or with the same file name, are refused. */
export async function loadStateFiles(paths: string[]): Promise<StateFile[]> {
  const files: StateFile[] = [];
  const reasons: string[] = [];
  for (const path of (await Promise.all(paths.map(expand))).flat()) {
    try {
      files.push({ path, simulator: await Ec2Simulator.fromFile(path) });
    } catch (error) {
      const problems = error instanceof InvalidInputError ? error.reasons : [(error as Error).message];
      reasons.push(...problems.map((problem) => (problem.startsWith(path) ? problem : `${path}: ${problem}`)));
    }
  }
  const seen = new Map<string, string>();
  const names = new Map<string, string>();
  for (const { path, simulator } of files) {
    const key = `${simulator.accountId}/${simulator.region}`;
    const other = seen.get(key);
    if (other)
      reasons.push(`${path} and ${other} both simulate account ${simulator.accountId} in ${simulator.region}.`);
    seen.set(key, path);
    // --out DIR writes each state under its file name.
    const sameName = names.get(basename(path));
    if (sameName && sameName !== path) reasons.push(`${path} and ${sameName} have the same file name.`);
    names.set(basename(path), path);
  }
  if (reasons.length > 0) throw new InvalidInputError(reasons);
  return files;
}

/**
 * The state files as an organization: accounts × regions in scope, from the flags or else every account and region
 * of the files. A pair with no state file is unreachable, as an account the role cannot be assumed in would be.
 */
export function simulatedReach(files: StateFile[], scope: Scope): OrgReach {
  const byPlace = new Map(files.map((file) => [`${file.simulator.accountId}/${file.simulator.region}`, file]));
  const accounts = scope.accounts ?? [...new Set(files.map((file) => file.simulator.accountId))].sort();
  const regions = scope.regions ?? [...new Set(files.map((file) => file.simulator.region))].sort();
  const find = (place: Place) => byPlace.get(`${place.accountId}/${place.region}`);
  const serviceSimulators = new Map<string, ServiceSimulator>();
  const simulatorOf = (place: Place): Ec2Simulator => {
    const file = find(place);
    if (!file) throw new InvalidInputError([`No state file simulates account ${place.accountId} in ${place.region}.`]);
    return file.simulator;
  };
  return {
    async places() {
      return accounts.flatMap((accountId) =>
        regions.map((region): PlaceAccess => {
          const place = { accountId, region };
          return find(place)
            ? place
            : { ...place, unreachable: `No state file simulates account ${accountId} in ${region}.` };
        }),
      );
    },
    ec2: simulatorOf,
    services(place) {
      const key = `${place.accountId}/${place.region}`;
      let services = serviceSimulators.get(key);
      if (!services) {
        // The services' records live in the same state file, over the same interfaces.
        services = new ServiceSimulator(simulatorOf(place));
        serviceSimulators.set(key, services);
      }
      return services;
    },
    // The state file's `Quotas`, as Discover reads them locally.
    serviceQuotas: (place) => new ServiceQuotasSimulator(simulatorOf(place)),
    // The simulator has no rate limits of its own to stay under.
    pace: () => async () => {},
  };
}
