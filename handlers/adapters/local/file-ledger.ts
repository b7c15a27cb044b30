import { randomUUID } from 'node:crypto';
import { mkdir, open, readFile, rename, rm } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import type {
  ApprovalRecord,
  DigestEntry,
  DigestRecord,
  Ledger,
  LockHolder,
  LockResult,
  RemediationRecord,
  RollbackLinkRecord,
} from '../../ports.ts';

/** The ledger's lock file stayed taken for longer than the wait allows (another process, or one that crashed). */
export class LedgerBusyError extends Error {
  constructor(readonly lockFile: string) {
    super(`ledger is busy: ${lockFile} exists; if no other process is using the ledger, delete that file`);
    this.name = 'LedgerBusy';
  }
}

/** The ledger file is not a ledger this adapter wrote. */
export class LedgerCorruptError extends Error {
  constructor(
    readonly file: string,
    reason: string,
    options?: { cause?: unknown },
  ) {
    super(`ledger file ${file} is unreadable: ${reason}`, options);
    this.name = 'LedgerCorrupt';
  }
}

interface State {
  locks: Map<string, LockHolder>;
  remediations: Map<string, RemediationRecord>;
  approvals: Map<string, ApprovalRecord>;
  rollbackLinks: Map<string, RollbackLinkRecord>;
  digestWindows: Map<string, DigestWindow>;
  digests: Map<string, DigestRecord>;
}

/** A batch window of approval digests: open while runs join it, sent once its digest went out. */
interface DigestWindow {
  status: 'open' | 'sent';
  entries: DigestEntry[];
  expiresAt: number;
}

interface FileShape {
  version: 1;
  locks: Record<string, LockHolder>;
  remediations: Record<string, RemediationRecord>;
  approvals: Record<string, ApprovalRecord>;
  /** Absent in files written before rollback links existed. */
  rollbackLinks?: Record<string, RollbackLinkRecord>;
  /** Absent in files written before approval digests existed. */
  digestWindows?: Record<string, DigestWindow>;
  digests?: Record<string, DigestRecord>;
}

const sleep = (ms: number) => new Promise<void>((done) => setTimeout(done, ms));

function hasCode(error: unknown, code: string): boolean {
  return typeof error === 'object' && error !== null && (error as { code?: unknown }).code === code;
}

