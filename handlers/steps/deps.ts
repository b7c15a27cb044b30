/** What every step needs from the outside world, injected: AWS adapters in Lambda, local ones in the CLI and tests. */
import type { Quotas } from '../core/plan.ts';
import type {
  Ec2Port,
  Ec2Target,
  FindingsUpdater,
  Ledger,
  Logger,
  Notifier,
  ObjectStore,
  ServicesPort,
} from '../ports.ts';

export interface Settings {
  quotas: Quotas;
  /** Interfaces moved per Map iteration. */
  batchSize: number;
  /** How long an approval may wait. */
  approvalTimeoutSeconds: number;
  /** How long a lock lives without being released (a crashed run must not block the group forever). */
  lockTtlSeconds: number;
  /** Base URL of the approval and rollback pages (deployed HTTP API); absent locally. */
  linkBaseUrl?: string;
  /** `always`, or `when-in-use`: a group nothing uses or references is stripped without waiting for approval. */
  approvalMode: 'always' | 'when-in-use';
  /** A tag key that, on the default group or its VPC, opts it out. */
  excludeTag?: string;
  /** How long a rollback link in the completion notice works. */
  linkExpiryDays: number;
  /** Largest number of interfaces for which Verify rebuilds the full traffic model (it is quadratic). */
  trafficModelLimit: number;
}

export const DEFAULT_SETTINGS: Settings = {
  quotas: { rulesPerDirection: 60 },
  batchSize: 50,
  approvalTimeoutSeconds: 72 * 3600,
  lockTtlSeconds: 7 * 24 * 3600,
  trafficModelLimit: 500,
  approvalMode: 'always',
  linkExpiryDays: 30,
  excludeTag: 'default-sg-remediation:exclude',
};

export interface Deps {
  ec2(target: Ec2Target): Ec2Port;
  /** The services that move requester-managed interfaces' owners, in the same account and region as `ec2`. */
  services(target: Ec2Target): ServicesPort;
  store: ObjectStore;
  ledger: Ledger;
  notifier: Notifier;
  findings: FindingsUpdater;
  log: Logger;
  settings: Settings;
  now(): Date;
  /** A random opaque id with at least 128 bits of entropy (approval ids, lock tokens). */
  randomId(): string;
  /** Called before each mutating EC2 call, to stay under the account's EC2 rate limits. */
  pace(): Promise<void>;
}
