/**
 * The command line's ledger: the local file ledger, with who holds each lock (process id, host, start, the command and
 * state file) and every ending of a run — remediations, rollbacks and unlocks — kept on the remediation's record, so
 * `status`, `list` and a rollback that finds its remediation's run gone can tell what happened.
 */
import { readFile } from 'node:fs/promises';
import { hostname, userInfo } from 'node:os';
import { join } from 'node:path';
import { FileLedger } from '../handlers/adapters/local/file-ledger.ts';
import type {
  ApprovalRecord,
  DigestEntry,
  DigestRecord,
  Ledger,
  LockHolder,
  LockResult,
  RemediationRecord,
  RollbackLinkRecord,
} from '../handlers/ports.ts';

/** Who runs a command: recorded on each lock it takes and each ending. */
export interface RunOwner {
  pid: number;
  host: string;
  user: string;
  /** The command as typed, without secrets (there are none in the flags). */
  command: string;
  /** The simulated state this run reads (--state), absolute; absent on a real account. */
  stateFile?: string;
  /** Where the run writes its final simulated state (--out), absolute. */
  outFile?: string;
}

export type OwnedLock = LockHolder & Partial<RunOwner> & { takenAt?: string };

export interface Ending {
  machine: 'remediate' | 'rollback' | 'unlock' | 'tighten';
  outcome: string;
  at: string;
  pid: number;
  host: string;
  user: string;
  executionName?: string;
  error?: string;
  /** What ended the process early (a signal, a closed pipe, an uncaught error). */
  interruptedBy?: string;
  rolledBack?: boolean;
  /** The state file a rollback of this remediation must be given (the remediation's --out, else its --state). */
  stateFile?: string;
  /** For `unlock`: the lock that was removed. */
  removedLock?: Omit<OwnedLock, 'token'>;
}

export type RecordWithEndings = RemediationRecord & { endings?: Ending[] };

/** The flags as typed, for the ledger's record of who ran what (no secrets: the flags carry none). */
export function commandLine(command: string, flags: Record<string, unknown>): string {
  const parts = [command];
  for (const [name, value] of Object.entries(flags)) {
    if (value === undefined || value === false) continue;
    if (value === true) parts.push(`--${name}`);
    else for (const one of Array.isArray(value) ? value : [value]) parts.push(`--${name}`, String(one));
  }
  return parts.join(' ');
}

export function currentOwner(command: string, files: { stateFile?: string; outFile?: string } = {}): RunOwner {
  return {
    pid: process.pid,
    host: hostname(),
    user: safeUser(),
    command,
    ...(files.stateFile ? { stateFile: files.stateFile } : {}),
    ...(files.outFile ? { outFile: files.outFile } : {}),
  };
}

function safeUser(): string {
  try {
    return userInfo().username;
  } catch {
    return 'unknown';
  }
}

export function ledgerPath(storeDir: string): string {
  return join(storeDir, 'ledger.json');
}

export class RunLedger implements Ledger {
  readonly file: FileLedger;

  constructor(
    storeDir: string,
    private readonly owner: RunOwner,
  ) {
    this.file = new FileLedger(ledgerPath(storeDir));
  }

