import * as z from 'zod';
import { lockKey, parseInput, remediationIdSchema, targetSchema } from './common.ts';
import { type Deps, lockLifetimeSeconds } from './deps.ts';

const takeSchema = z.object({
  remediationId: remediationIdSchema,
  target: targetSchema,
  kind: z.enum(['remediation', 'rollback']),
  /** A rollback started by its remediation passes the remediation's token and so re-enters the lock. */
  token: z.string().min(16).max(128).nullish(),
});

export type TakeLockOutput =
  | { acquired: true; token: string; inherited: boolean }
  | {
      acquired: false;
      reasons: string[];
      /** The reasons in one sentence: the Fail states' cause. */
      cause: string;
      /**
       * The lock was left by a rollback that failed: the group is part-way between its snapshot and the remediation,
       * and only a re-run of that rollback may touch it. A remediation fails on this instead of skipping.
       */
      unfinishedRollback: boolean;
    };

/** "Take the lock" for the group (I7). */
export async function takeLock(raw: unknown, deps: Deps): Promise<TakeLockOutput> {
  const input = parseInput(takeSchema, raw);
  const token = input.token ?? deps.randomId();
  const inherited = typeof input.token === 'string';
  const now = Math.floor(deps.now().getTime() / 1000);
  const result = await deps.ledger.acquireLock(
    lockKey(input.target),
    {
      remediationId: input.remediationId,
      token,
      kind: input.kind,
      expiresAt: now + lockLifetimeSeconds(deps.settings),
    },
    now,
  );
  if (result.acquired) return { acquired: true, token, inherited };
  const held = result.heldBy;
  const groupId = input.target.groupId;
  const reasons =
    held.failedRollback === true
      ? [
          `The rollback of ${held.remediationId} failed and left ${groupId} part-way restored; nothing else may change the group until that rollback is re-run and succeeds.`,
          `Fix the cause its notice names, then run: npm run cli -- rollback --remediation ${held.remediationId} (or start the rollback state machine with {"remediationId": "${held.remediationId}"}).`,
        ]
      : [
          `${groupId} is locked by the ${held.kind} ${held.remediationId} until ${new Date(held.expiresAt * 1000).toISOString()}; only one remediation or rollback of a group runs at a time.`,
        ];
  return { acquired: false, reasons, cause: reasons.join(' '), unfinishedRollback: held.failedRollback === true };
}

const releaseSchema = z.object({
  target: targetSchema,
  lock: z.object({ token: z.string(), inherited: z.boolean().optional() }).partial().optional(),
  /** A rollback failed: keep the lock, but let a re-run of a rollback of the same remediation take it over. */
  keepForRollback: z.boolean().optional(),
});

/** "Release the lock" — a no-op when this run never took it, or inherited it from the remediation that started it. */
export async function releaseLock(raw: unknown, deps: Deps): Promise<{ released: boolean; keptForRollback?: true }> {
  const input = parseInput(releaseSchema, raw);
  if (input.keepForRollback) {
    // Inherited or not, the token is the one the lock holds (a rollback a remediation started shares its token).
    if (input.lock?.token) await deps.ledger.keepLockForRollback(lockKey(input.target), input.lock.token);
    return { released: false, keptForRollback: true };
  }
  if (!input.lock?.token || input.lock.inherited) return { released: false };
  await deps.ledger.releaseLock(lockKey(input.target), input.lock.token);
  return { released: true };
}
