import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FileLedger } from '../../../handlers/adapters/local/file-ledger.ts';
import type { ApprovalRecord, LockHolder, RemediationRecord, RollbackLinkRecord } from '../../../handlers/ports.ts';

let dir: string;
let file: string;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'file-ledger-'));
  file = join(dir, 'state', 'ledger.json');
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const holder = (token: string, expiresAt = 2000, remediationId = `r-${token}`): LockHolder => ({
  remediationId,
  token,
  kind: 'remediation',
  expiresAt,
});

const approval: ApprovalRecord = {
  approvalId: 'ap-1',
  remediationId: 'r-1',
  taskToken: 'task-token-1',
  status: 'pending',
  expiresAt: 3000,
  createdAt: '2025-01-01T00:00:00.000Z',
};

describe('FileLedger locks', () => {
  it('takes a free lock, creating the file', async () => {
    const ledger = new FileLedger(file);
    await expect(ledger.acquireLock('sg-1', holder('a'), 1000)).resolves.toEqual({ acquired: true });
    const saved = JSON.parse(await readFile(file, 'utf8'));
    expect(saved.locks['sg-1']).toEqual(holder('a'));
  });

  it('refuses a held lock and names the holder without its token', async () => {
    const ledger = new FileLedger(file);
    await ledger.acquireLock('sg-1', { ...holder('a'), kind: 'rollback' }, 1000);
    const result = await ledger.acquireLock('sg-1', holder('b'), 1500);
    expect(result).toEqual({ acquired: false, heldBy: { remediationId: 'r-a', kind: 'rollback', expiresAt: 2000 } });
    expect(JSON.stringify(result)).not.toContain('"a"');
  });

  it('lets the lock be taken over once expired (expiresAt < now), not at the expiry second itself', async () => {
    const ledger = new FileLedger(file);
    await ledger.acquireLock('sg-1', holder('a', 2000), 1000);
    await expect(ledger.acquireLock('sg-1', holder('b'), 2000)).resolves.toMatchObject({ acquired: false });
    await expect(ledger.acquireLock('sg-1', holder('b', 4000), 2001)).resolves.toEqual({ acquired: true });
    await expect(ledger.acquireLock('sg-1', holder('a'), 2002)).resolves.toMatchObject({
      acquired: false,
      heldBy: { remediationId: 'r-b' },
    });
  });

  it('lets the holder take it again with the same token (and extend it)', async () => {
    const ledger = new FileLedger(file);
    await ledger.acquireLock('sg-1', holder('a', 2000), 1000);
    await expect(ledger.acquireLock('sg-1', holder('a', 9000), 1500)).resolves.toEqual({ acquired: true });
    await expect(ledger.acquireLock('sg-1', holder('b'), 5000)).resolves.toMatchObject({
      acquired: false,
      heldBy: { expiresAt: 9000 },
    });
  });

  it('lets a remediation take its own lock again with a new token (an attempt that crashed after taking it), nobody else', async () => {
    const ledger = new FileLedger(file);
    await ledger.acquireLock('sg-1', holder('first-attempt', 2000, 'rem-x'), 1000);
    // The retry of the same execution (same remediation id) has drawn a new token.
    await expect(ledger.acquireLock('sg-1', holder('retry', 2000, 'rem-x'), 1001)).resolves.toEqual({ acquired: true });
    await expect(ledger.acquireLock('sg-1', holder('other', 2000, 'rem-y'), 1002)).resolves.toMatchObject({
      acquired: false,
    });
    // A rollback shares its remediation's id but not its execution: it needs the token.
    await expect(
      ledger.acquireLock('sg-1', { ...holder('rb', 2000, 'rem-x'), kind: 'rollback' }, 1003),
    ).resolves.toMatchObject({ acquired: false });
    await ledger.releaseLock('sg-1', 'retry');
    await expect(ledger.acquireLock('sg-1', holder('other', 2000, 'rem-y'), 1004)).resolves.toEqual({ acquired: true });
  });

  it('keeps locks on different keys apart', async () => {
    const ledger = new FileLedger(file);
    await ledger.acquireLock('sg-1', holder('a'), 1000);
    await expect(ledger.acquireLock('sg-2', holder('b'), 1000)).resolves.toEqual({ acquired: true });
  });

  it('release by the wrong token is a no-op; by the right token frees the lock; releasing a free lock is a no-op', async () => {
    const ledger = new FileLedger(file);
    await ledger.acquireLock('sg-1', holder('a'), 1000);
    await ledger.releaseLock('sg-1', 'wrong');
    await expect(ledger.acquireLock('sg-1', holder('b'), 1000)).resolves.toMatchObject({ acquired: false });
    await ledger.releaseLock('sg-1', 'a');
    await expect(ledger.acquireLock('sg-1', holder('b'), 1000)).resolves.toEqual({ acquired: true });
    await ledger.releaseLock('sg-9', 'whatever');
  });

  it('a lock kept for a failed rollback goes to a rollback of the same remediation only', async () => {
    const ledger = new FileLedger(file);
    const failed: LockHolder = { ...holder('a', 2000, 'r-1'), kind: 'rollback' };
    await ledger.acquireLock('sg-1', failed, 1000);
    const rerun: LockHolder = { ...holder('b', 2000, 'r-1'), kind: 'rollback' };
    // Before it is marked, the re-run is refused like anyone else.
    await expect(ledger.acquireLock('sg-1', rerun, 1000)).resolves.toMatchObject({ acquired: false });
    await ledger.keepLockForRollback('sg-1', 'wrong');
    await expect(ledger.acquireLock('sg-1', rerun, 1000)).resolves.toMatchObject({ acquired: false });
    await ledger.keepLockForRollback('sg-1', 'a');
    await expect(ledger.acquireLock('sg-1', holder('c', 2000, 'r-1'), 1000)).resolves.toMatchObject({
      acquired: false,
      heldBy: { failedRollback: true },
    });
    await expect(ledger.acquireLock('sg-1', { ...rerun, remediationId: 'r-2' }, 1000)).resolves.toMatchObject({
      acquired: false,
    });
    // It does not expire: long after its expiry, a new remediation is still refused (the group is part-way restored).
    await expect(ledger.acquireLock('sg-1', holder('e', 99_000, 'r-3'), 90_000)).resolves.toMatchObject({
      acquired: false,
      heldBy: { failedRollback: true, remediationId: 'r-1' },
    });
    await expect(ledger.acquireLock('sg-1', rerun, 1000)).resolves.toEqual({ acquired: true });
    // The re-run holds it now, unmarked: a second re-run waits for it.
    await expect(ledger.acquireLock('sg-1', { ...rerun, token: 'd' }, 1000)).resolves.toMatchObject({
      acquired: false,
    });
  });

  it('grants a contended lock to exactly one of many concurrent callers (two instances, same file)', async () => {
    const first = new FileLedger(file);
    const second = new FileLedger(file);
    const results = await Promise.all(
      Array.from({ length: 10 }, (_, index) =>
        (index % 2 === 0 ? first : second).acquireLock('sg-1', holder(`t${index}`), 1000),
      ),
    );
    expect(results.filter((result) => result.acquired)).toHaveLength(1);
  });

  it('gives up with LedgerBusy when the lock file stays taken, and leaves that file alone', async () => {
    const ledger = new FileLedger(file, { lockWaitMs: 50 });
    await ledger.acquireLock('sg-1', holder('a'), 1000);
    await writeFile(`${file}.lock`, '99999\n');
    await expect(ledger.acquireLock('sg-2', holder('b'), 1000)).rejects.toMatchObject({ name: 'LedgerBusy' });
    await expect(stat(`${file}.lock`)).resolves.toBeDefined();
    await rm(`${file}.lock`);
    await expect(ledger.acquireLock('sg-2', holder('b'), 1000)).resolves.toEqual({ acquired: true });
  });
});

