/**
 * The benchmark's mixed-owner VPC: EC2 instances plus resources of every owner service the registry has
 * (test/support/generate-vpc.ts `generateMixedVpc`, one builder per service), remediated end to end like the plain
 * sizes (run.ts), each service paced under its own bucket (handlers/core/owners/). It reports the calls each service's
 * adapter was asked for — the ServicesPort calls: one API call each in most AWS adapters; a wait that polls (an ECS
 * deployment: DescribeServices until steady state) counts once; a launch source's change counts once though it is
 * several (CreateLaunchTemplateVersion and ModifyLaunchTemplate; CreateLaunchConfiguration and
 * UpdateAutoScalingGroup) — against each service's lower bound, and the run's virtual time against the pacing floor.
 *
 * A service's lower bound: for each resource moved, its `callsPerMove` (the read before, the change, the first check
 * that it applied; for a launch template only its CreateLaunchTemplateVersion draw, so that bound is loose), and the
 * reads I2 needs, before the plan (Discover) and after approval (Re-check): one list call each for a service whose
 * resources are listed in the VPC (`listedInVpc`: Lambda, the launch sources, ECS, CodeBuild, Batch), one describe
 * per resource each for the others. Verify's and the rollback's reads are overhead the benchmark measures against it. */

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Ec2Simulator } from '../../handlers/adapters/local/ec2-simulator.ts';
import { VirtualClock } from '../../handlers/adapters/local/virtual-clock.ts';
import { DEFAULT_ADAPTIVE_OPTIONS } from '../../handlers/core/adaptive-rate.ts';
import {
  LISTED_SERVICES,
  moveActionOf,
  moveBucketOf,
  OWNER_MODULES,
  type OwnerService,
  ownerModule,
  serviceOf,
} from '../../handlers/core/owners/index.ts';
import type { ResourceRef } from '../../handlers/core/resources.ts';
import { openSnapshot, snapshotKey } from '../../handlers/core/snapshot.ts';
import type { ServicesPort } from '../../handlers/ports.ts';
import type { Settings } from '../../handlers/steps/deps.ts';
import { defaultGroupOf, generateMixedVpc, mulberry32 } from '../../test/support/generate-vpc.ts';
import { createLocalDeps } from '../deps.ts';
import { runMachine } from '../runner.ts';
import { instancesWithoutStackTag, lowerBound } from './lower-bound.ts';

export interface ServiceReport {
  /** Resources of the service the plan moved. */
  resources: number;
  /** ServicesPort calls for the service during the remediation. */
  calls: number;
  lowerBound: number;
  /** Seconds its moves need at least at the paced share of its bucket. */
  floorSeconds: number;
}

export interface MixedReport {
  instances: number;
  perService: number;
  outcome: string;
  ec2Calls: number;
  ec2LowerBound: number;
  services: Record<OwnerService, ServiceReport>;
  simulatedSeconds: number;
  /** The busiest bucket, EC2's or a service's, at its paced rate. */
  floorSeconds: number;
}

/** Counts the ServicesPort calls by service. */
function counting(port: ServicesPort, counts: Map<OwnerService, number>): ServicesPort {
  /** Counts a call for `service`, then answers what `call` answers. */
  const counted = <T>(service: OwnerService, call: () => Promise<T>): Promise<T> => {
    counts.set(service, (counts.get(service) ?? 0) + 1);
    return call();
  };
  const of = (ref: ResourceRef) => serviceOf(ref.kind);
  return {
    findUsing: (service, vpcId, groupId) => counted(service, () => port.findUsing(service, vpcId, groupId)),
    resolveMember: (service, member) => counted(service, () => port.resolveMember(service, member)),
    describe: (ref) => counted(of(ref), () => port.describe(ref)),
    setGroups: (ref, groups, change) => counted(of(ref), () => port.setGroups(ref, groups, change)),
    restores: (ref) => port.restores(ref),
    restore: (ref, before, change) => counted(of(ref), () => port.restore(ref, before, change)),
    waitUntilSettled: (ref) => counted(of(ref), () => port.waitUntilSettled(ref)),
  };
}

const round = (value: number, digits: number) => Number(value.toFixed(digits));

export async function benchMixed(
  instances: number,
  perService: number,
  settings: Partial<Settings> = {},
): Promise<MixedReport> {
  const state = generateMixedVpc({ instances, perService });
  const clock = new VirtualClock();
  const simulator = Ec2Simulator.fromState(state, { throttling: { clock }, seed: 1 });
  const storeDir = mkdtempSync(join(tmpdir(), 'dsr-bench-mixed-'));
  try {
    const deps = createLocalDeps({ simulator, storeDir, clock, notifier: { publish: async () => {} }, settings });
    const counts = new Map<OwnerService, number>();
    const services = deps.services.bind(deps);
    deps.services = (target) => counting(services(target), counts);
    const started = clock.now();
    const result = await runMachine(
      'remediate',
      { accountId: simulator.accountId, region: simulator.region, groupId: defaultGroupOf(state) },
      { deps, clock, random: mulberry32(instances + 11), approver: async () => 'approved' },
    );
    const simulatedSeconds = (clock.now() - started) / 1000;
    const text = await deps.store.get(snapshotKey(result.executionName));
    if (text === undefined) throw new Error('mixed-owner VPC: no snapshot was saved');
    const { plan, inventory } = openSnapshot(text, { remediationId: result.executionName });
    // The full-rate floor: the adaptive pacer may take all of each bucket's refill when the account leaves it free.
    const share = 1;
    const ec2Bound = lowerBound(
      plan,
      {
        referencingGroups: inventory.referencingGroups.length,
        instancesWithoutStackTag: instancesWithoutStackTag(inventory.members),
      },
      share,
    );
    const report = {} as Record<OwnerService, ServiceReport>;
    let floor = ec2Bound.floorSeconds;
    for (const module of OWNER_MODULES) {
      const moves = (plan.resourceMoves ?? []).filter((move) => serviceOf(move.resource.kind) === module.service);
      const perMove = moves.map((move) => ownerModule(module.service).resources[move.resource.kind]?.callsPerMove ?? 1);
      const reads = LISTED_SERVICES.includes(module.service) ? 2 : 2 * moves.length;
      const first = moves[0];
      const bucket = first ? moveBucketOf(moveActionOf(first.resource.kind)) : undefined;
      // Half the bucket's burst at once (core/adaptive-rate.ts), the rest at the refill.
      const burst = bucket ? Math.max(1, Math.floor(bucket.capacity * DEFAULT_ADAPTIVE_OPTIONS.burstShare)) : 0;
      const floorSeconds = bucket ? Math.max(0, moves.length - burst) / (bucket.refillPerSecond * share) : 0;
      floor = Math.max(floor, floorSeconds);
      report[module.service] = {
        resources: moves.length,
        calls: counts.get(module.service) ?? 0,
        lowerBound: perMove.reduce((sum, calls) => sum + calls, 0) + reads,
        floorSeconds: round(floorSeconds, 1),
      };
    }
    return {
      instances,
      perService,
      outcome: String(result.output?.outcome ?? result.error ?? result.status),
      ec2Calls: simulator.totalCalls(),
      ec2LowerBound: ec2Bound.total,
      services: report,
      simulatedSeconds: round(simulatedSeconds, 1),
      floorSeconds: round(floor, 1),
    };
  } finally {
    rmSync(storeDir, { recursive: true, force: true });
  }
}
