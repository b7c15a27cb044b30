/**
 * How long a plan's paced work takes, from the plan alone: the rollback execution's timeout (the parent's
 * `startExecution.sync:2` Task reads it through TimeoutSecondsPath) and the check that a run fits the lock's lifetime
 * (docs/decisions.md, "Time budgets").
 *
 * Every mutating call is paced at `share` of its token bucket's refill rate (handlers/steps/pacing.ts); the steps run
 * one after the other, so their paced times add up.
 */

import { settleSecondsOf } from './owners/index.ts';
import type { Plan } from './plan.ts';
import { bucketOf } from './rate-limits.ts';
import { parseResourceKey } from './resources.ts';

/**
 * What every rollback needs whatever its size: the copy's deletion retried while Lambda retires its interfaces
 * (60 s doubling to 15 min, six times: 45 min), Step Functions' retry waits of the other Tasks and the notices.
 */
export const ROLLBACK_FIXED_SECONDS = 3600;

/**
 * A resource moved through its service may take up to 10 minutes to settle (handlers/adapters/owner-services.ts): the
 * budget of a move whose module states no shorter one (`settleSeconds`).
 */
export const RESOURCE_MOVE_SECONDS = 600;

/** Head room over the paced time: throttled retries, slow answers, a second attempt of a batch. */
export const SAFETY_FACTOR = 2;

/** Step Functions Standard workflows run for at most one year; no Task can wait longer. */
export const MAX_EXECUTION_SECONDS = 365 * 86400;

function pacedSeconds(action: string, calls: number, share: number): number {
  return calls / (bucketOf(action).limits.refillPerSecond * share);
}

/**
 * The paced seconds of one migration of the plan in one direction (there, or back): rule calls on every group that
 * holds a reference or a twin (an Authorize and a Revoke per direction), one ModifyNetworkInterfaceAttribute per
 * interface EC2 moves, and each resource moved through its service.
 */
export function migrationSeconds(plan: Plan, share: number): number {
  const entries = plan.batches.flat();
  const resources = entries.flatMap((entry) => parseResourceKey(entry) ?? []);
  const interfaces = entries.length - resources.length;
  const settling = resources.reduce((sum, ref) => sum + settleSecondsOf(ref.kind, RESOURCE_MOVE_SECONDS), 0);
  const groups = new Set([plan.defaultGroupId, ...plan.references.map((reference) => reference.groupId)]).size + 1;
  return (
    pacedSeconds('AuthorizeSecurityGroupIngress', 2 * groups, share) +
    pacedSeconds('RevokeSecurityGroupIngress', 2 * groups, share) +
    pacedSeconds('ModifyNetworkInterfaceAttribute', interfaces, share) +
    settling
  );
}

/** The rollback execution's timeout: the fixed part plus twice the paced work of moving everything back. */
export function rollbackTimeoutSeconds(plan: Plan, share: number): number {
  return Math.min(
    MAX_EXECUTION_SECONDS,
    Math.ceil(ROLLBACK_FIXED_SECONDS + SAFETY_FACTOR * migrationSeconds(plan, share)),
  );
}

/** Whether a rollback of `plan` still fits `budgetSeconds` with half of its paced work as head room. */
export function rollbackFits(plan: Plan, share: number, budgetSeconds: number): boolean {
  return ROLLBACK_FIXED_SECONDS + 1.5 * migrationSeconds(plan, share) <= budgetSeconds;
}

/**
 * The longest a run of the plan takes apart from the approval wait: the migration before approval and the strip
 * after it (with the same head room), then a rollback that uses its whole timeout.
 */
export function runSeconds(plan: Plan, share: number): number {
  return Math.ceil(SAFETY_FACTOR * migrationSeconds(plan, share) + rollbackTimeoutSeconds(plan, share));
}