describe('FileLedger records', () => {
  it('stores and reads remediation records, overwriting by id', async () => {
    const ledger = new FileLedger(file);
    const record: RemediationRecord = {
      remediationId: 'r-1',
      accountId: '111122223333',
      region: 'eu-west-1',
      groupId: 'sg-1',
      status: 'planned',
      updatedAt: '2025-01-01T00:00:00.000Z',
    };
    await ledger.putRemediation(record);
    await ledger.putRemediation({ ...record, status: 'migrated', replacementGroupId: 'sg-2' });
    await expect(new FileLedger(file).getRemediation('r-1')).resolves.toEqual({
      ...record,
      status: 'migrated',
      replacementGroupId: 'sg-2',
    });
    await expect(ledger.getRemediation('r-2')).resolves.toBeUndefined();
  });

  it('answers undefined from a missing file, and does not treat prototype names as ids', async () => {
    const ledger = new FileLedger(file);
    await expect(ledger.getApproval('ap-1')).resolves.toBeUndefined();
    await ledger.putApproval(approval);
    await expect(ledger.getApproval('__proto__')).resolves.toBeUndefined();
    await expect(ledger.getApproval('constructor')).resolves.toBeUndefined();
  });

  it('writes atomically: no temporary files left, file readable only by its owner', async () => {
    const ledger = new FileLedger(file);
    await ledger.putApproval(approval);
    await ledger.acquireLock('sg-1', holder('a'), 1000);
    expect(await readdir(join(dir, 'state'))).toEqual(['ledger.json']);
    if (process.platform !== 'win32') expect((await stat(file)).mode & 0o777).toBe(0o600);
  });

  it('refuses a file that is not a ledger', async () => {
    await new FileLedger(file).putRemediation({
      remediationId: 'r',
      accountId: 'a',
      region: 'r',
      groupId: 'g',
      status: 's',
      updatedAt: 'u',
    });
    await writeFile(file, '{not json');
    await expect(new FileLedger(file).getRemediation('r')).rejects.toMatchObject({ name: 'LedgerCorrupt' });
    await writeFile(file, '[]');
    await expect(new FileLedger(file).getRemediation('r')).rejects.toMatchObject({ name: 'LedgerCorrupt' });
  });
});

