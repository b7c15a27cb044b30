/**
 * A rollback on a real account must not make things worse: it refuses a state file that is not the one its remediation
 * left before it takes any lock, and it takes its own remediation's lock over only when that run is gone.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createLocalDeps } from '../../cli/deps.ts';
import { canonicalJson } from '../../handlers/core/snapshot.ts';
import { runCli, tempDirPerTest } from '../support/cli.ts';

const repo = join(import.meta.dirname, '..', '..');
const sample = join(repo, 'cli', 'demo', 'web-app.state.json');
const DEFAULT_GROUP = 'sg-07d2e3f4a5b6c7d8e';
const LOCK_KEY = `111122223333/us-east-1/${DEFAULT_GROUP}`;

const tempDir = tempDirPerTest('dsr-rollback-');
const read = (path: string) => JSON.parse(readFileSync(path, 'utf8'));
const store = () => join(tempDir(), 'store');
const ledgerFile = () => join(store(), 'ledger.json');

async function remediated(): Promise<{ id: string; after: string }> {
  const after = join(tempDir(), 'after.json');
  const result = await runCli(
    'remediate',
    ...['--state', sample, '--group', DEFAULT_GROUP, '--approve', 'auto', '--store', store(), '--out', after, '--json'],
  );
  expect(result.json.outcome).toBe('remediated');
  return { id: result.json.remediationId, after };
}

/** The lock as a remediation run that is still in the ledger leaves it: held by `pid` on this host. */
function lockHeldByItsRun(id: string, pid: number): void {
  const ledger = read(ledgerFile());
  ledger.locks[LOCK_KEY] = {
    remediationId: id,
    token: 'token-of-the-remediation-run-0000',
    kind: 'remediation',
    expiresAt: Math.floor(Date.now() / 1000) + 7 * 86400,
    pid,
    host: hostname(),
    takenAt: new Date().toISOString(),
  };
  writeFileSync(ledgerFile(), JSON.stringify(ledger));
}

describe('rollback safety', () => {
  it('refuses the state file from before the remediation, naming the one it left, before any lock (exit 2)', async () => {
    const { id, after } = await remediated();
    const before = readFileSync(ledgerFile(), 'utf8');
    const result = await runCli('rollback', '--remediation', id, '--state', sample, '--store', store(), '--json');
    expect(result.code).toBe(2);
    expect(result.json.reasons.join(' ')).toContain(`--state ${sample} is not the state ${id} left`);
    expect(result.json.reasons.join(' ')).toContain(`Its run left its state in ${after}`);
    expect(readFileSync(ledgerFile(), 'utf8')).toBe(before);
  });

  it('takes over the lock of its own remediation whose process is gone, says so, and releases it', async () => {
    const { id, after } = await remediated();
    const gone = spawnSync(process.execPath, ['-e', '']).pid as number;
    lockHeldByItsRun(id, gone);
    const restored = join(tempDir(), 'restored.json');
    const result = await runCli(
      'rollback',
      '--remediation',
      id,
      '--state',
      after,
      '--store',
      store(),
      '--out',
      restored,
    );
    expect(result.code).toBe(0);
    expect(result.stderr).toContain(`held by its remediation run (pid ${gone} on ${hostname()}`);
    expect(result.stderr).toContain('that process is gone');
    expect(result.stdout).toContain('Outcome: rolled-back');
    expect(canonicalJson(read(restored))).toBe(canonicalJson(read(sample)));
    expect(read(ledgerFile()).locks).toEqual({});
  });

  it('refuses while its remediation run is alive, saying how to stop it, changing nothing (exit 1)', async () => {
    const { id, after } = await remediated();
    lockHeldByItsRun(id, process.pid);
    const out = join(tempDir(), 'out.json');
    const result = await runCli('rollback', '--remediation', id, '--state', after, '--store', store(), '--out', out);
    expect(result.code).toBe(1);
    expect(result.stdout).toContain(`kill -TERM ${process.pid}`);
    expect(canonicalJson(read(out))).toBe(canonicalJson(read(after)));
    expect(read(ledgerFile()).locks[LOCK_KEY].pid).toBe(process.pid);
  });

  it('a missing state file or an unwritable --out is invalid input naming the path (exit 2)', async () => {
    const missing = join(tempDir(), 'missing.json');
    const plan = await runCli('plan', '--state', missing, '--group', DEFAULT_GROUP, '--json');
    expect(plan.code).toBe(2);
    expect(plan.json.reasons.join(' ')).toContain(missing);
    const out = join(tempDir(), 'no-such-dir', 'out.json');
    const remediate = await runCli(
      ...['remediate', '--state', sample, '--group', DEFAULT_GROUP, '--approve', 'auto', '--store', store()],
      ...['--out', out, '--json'],
    );
    expect(remediate.code).toBe(2);
    expect(remediate.json.reasons.join(' ')).toContain(out);
  });
});

describe('a real account from the command line', () => {
  const saved = { ...process.env };
  afterEach(() => {
    process.env = { ...saved };
  });

  it('is paced as the deployed functions are: adaptively, on the real clock, told of throttles', async () => {
    const deps = createLocalDeps({ storeDir: store() });
    const started = Date.now();
    // Within half of ModifyNetworkInterfaceAttribute's 100-token burst: no wait.
    for (let call = 0; call < 3; call++) await deps.pace('ModifyNetworkInterfaceAttribute');
    expect(Date.now() - started).toBeLessThan(500);
    // The EC2 client reports refused attempts to it (handlers/adapters/aws/throttle-feedback.ts).
    expect(typeof deps.pace.throttled).toBe('function');
  });

  it('--region reaches the account lookup (no AWS_REGION needed)', async () => {
    delete process.env.AWS_REGION;
    delete process.env.AWS_DEFAULT_REGION;
    process.env.AWS_ACCESS_KEY_ID = 'AKIDEXAMPLE';
    process.env.AWS_SECRET_ACCESS_KEY = 'secret';
    process.env.AWS_ENDPOINT_URL = 'http://127.0.0.1:9';
    process.env.AWS_MAX_ATTEMPTS = '1';
    const result = await runCli('plan', '--group', DEFAULT_GROUP, '--region', 'eu-west-1', '--json');
    expect(result.code).toBe(1);
    // It got as far as calling STS in eu-west-1 (refused: nothing listens there), not "Region is missing".
    expect(result.json.reasons.join(' ')).not.toMatch(/region is missing/i);
    expect(result.json.reasons.join(' ')).toMatch(/ECONNREFUSED|connect/i);
  });
});
