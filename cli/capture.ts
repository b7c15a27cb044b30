/**
 * `capture --group SG | --vpc VPC [--region R] [--out FILE] [--json]`: a state file of one VPC of a real account
 * (handlers/adapters/aws/capture.ts), checked by the simulator's own loader before a byte is written, and written to a
 * temporary file renamed into place, so `--out` is either the whole capture or untouched.
 */
import { constants as fsConstants } from 'node:fs';
import { access, rename, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { EC2Client } from '@aws-sdk/client-ec2';
import { ServiceQuotasClient } from '@aws-sdk/client-service-quotas';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { type Captured, captureVpc } from '../handlers/adapters/aws/capture.ts';
import { SG_ID, VPC_ID } from '../handlers/adapters/local/ec2-simulator/ids.ts';
import { Ec2Simulator } from '../handlers/adapters/local/ec2-simulator.ts';
import { ServiceSimulator } from '../handlers/adapters/local/service-simulator.ts';
import { StacksSimulator } from '../handlers/adapters/local/stacks-simulator.ts';
import { InvalidInputError } from '../handlers/core/errors.ts';
import { plainText } from '../handlers/core/untrusted.ts';
import { PROGRAM } from './help.ts';
import type { CliResult, Io } from './main.ts';

export interface CaptureFlags {
  group?: string | undefined;
  vpc?: string | undefined;
  region?: string | undefined;
  out?: string | undefined;
  json?: boolean | undefined;
  /** Every other flag given: capture takes none of them. */
  others: string[];
}

const REGION = /^[a-z]{2}(-[a-z]+)+-\d+$/;

/** The flags checked before any call: exit 2 naming the field, nothing read or written. */
async function checkFlags(flags: CaptureFlags): Promise<{ region: string; out?: string }> {
  const problems: string[] = [];
  if (flags.others.length > 0)
    problems.push(`capture reads a real account; it takes no ${flags.others.map((name) => `--${name}`).join(', ')}.`);
  if (Boolean(flags.group) === Boolean(flags.vpc))
    problems.push('capture needs exactly one of --group SG or --vpc VPC.');
  if (flags.group && !SG_ID.test(flags.group))
    problems.push(`--group must look like sg-0123456789abcdef0, not "${plainText(flags.group.slice(0, 40))}".`);
  if (flags.vpc && !VPC_ID.test(flags.vpc))
    problems.push(`--vpc must look like vpc-0123456789abcdef0, not "${plainText(flags.vpc.slice(0, 40))}".`);
  const region = flags.region ?? process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION ?? '';
  if (!region) problems.push('--region: no region; pass --region or set AWS_REGION.');
  else if (!REGION.test(region))
    problems.push(`--region must look like us-east-1, not "${plainText(region.slice(0, 40))}".`);
  let out: string | undefined;
  if (flags.out !== undefined) {
    out = resolve(flags.out);
    try {
      await access(dirname(out), fsConstants.W_OK);
    } catch (error) {
      problems.push(`--out ${flags.out}: cannot write in ${dirname(out)} (${(error as NodeJS.ErrnoException).code}).`);
    }
  }
  if (problems.length > 0) throw new InvalidInputError(problems);
  return { region, ...(out ? { out } : {}) };
}

/** The captured state as `--state` will read it: a file the loader or an owner model refuses is not written. */
function checkLoads(captured: Captured): void {
  try {
    const simulator = Ec2Simulator.fromState(captured.state);
    new ServiceSimulator(simulator);
    new StacksSimulator(simulator);
  } catch (error) {
    const reasons = error instanceof InvalidInputError ? error.reasons : [(error as Error).message];
    throw Object.assign(
      new Error(`The captured state would not load, so it was not written: ${reasons.slice(0, 20).join('; ')}`),
      { name: 'CaptureRefused' },
    );
  }
}

/** Writes `text` next to `path` and renames it into place: a reader sees the old file or the whole new one. */
async function writeWhole(path: string, text: string): Promise<void> {
  const temporary = join(dirname(path), `.${basename(path)}.${process.pid}.tmp`);
  try {
    await writeFile(temporary, text, { mode: 0o600 });
    await rename(temporary, path);
  } catch (error) {
    await rm(temporary, { force: true });
    throw error;
  }
}

function counts(state: Record<string, unknown>): Record<string, number> {
  return Object.fromEntries(
    Object.entries(state).flatMap(([key, value]) => (Array.isArray(value) ? [[key, value.length]] : [])),
  );
}

export async function runCapture(flags: CaptureFlags, io: Io): Promise<CliResult & { state?: unknown }> {
  const { region, out } = await checkFlags(flags);
  const identity = await new STSClient({ region }).send(new GetCallerIdentityCommand({}));
  const accountId = identity.Account ?? '';
  // Reads only, but many of them: the SDK's adaptive retry mode slows down when a service throttles
  // (https://docs.aws.amazon.com/sdkref/latest/guide/feature-retry-behavior.html).
  const config = { region, retryMode: 'adaptive', maxAttempts: 10 } as const;
  const captured = await captureVpc(
    {
      ec2: new EC2Client(config),
      serviceQuotas: new ServiceQuotasClient(config),
      cloudformation: new CloudFormationClient(config),
      owners: config,
    },
    { accountId, region, ...(flags.group ? { groupId: flags.group } : { vpcId: flags.vpc ?? '' }) },
  );
  checkLoads(captured);
  const text = `${JSON.stringify(captured.state, null, 1)}\n`;
  const result: CliResult = {
    outcome: 'captured',
    groupId: captured.defaultGroupId,
    vpcId: captured.vpcId,
    accountId,
    region,
    counts: counts(captured.state),
  };
  if (!out) {
    // The state itself is the answer on stdout (`> vpc.json`); what was read goes to stderr.
    io.stdout(text);
    if (!flags.json) io.stderr(`${summary(result)}\n`);
    return { ...result, state: captured.state };
  }
  await writeWhole(out, text);
  return { ...result, out };
}

/** What `capture` says when it has written the file (or on stderr when the state went to stdout). */
export function summary(result: CliResult): string {
  const found = Object.entries((result.counts ?? {}) as Record<string, number>)
    .map(([key, count]) => `${key} ${count}`)
    .join(', ');
  const where = typeof result.out === 'string' ? ` into ${result.out}` : '';
  return [
    `Captured ${result.vpcId} (default group ${result.groupId}) of account ${result.accountId} in ${result.region}${where}: ${found}.`,
    `Plan it with: ${PROGRAM} plan --state ${typeof result.out === 'string' ? result.out : 'FILE'} --group ${result.groupId}`,
  ].join('\n');
}
