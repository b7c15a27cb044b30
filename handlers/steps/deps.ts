/** What every step needs from the outside world, injected: AWS adapters in Lambda, local ones in the CLI and tests. */
import type { FlowLogFinder } from '../adapters/flow-logs/sources.ts';
import type {
  Clock,
  Ec2Port,
  Ec2Target,
  FindingsUpdater,
  Ledger,
  Logger,
  Notifier,
  ObjectStore,
  OrganizationPort,
  ServiceQuotasPort,
  ServicesPort,
  StacksPort,
} from '../ports.ts';
import { DEFAULT_PACING_SHARE, type Pace } from './pacing.ts';

export interface Settings {
  /** Interfaces moved per Map iteration. */
  batchSize: number;
  /** How long an approval may wait. */
  approvalTimeoutSeconds: number;
  /**
   * How long a run may take apart from the approval wait (docs/decisions.md, "Time budgets"). A lock lives for the
   * approval wait plus this ({@link lockLifetimeSeconds}), so it outlives every run; Discover blocks a plan whose
   * paced work would not fit (core/durations.ts).
   */
  runAllowanceSeconds: number;
  /** Base URL of the approval and rollback pages (deployed HTTP API); absent locally. */
  linkBaseUrl?: string;
  /** `always`, or `when-in-use`: a group nothing uses or references is stripped without waiting for approval. */
  approvalMode: 'always' | 'when-in-use';
  /** A tag key that, on the default group or its VPC, opts it out. */
  excludeTag?: string;
  /** How long a rollback link in the completion notice works. */
  linkExpiryDays: number;
  /**
   * The batch window of approval digests, in seconds (docs/decisions.md, "One decision per batch"): approval requests
   * and outcome reports of the same window go out as one notice. 0: every run sends its own, at once.
   */
  digestWindowSeconds: number;
  /** Share (0–1] of each EC2 token bucket's refill rate that the workflow's mutating calls may use (pacing.ts). */
  pacingShare: number;
}

/** Two days: at the default pacing, about 200,000 interface moves there and back. */
export const DEFAULT_RUN_ALLOWANCE_SECONDS = 2 * 86400;

/**
 * How long a lock lives without being released: the approval wait plus the run, so no run outlives its own lock; a
 * crashed run's lock still expires (a failed rollback's does not: ports.ts `LockHolder.failedRollback`).
 */
export function lockLifetimeSeconds(
  settings: Pick<Settings, 'approvalTimeoutSeconds' | 'runAllowanceSeconds'>,
): number {
  return settings.approvalTimeoutSeconds + settings.runAllowanceSeconds;
}

export const DEFAULT_SETTINGS: Settings = {
  batchSize: 500,
  approvalTimeoutSeconds: 72 * 3600,
  runAllowanceSeconds: DEFAULT_RUN_ALLOWANCE_SECONDS,
  pacingShare: DEFAULT_PACING_SHARE,
  approvalMode: 'always',
  linkExpiryDays: 30,
  // Off for the command line's single runs; the deployment turns it on (infra/config.ts approvalDigestWindow).
  digestWindowSeconds: 0,
  excludeTag: 'default-sg-remediation:exclude',
};

export interface Deps {
  ec2(target: Ec2Target): Ec2Port;
  /** The services that move requester-managed interfaces' owners, in the same account and region as `ec2`. */
  services(target: Ec2Target): ServicesPort;
  /** Service Quotas in the same account and region as `ec2`: the quotas the plan counts against. */
  serviceQuotas(target: Ec2Target): ServiceQuotasPort;
  /** CloudFormation in the same account and region: the re-check reads the stacks the plan names (core/stacks.ts). */
  stacks(target: Ec2Target): StacksPort;
  /** Where the tighten workflow reads a VPC's flow logs (handlers/adapters/flow-logs/sources.ts). */
  flowLogs(target: Ec2Target): FlowLogFinder;
  /** The organization's accounts, for an audit of all of them (the deployment's own account). */
  organization(): OrganizationPort;
  store: ObjectStore;
  ledger: Ledger;
  notifier: Notifier;
  findings: FindingsUpdater;
  log: Logger;
  settings: Settings;
  now(): Date;
  /** The clock the steps wait on (the organization audit's per-place pacers): the real one in Lambda, virtual in the benchmark. */
  clock: Clock;
  /** A random opaque id with at least 128 bits of entropy (approval ids, lock tokens). */
  randomId(): string;
  /**
   * Called before each mutating call with the call's action name (EC2's, or an owner service's move action as IAM
   * names it), to stay under that action's token bucket; told of the calls refused for their rate when it adapts
   * (pacing.ts).
   */
  pace: Pace;
}
