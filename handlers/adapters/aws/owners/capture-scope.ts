/**
 * What `capture` (cli/capture.ts) asks each owner service for: the records of one VPC, in the shapes the service's
 * describe calls answer and under the state file's keys the local model reads (handlers/adapters/local/owners/).
 * One capture per registered service (`SDK_CAPTURES` in ./index.ts): a service left without one is a compile error.
 */
import type { SdkOwnerConfig } from './config.ts';

export interface CaptureScope {
  vpcId: string;
  /** The VPC's security groups: a record naming one of them runs in the VPC (a group belongs to one VPC). */
  groupIds: ReadonlySet<string>;
  /** The VPC's network interfaces (an ECS task names its interface, not its VPC). */
  interfaceIds: ReadonlySet<string>;
}

/** State-file keys (`Functions`, `DBInstances`, …) and their records, as the describe calls answered them. */
export type CapturedRecords = Record<string, Record<string, unknown>[]>;

export type OwnerCapture = (config: SdkOwnerConfig, scope: CaptureScope) => Promise<CapturedRecords>;

/** Whether a record's groups include one of the VPC's. */
export function namesGroupOf(scope: CaptureScope, groups: readonly (string | undefined)[] | undefined): boolean {
  return (groups ?? []).some((id) => id !== undefined && scope.groupIds.has(id));
}

/** `items` in slices of `size` (the batch describes: 10 ECS services, 100 tasks or CodeBuild projects a call). */
export function slices<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let at = 0; at < items.length; at += size) out.push(items.slice(at, at + size));
  return out;
}
