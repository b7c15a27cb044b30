/**
 * `status`, `list` and `unlock`: what the ledger in the store says about runs and locks, for the person at the
 * command line. They read the ledger file; `unlock` changes it, and records that it did.
 */
import { resolve } from 'node:path';
import { InvalidInputError } from '../handlers/core/errors.ts';
import { plainText } from '../handlers/core/untrusted.ts';
import { PROGRAM } from './help.ts';
import {
  currentOwner,
  type Ending,
  isWaiting,
  type LedgerView,
  type Liveness,
  livenessOf,
  type OwnedLock,
  type RecordWithEndings,
  RunLedger,
  readLedgerView,
} from './run-ledger.ts';

export interface LedgerCommandResult {
  outcome: 'listed' | 'unlocked' | 'failed';
  reasons?: string[];
  [key: string]: unknown;
}

interface Output {
  stdout(text: string): void;
}

/** The exact rollback command for a remediation: the state file it left (its --out, else its --state), the store. */
export function rollbackCommand(
  remediationId: string,
  where: { stateFile?: string | undefined; region?: string | undefined; store: string },
): string {
  const parts = [PROGRAM, 'rollback', '--remediation', remediationId];
  if (where.stateFile) parts.push('--state', where.stateFile);
  else if (where.region) parts.push('--region', where.region);
  if (where.store !== resolve('.remediation')) parts.push('--store', where.store);
  return parts.join(' ');
}

/** "3 min", "2 h 5 min", "4 d 1 h". */
export function ageOf(sinceIso: string | undefined, now: number): string {
  if (!sinceIso) return 'unknown';
  const minutes = Math.max(0, Math.floor((now - Date.parse(sinceIso)) / 60_000));
  if (minutes < 60) return `${minutes} min`;
  const hours = Math.floor(minutes / 60);
  if (hours < 24) return `${hours} h ${minutes % 60} min`;
  return `${Math.floor(hours / 24)} d ${hours % 24} h`;
}

/** What a remediation does next, from the last status its steps recorded. */
const NEXT_STEP: Record<string, string> = {
  'snapshot-saved': 'create the replacement group',
  'replacement-created': 'add references and move the interfaces, then wait for approval',
  stripping: 'strip the default group, then verify',
  stripped: 'verify, resolve the finding and release the lock',
};

type LockState = 'running' | 'waiting for approval' | 'process gone' | 'failed rollback' | 'unknown (another host)';

function lockState(lock: OwnedLock, liveness: Liveness, waiting: boolean): LockState {
  if (lock.failedRollback) return 'failed rollback';
  if (liveness === 'dead') return 'process gone';
  if (liveness === 'unknown') return 'unknown (another host)';
  return waiting ? 'waiting for approval' : 'running';
}

/** Where the run holding `lock` leaves its state: the file a rollback must be given. */
function stateFileOf(lock: OwnedLock): string | undefined {
  return lock.outFile ?? lock.stateFile;
}

export async function statusCommand(store: string, io: Output, json: boolean): Promise<LedgerCommandResult> {
  const view = await readLedgerView(store);
  const now = Date.now();
  const groups = Object.entries(view.locks).map(([key, lock]) => {
    const liveness = livenessOf(lock);
    const waiting = isWaiting(view, lock.remediationId, Math.floor(now / 1000));
    const state = lockState(lock, liveness, waiting);
    const record = view.remediations[lock.remediationId];
    const next =
      state === 'failed rollback'
        ? 're-run the rollback'
        : state === 'waiting for approval'
          ? 'the approval decision'
          : lock.kind === 'rollback'
            ? 'finish restoring the snapshot'
            : (NEXT_STEP[record?.status ?? ''] ?? 'discover and save the snapshot');
    const [accountId, region, groupId] = key.split('/');
    const simulatedButLost = state === 'process gone' && lock.stateFile !== undefined;
    const undo = record
      ? state === 'running' || state === 'waiting for approval'
        ? `stop it (Ctrl-C at its terminal, or kill -TERM ${lock.pid}): it rolls back itself`
        : rollbackCommand(lock.remediationId, { stateFile: stateFileOf(lock), region, store })
      : `nothing was changed yet; once its process is gone: ${PROGRAM} unlock --group ${groupId}`;
    return {
      groupId,
      accountId,
      region,
      remediationId: lock.remediationId,
      kind: lock.kind,
      state,
      pid: lock.pid,
      host: lock.host,
      since: lock.takenAt,
      age: ageOf(lock.takenAt, now),
      lockExpiresAt: new Date(lock.expiresAt * 1000).toISOString(),
      nextStep: next,
      undo,
      ...(simulatedButLost
        ? { note: 'a simulated run that ended without writing its --out: its changes are lost' }
        : {}),
    };
  });
  if (!json) {
    if (groups.length === 0) io.stdout(`Nothing running or locked in ${store}.\n`);
    for (const group of groups) {
      io.stdout(
        [
          `${group.groupId} (${group.accountId} ${group.region}) — ${group.state}`,
          `  ${group.kind} ${group.remediationId}, pid ${group.pid ?? '?'} on ${group.host ?? '?'}, for ${group.age} (lock until ${group.lockExpiresAt})`,
          `  next step: ${group.nextStep}`,
          `  to undo: ${group.undo}`,
          ...(group.note ? [`  note: ${group.note}`] : []),
          '',
        ].join('\n'),
      );
    }
  }
  return { outcome: 'listed', groups };
}