describe('FileLedger approvals', () => {
  it('decides a pending approval once', async () => {
    const ledger = new FileLedger(file);
    await ledger.putApproval(approval);
    const result = await ledger.decideApproval('ap-1', 'approved', 2500);
    expect(result).toEqual({
      decided: true,
      record: { ...approval, status: 'approved', decidedAt: '1970-01-01T00:41:40.000Z' },
    });
    await expect(ledger.getApproval('ap-1')).resolves.toEqual(result.record);
  });

  it('does not decide twice: the second call answers the first decision', async () => {
    const ledger = new FileLedger(file);
    await ledger.putApproval(approval);
    await ledger.decideApproval('ap-1', 'rejected', 2500);
    await expect(ledger.decideApproval('ap-1', 'approved', 2600)).resolves.toEqual({
      decided: false,
      record: { ...approval, status: 'rejected', decidedAt: '1970-01-01T00:41:40.000Z' },
    });
    await expect(ledger.getApproval('ap-1')).resolves.toMatchObject({ status: 'rejected' });
  });

  it('only one of two concurrent decisions wins', async () => {
    const ledger = new FileLedger(file);
    await ledger.putApproval(approval);
    const [approve, reject] = await Promise.all([
      ledger.decideApproval('ap-1', 'approved', 2500),
      new FileLedger(file).decideApproval('ap-1', 'rejected', 2500),
    ]);
    expect([approve?.decided, reject?.decided].filter(Boolean)).toHaveLength(1);
  });

  it('answers expired for a pending approval past its expiry (still decidable at the expiry second)', async () => {
    const ledger = new FileLedger(file);
    await ledger.putApproval(approval);
    await expect(ledger.decideApproval('ap-1', 'approved', 3001)).resolves.toEqual({
      decided: false,
      record: { ...approval, status: 'expired' },
    });
    await expect(ledger.getApproval('ap-1')).resolves.toMatchObject({ status: 'pending' });
    await expect(ledger.decideApproval('ap-1', 'approved', 3000)).resolves.toMatchObject({ decided: true });
  });

  it('answers not decided, without a record, for an unknown approval', async () => {
    await expect(new FileLedger(file).decideApproval('nope', 'approved', 1)).resolves.toEqual({ decided: false });
  });
});