  acquireLock(lockKey: string, holder: LockHolder, nowEpochSeconds: number): Promise<LockResult> {
    const owned: OwnedLock = { ...holder, ...this.owner, takenAt: new Date(nowEpochSeconds * 1000).toISOString() };
    return this.file.acquireLock(lockKey, owned, nowEpochSeconds);
  }
  releaseLock(lockKey: string, token: string): Promise<void> {
    return this.file.releaseLock(lockKey, token);
  }
  keepLockForRollback(lockKey: string, token: string): Promise<void> {
    return this.file.keepLockForRollback(lockKey, token);
  }
  async putRemediation(record: RemediationRecord): Promise<void> {
    // The steps write whole records: the endings recorded so far are kept.
    const before = (await this.file.getRemediation(record.remediationId)) as RecordWithEndings | undefined;
    await this.file.putRemediation({ ...record, ...(before?.endings ? { endings: before.endings } : {}) });
  }
  getRemediation(remediationId: string): Promise<RemediationRecord | undefined> {
    return this.file.getRemediation(remediationId);
  }
  putApproval(record: ApprovalRecord): Promise<void> {
    return this.file.putApproval(record);
  }
  getApproval(approvalId: string): Promise<ApprovalRecord | undefined> {
    return this.file.getApproval(approvalId);
  }
  decideApproval(approvalId: string, status: 'approved' | 'rejected', nowEpochSeconds: number) {
    return this.file.decideApproval(approvalId, status, nowEpochSeconds);
  }
  putRollbackLink(record: RollbackLinkRecord): Promise<void> {
    return this.file.putRollbackLink(record);
  }
  getRollbackLink(linkId: string): Promise<RollbackLinkRecord | undefined> {
    return this.file.getRollbackLink(linkId);
  }
  claimRollbackLink(linkId: string, nowEpochSeconds: number) {
    return this.file.claimRollbackLink(linkId, nowEpochSeconds);
  }
  joinDigestWindow(windowStart: number, entry: DigestEntry, expiresAt: number): Promise<boolean> {
    return this.file.joinDigestWindow(windowStart, entry, expiresAt);
  }
  openDigestWindows(): Promise<number[]> {
    return this.file.openDigestWindows();
  }
  closeDigestWindow(windowStart: number, expiresAt: number): Promise<DigestEntry[] | undefined> {
    return this.file.closeDigestWindow(windowStart, expiresAt);
  }
  putDigest(record: DigestRecord): Promise<void> {
    return this.file.putDigest(record);
  }
  getDigest(digestId: string): Promise<DigestRecord | undefined> {
    return this.file.getDigest(digestId);
  }

  /**
   * Appends an ending to the remediation's record; a run that ended before any record was written (busy, compliant,
   * refused) gets one from `target`.
   */
  async recordEnding(
    remediationId: string,
    ending: Omit<Ending, 'at' | 'pid' | 'host' | 'user'>,
    target?: { accountId: string; region: string; groupId: string },
  ): Promise<void> {
    const before = (await this.file.getRemediation(remediationId)) as RecordWithEndings | undefined;
    if (!before && !target) return;
    const full: Ending = {
      ...ending,
      at: new Date().toISOString(),
      pid: this.owner.pid,
      host: this.owner.host,
      user: this.owner.user,
    };
    const record: RecordWithEndings = before
      ? { ...before, endings: [...(before.endings ?? []), full] }
      : {
          remediationId,
          accountId: target?.accountId ?? '',
          region: target?.region ?? '',
          groupId: target?.groupId ?? '',
          status: ending.outcome,
          updatedAt: full.at,
          endings: [full],
        };
    await this.file.putRemediation(record);
  }
}

/** The ledger file as it is on disk: what `status`, `list` and `unlock` read (no lock taken: reads see the last write). */
export interface LedgerView {
  locks: Record<string, OwnedLock>;
  remediations: Record<string, RecordWithEndings>;
  approvals: Record<string, ApprovalRecord>;
}

export async function readLedgerView(storeDir: string): Promise<LedgerView> {
  let text: string;
  try {
    text = await readFile(ledgerPath(storeDir), 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { locks: {}, remediations: {}, approvals: {} };
    throw error;
  }
  const parsed = JSON.parse(text) as Partial<LedgerView>;
  return { locks: parsed.locks ?? {}, remediations: parsed.remediations ?? {}, approvals: parsed.approvals ?? {} };
}

export type Liveness = 'alive' | 'dead' | 'unknown';

/** Whether the process that holds a lock still runs: known only on the same host, from its pid. */
export function livenessOf(lock: Pick<OwnedLock, 'pid' | 'host'>): Liveness {
  if (lock.pid === undefined || lock.host !== hostname()) return 'unknown';
  try {
    process.kill(lock.pid, 0);
    return 'alive';
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM' ? 'alive' : 'dead';
  }
}

/** Whether the remediation waits for an approval that is still pending. */
export function isWaiting(view: LedgerView, remediationId: string, nowEpochSeconds: number): boolean {
  return Object.values(view.approvals).some(
    (approval) =>
      approval.remediationId === remediationId &&
      approval.status === 'pending' &&
      approval.expiresAt >= nowEpochSeconds,
  );
}