function isRecordMap(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * A {@link Ledger} kept in one JSON file, with the DynamoDB adapter's semantics.
 *
 * Every change is a read-modify-write of the whole file, written atomically (temporary file + rename, mode 0600: the
 * file holds task tokens). Changes are serialised within this instance, and across instances and processes by a lock
 * file `<path>.lock` created exclusively ('wx') and retried for up to `lockWaitMs` (then {@link LedgerBusyError}).
 * Reads take no lock: they see the last complete write. Meant for one process at a time (the CLI, the local runner,
 * tests); a lock file left by a crashed process must be deleted by hand (the error names it).
 */
export class FileLedger implements Ledger {
  readonly path: string;
  readonly lockFile: string;
  private readonly lockWaitMs: number;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(path: string, options: { lockWaitMs?: number } = {}) {
    this.path = resolve(path);
    this.lockFile = `${this.path}.lock`;
    this.lockWaitMs = options.lockWaitMs ?? 2000;
  }

  async acquireLock(lockKey: string, holder: LockHolder, nowEpochSeconds: number): Promise<LockResult> {
    return this.change<LockResult>((state) => {
      const current = state.locks.get(lockKey);
      const rerun =
        current?.failedRollback === true &&
        holder.kind === 'rollback' &&
        current.remediationId === holder.remediationId;
      // A remediation's id is its execution's name: a lock held by the same id is this run's own, taken by an attempt
      // that crashed before it could answer (I5). Rollbacks share their remediation's id, so only remediations re-enter.
      const ownRetry =
        holder.kind === 'remediation' &&
        current?.kind === 'remediation' &&
        current.remediationId === holder.remediationId &&
        current.failedRollback !== true;
      // A failed rollback's lock does not expire: the group stays part-way restored until that rollback succeeds.
      const expired = current !== undefined && current.expiresAt < nowEpochSeconds && current.failedRollback !== true;
      if (current === undefined || expired || current.token === holder.token || rerun || ownRetry) {
        state.locks.set(lockKey, { ...holder });
        return { result: { acquired: true }, changed: true };
      }
      const { token: _token, ...heldBy } = current;
      return { result: { acquired: false, heldBy }, changed: false };
    });
  }

  async releaseLock(lockKey: string, token: string): Promise<void> {
    await this.change((state) => {
      if (state.locks.get(lockKey)?.token !== token) return { result: undefined, changed: false };
      state.locks.delete(lockKey);
      return { result: undefined, changed: true };
    });
  }

  async keepLockForRollback(lockKey: string, token: string): Promise<void> {
    await this.change((state) => {
      const current = state.locks.get(lockKey);
      if (current?.token !== token) return { result: undefined, changed: false };
      state.locks.set(lockKey, { ...current, failedRollback: true });
      return { result: undefined, changed: true };
    });
  }

  async putRemediation(record: RemediationRecord): Promise<void> {
    await this.change((state) => {
      state.remediations.set(record.remediationId, { ...record });
      return { result: undefined, changed: true };
    });
  }

  async getRemediation(remediationId: string): Promise<RemediationRecord | undefined> {
    return (await this.read()).remediations.get(remediationId);
  }

  async putApproval(record: ApprovalRecord): Promise<void> {
    await this.change((state) => {
      state.approvals.set(record.approvalId, { ...record });
      return { result: undefined, changed: true };
    });
  }

  async getApproval(approvalId: string): Promise<ApprovalRecord | undefined> {
    return (await this.read()).approvals.get(approvalId);
  }

  async decideApproval(
    approvalId: string,
    status: 'approved' | 'rejected',
    nowEpochSeconds: number,
  ): Promise<{ decided: boolean; record?: ApprovalRecord }> {
    return this.change<{ decided: boolean; record?: ApprovalRecord }>((state) => {
      const current = state.approvals.get(approvalId);
      if (current === undefined) return { result: { decided: false }, changed: false };
      if (current.status !== 'pending') return { result: { decided: false, record: current }, changed: false };
      if (current.expiresAt < nowEpochSeconds) {
        return { result: { decided: false, record: { ...current, status: 'expired' } }, changed: false };
      }
      const decided: ApprovalRecord = {
        ...current,
        status,
        decidedAt: new Date(nowEpochSeconds * 1000).toISOString(),
      };
      state.approvals.set(approvalId, decided);
      return { result: { decided: true, record: decided }, changed: true };
    });
  }

  async putRollbackLink(record: RollbackLinkRecord): Promise<void> {
    await this.change((state) => {
      state.rollbackLinks.set(record.linkId, { ...record });
      return { result: undefined, changed: true };
    });
  }

  async getRollbackLink(linkId: string): Promise<RollbackLinkRecord | undefined> {
    return (await this.read()).rollbackLinks.get(linkId);
  }

  async claimRollbackLink(
    linkId: string,
    nowEpochSeconds: number,
  ): Promise<{ claimed: boolean; record?: RollbackLinkRecord }> {
    return this.change<{ claimed: boolean; record?: RollbackLinkRecord }>((state) => {
      const current = state.rollbackLinks.get(linkId);
      if (current === undefined) return { result: { claimed: false }, changed: false };
      if (current.status !== 'pending') return { result: { claimed: false, record: current }, changed: false };
      if (current.expiresAt < nowEpochSeconds) {
        return { result: { claimed: false, record: { ...current, status: 'expired' } }, changed: false };
      }
      const claimed: RollbackLinkRecord = {
        ...current,
        status: 'used',
        usedAt: new Date(nowEpochSeconds * 1000).toISOString(),
      };
      state.rollbackLinks.set(linkId, claimed);
      return { result: { claimed: true, record: claimed }, changed: true };
    });
  }

  async joinDigestWindow(windowStart: number, entry: DigestEntry, expiresAt: number): Promise<boolean> {
    return this.change((state) => {
      const key = String(windowStart);
      const window = state.digestWindows.get(key) ?? { status: 'open', entries: [], expiresAt };
      if (window.status !== 'open') return { result: false, changed: false };
      window.entries.push({ ...entry });
      window.expiresAt = Math.max(window.expiresAt, expiresAt);
      state.digestWindows.set(key, window);
      return { result: true, changed: true };
    });
  }

  async openDigestWindows(): Promise<number[]> {
    const { digestWindows } = await this.read();
    return [...digestWindows]
      .filter(([, window]) => window.status === 'open')
      .map(([key]) => Number(key))
      .sort((a, b) => a - b);
  }

  async closeDigestWindow(windowStart: number, expiresAt: number): Promise<DigestEntry[] | undefined> {
    return this.change<DigestEntry[] | undefined>((state) => {
      const key = String(windowStart);
      const window = state.digestWindows.get(key);
      if (window?.status === 'sent') return { result: undefined, changed: false };
      const entries = window?.entries ?? [];
      state.digestWindows.set(key, { status: 'sent', entries, expiresAt: Math.max(window?.expiresAt ?? 0, expiresAt) });
      return { result: entries, changed: true };
    });
  }

  async putDigest(record: DigestRecord): Promise<void> {
    await this.change((state) => {
      state.digests.set(record.digestId, structuredClone(record));
      return { result: undefined, changed: true };
    });
  }

  async getDigest(digestId: string): Promise<DigestRecord | undefined> {
    return (await this.read()).digests.get(digestId);
  }

  /** Runs `update` on the current state under the lock, and writes the state back if it says it changed. */
  private change<T>(update: (state: State) => { result: T; changed: boolean }): Promise<T> {
    const run = async (): Promise<T> => {
      await this.lock();
      try {
        const state = await this.read();
        const { result, changed } = update(state);
        if (changed) await this.write(state);
        return result;
      } finally {
        await rm(this.lockFile, { force: true });
      }
    };
    const next = this.queue.then(run, run);
    this.queue = next.catch(() => undefined);
    return next;
  }

  private async lock(): Promise<void> {
    await mkdir(dirname(this.path), { recursive: true });
    const deadline = Date.now() + this.lockWaitMs;
    for (let attempt = 0; ; attempt++) {
      try {
        const handle = await open(this.lockFile, 'wx', 0o600);
        try {
          await handle.writeFile(`${process.pid}\n`);
        } finally {
          await handle.close();
        }
        return;
      } catch (error) {
        if (!hasCode(error, 'EEXIST')) throw error;
        if (Date.now() >= deadline) throw new LedgerBusyError(this.lockFile);
        await sleep(Math.min(5 * 2 ** attempt, 50));
      }
    }
  }

  private async read(): Promise<State> {
    let text: string;
    try {
      text = await readFile(this.path, 'utf8');
    } catch (error) {
      if (hasCode(error, 'ENOENT')) {
        return {
          locks: new Map(),
          remediations: new Map(),
          approvals: new Map(),
          rollbackLinks: new Map(),
          digestWindows: new Map(),
          digests: new Map(),
        };
      }
      throw error;
    }
    const parsed = this.parse(text);
    if (!isRecordMap(parsed) || parsed.version !== 1) throw new LedgerCorruptError(this.path, 'not a version 1 ledger');
    const section = <V>(name: keyof Omit<FileShape, 'version'>): Map<string, V> => {
      const value = parsed[name] ?? {};
      if (!isRecordMap(value)) throw new LedgerCorruptError(this.path, `"${name}" is not an object`);
      return new Map(Object.entries(value) as [string, V][]);
    };
    return {
      locks: section<LockHolder>('locks'),
      remediations: section<RemediationRecord>('remediations'),
      approvals: section<ApprovalRecord>('approvals'),
      rollbackLinks: section<RollbackLinkRecord>('rollbackLinks'),
      digestWindows: section<DigestWindow>('digestWindows'),
      digests: section<DigestRecord>('digests'),
    };
  }

  private parse(text: string): unknown {
    try {
      return JSON.parse(text);
    } catch (error) {
      throw new LedgerCorruptError(this.path, 'not JSON', { cause: error });
    }
  }

  private async write(state: State): Promise<void> {
    const shape: FileShape = {
      version: 1,
      locks: Object.fromEntries(state.locks),
      remediations: Object.fromEntries(state.remediations),
      approvals: Object.fromEntries(state.approvals),
      rollbackLinks: Object.fromEntries(state.rollbackLinks),
      digestWindows: Object.fromEntries(state.digestWindows),
      digests: Object.fromEntries(state.digests),
    };
    const temporary = `${this.path}.${randomUUID()}.tmp`;
    try {
      await mkdir(dirname(this.path), { recursive: true });
      const handle = await open(temporary, 'wx', 0o600);
      try {
        await handle.writeFile(`${JSON.stringify(shape, null, 2)}\n`);
        await handle.sync();
      } finally {
        await handle.close();
      }
      await rename(temporary, this.path);
    } finally {
      await rm(temporary, { force: true });
    }
  }
}