describe('FileLedger rollback links', () => {
  const link: RollbackLinkRecord = {
    linkId: 'rl-1',
    remediationId: 'r-1',
    status: 'pending',
    expiresAt: 3000,
    createdAt: '2025-01-01T00:00:00.000Z',
    csrfSecret: 'csrf-secret-1',
  };

  it('stores, reads and overwrites links; unknown and prototype names answer undefined', async () => {
    const ledger = new FileLedger(file);
    await expect(ledger.getRollbackLink('rl-1')).resolves.toBeUndefined();
    await ledger.putRollbackLink(link);
    await expect(new FileLedger(file).getRollbackLink('rl-1')).resolves.toEqual(link);
    await ledger.putRollbackLink({ ...link, status: 'used', executionArn: 'arn:x' });
    await expect(ledger.getRollbackLink('rl-1')).resolves.toEqual({ ...link, status: 'used', executionArn: 'arn:x' });
    await expect(ledger.getRollbackLink('__proto__')).resolves.toBeUndefined();
  });

  it('claims a pending link once; the second claim answers the used record', async () => {
    const ledger = new FileLedger(file);
    await ledger.putRollbackLink(link);
    const used = { ...link, status: 'used', usedAt: '1970-01-01T00:41:40.000Z' };
    await expect(ledger.claimRollbackLink('rl-1', 2500)).resolves.toEqual({ claimed: true, record: used });
    await expect(ledger.claimRollbackLink('rl-1', 2600)).resolves.toEqual({ claimed: false, record: used });
    await expect(ledger.getRollbackLink('rl-1')).resolves.toEqual(used);
  });

  it('only one of many concurrent claims wins (two instances, same file)', async () => {
    await new FileLedger(file).putRollbackLink(link);
    const instances = [new FileLedger(file), new FileLedger(file)];
    const results = await Promise.all(
      Array.from({ length: 6 }, (_, index) => instances[index % 2]?.claimRollbackLink('rl-1', 2500)),
    );
    expect(results.filter((result) => result?.claimed)).toHaveLength(1);
  });

  it('answers expired past the expiry (claimable at the expiry second), without changing the record', async () => {
    const ledger = new FileLedger(file);
    await ledger.putRollbackLink(link);
    await expect(ledger.claimRollbackLink('rl-1', 3001)).resolves.toEqual({
      claimed: false,
      record: { ...link, status: 'expired' },
    });
    await expect(ledger.getRollbackLink('rl-1')).resolves.toEqual(link);
    await expect(ledger.claimRollbackLink('rl-1', 3000)).resolves.toMatchObject({ claimed: true });
  });

  it('answers not claimed, without a record, for an unknown link', async () => {
    await expect(new FileLedger(file).claimRollbackLink('nope', 1)).resolves.toEqual({ claimed: false });
  });

  it('reads a ledger file written before rollback links existed, and keeps its other records', async () => {
    await mkdir(join(dir, 'state'), { recursive: true });
    await writeFile(
      file,
      `${JSON.stringify({ version: 1, locks: {}, remediations: {}, approvals: { 'ap-1': approval } })}\n`,
    );
    const ledger = new FileLedger(file);
    await expect(ledger.getRollbackLink('rl-1')).resolves.toBeUndefined();
    await ledger.putRollbackLink(link);
    await expect(ledger.getApproval('ap-1')).resolves.toEqual(approval);
    const saved = JSON.parse(await readFile(file, 'utf8'));
    expect(saved.rollbackLinks['rl-1']).toEqual(link);
  });
});

describe('FileLedger digest windows', () => {
  const entry = (id: string) => ({ kind: 'approval' as const, remediationId: `r-${id}`, approvalId: `ap-${id}` });

  it('collects entries of an open window; closing answers them once; a late join is refused', async () => {
    const ledger = new FileLedger(file);
    expect(await ledger.openDigestWindows()).toEqual([]);
    expect(await ledger.joinDigestWindow(600, entry('a'), 5000)).toBe(true);
    expect(await ledger.joinDigestWindow(600, entry('b'), 5000)).toBe(true);
    expect(await ledger.joinDigestWindow(900, entry('c'), 5000)).toBe(true);
    expect(await ledger.openDigestWindows()).toEqual([600, 900]);
    const closing = [new FileLedger(file), new FileLedger(file)].map((each) => each.closeDigestWindow(600, 5000));
    const answers = await Promise.all(closing);
    expect(answers.filter((answer) => answer !== undefined)).toEqual([[entry('a'), entry('b')]]);
    expect(await ledger.openDigestWindows()).toEqual([900]);
    expect(await ledger.joinDigestWindow(600, entry('late'), 5000)).toBe(false);
  });

  it('keeps a digest by id', async () => {
    const ledger = new FileLedger(file);
    const digest = {
      digestId: 'd'.repeat(24),
      windowStart: 600,
      entries: [entry('a')],
      createdAt: '2025-01-01T00:00:00.000Z',
      expiresAt: 9000,
      csrfSecret: 's'.repeat(43),
    };
    await ledger.putDigest(digest);
    expect(await new FileLedger(file).getDigest(digest.digestId)).toEqual(digest);
    expect(await ledger.getDigest('x'.repeat(24))).toBeUndefined();
  });
});