/** The last ending of a remediation (its outcome), or the status its steps left when none was recorded. */
function outcomeOf(record: RecordWithEndings): { outcome: string; at: string; last?: Ending } {
  const last = record.endings?.at(-1);
  if (!last) return { outcome: record.status, at: record.updatedAt };
  const outcome =
    last.machine === 'remediate' && last.outcome === 'failed' && last.rolledBack ? 'failed, rolled back' : last.outcome;
  return { outcome, at: last.at, last };
}

/** Outcomes that leave nothing to undo. */
const NOTHING_TO_UNDO = new Set([
  'rolled-back',
  'failed, rolled back',
  'rejected',
  'not approved',
  'blocked',
  'compliant',
  'skipped',
]);

export async function listCommand(store: string, io: Output, json: boolean): Promise<LedgerCommandResult> {
  const view = await readLedgerView(store);
  const remediations = Object.values(view.remediations)
    .map((record) => {
      const { outcome, at, last } = outcomeOf(record);
      const stateFile = record.endings?.findLast((ending) => ending.stateFile)?.stateFile;
      const undo = NOTHING_TO_UNDO.has(outcome)
        ? undefined
        : rollbackCommand(record.remediationId, { stateFile, region: record.region, store });
      return {
        remediationId: record.remediationId,
        groupId: record.groupId,
        accountId: record.accountId,
        region: record.region,
        outcome,
        at,
        ...(last?.interruptedBy ? { interruptedBy: last.interruptedBy } : {}),
        ...(stateFile ? { stateFile } : {}),
        ...(undo ? { rollbackCommand: undo } : {}),
      };
    })
    .sort((a, b) => a.at.localeCompare(b.at));
  if (!json) {
    if (remediations.length === 0) io.stdout(`No remediations in ${store}.\n`);
    for (const item of remediations) {
      io.stdout(
        `${[
          `${item.at}  ${item.remediationId}  ${item.groupId} (${item.accountId} ${item.region})  ${item.outcome}${item.interruptedBy ? ` (interrupted: ${item.interruptedBy})` : ''}`,
          ...(item.rollbackCommand ? [`  undo: ${plainText(item.rollbackCommand)}`] : []),
        ].join('\n')}\n`,
      );
    }
  }
  return { outcome: 'listed', remediations };
}

function lockOfGroup(view: LedgerView, groupId: string): [string, OwnedLock] | undefined {
  const found = Object.entries(view.locks).filter(([key]) => key.endsWith(`/${groupId}`));
  if (found.length > 1)
    throw new InvalidInputError([
      `${groupId} is locked in several accounts or regions: ${found.map(([key]) => key).join(', ')}.`,
    ]);
  return found[0];
}

export async function unlockCommand(
  options: { group?: string | undefined; force?: boolean | undefined; store: string; command: string },
  io: Output,
  json: boolean,
): Promise<LedgerCommandResult> {
  if (!options.group || !/^sg-[0-9a-f]{8,17}$/.test(options.group))
    throw new InvalidInputError(['unlock needs --group SG (like sg-0123456789abcdef0).']);
  const view = await readLedgerView(options.store);
  const found = lockOfGroup(view, options.group);
  if (!found) throw new InvalidInputError([`${options.group} is not locked in ${options.store}.`]);
  const [key, lock] = found;
  const liveness = livenessOf(lock);
  const holder = `the ${lock.kind} ${lock.remediationId} (pid ${lock.pid ?? '?'} on ${lock.host ?? 'an unrecorded host'})`;
  if (liveness === 'alive')
    return {
      outcome: 'failed',
      error: 'Busy',
      reasons: [
        `${options.group} is locked by ${holder}, which is still running: stop it (Ctrl-C, or kill -TERM ${lock.pid}); it rolls back and releases the lock itself.`,
      ],
    };
  if (!options.force && (liveness === 'unknown' || lock.failedRollback))
    return {
      outcome: 'failed',
      error: 'Busy',
      reasons: [
        lock.failedRollback
          ? `${options.group} is locked by a failed rollback of ${lock.remediationId}: the group is part-way restored. Re-run that rollback; --force unlocks anyway.`
          : `${options.group} is locked by ${holder}, whose process cannot be checked from here. Make sure it is gone, then add --force.`,
      ],
    };
  const ledger = new RunLedger(options.store, currentOwner(options.command));
  const { token, ...removed } = lock;
  await ledger.recordEnding(
    lock.remediationId,
    { machine: 'unlock', outcome: 'unlocked', removedLock: removed },
    { accountId: key.split('/')[0] ?? '', region: key.split('/')[1] ?? '', groupId: options.group },
  );
  await ledger.releaseLock(key, token);
  if (!json) io.stdout(`Unlocked ${options.group}: removed the lock of ${holder} (recorded in the ledger).\n`);
  return { outcome: 'unlocked', groupId: options.group, removedLock: removed };
}
