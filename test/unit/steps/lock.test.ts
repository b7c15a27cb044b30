import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createLocalDeps } from '../../../cli/deps.ts';
import { Ec2Simulator } from '../../../handlers/adapters/local/ec2-simulator.ts';
import type { Ec2State } from '../../../handlers/core/ec2-shapes.ts';
import { InvalidInputError } from '../../../handlers/core/errors.ts';
import type { Deps } from '../../../handlers/steps/deps.ts';
import { releaseLock, takeLock } from '../../../handlers/steps/lock.ts';

const target = { accountId: '111122223333', region: 'us-east-1', groupId: 'sg-07d2e3f4a5b6c7d8e' };
const other = { ...target, groupId: 'sg-07a1b2c3d4e5f6a7b' };
const T0 = new Date('2024-05-01T12:00:00.000Z');
const TTL = 3600;

let dir: string;
let deps: Deps;
let clock: Date;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'dsr-lock-'));
  const state = JSON.parse(
    readFileSync(new URL('../../../../shared/examples/web-app.state.json', import.meta.url), 'utf8'),
  ) as Ec2State;
  clock = T0;
  deps = {
    ...createLocalDeps({
      simulator: Ec2Simulator.fromState(state),
      storeDir: dir,
      settings: { approvalTimeoutSeconds: TTL / 2, runAllowanceSeconds: TTL / 2 },
    }),
    now: () => clock,
  };
});

afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

async function acquired(raw: unknown) {
  const result = await takeLock(raw, deps);
  if (!result.acquired) throw new Error(`not acquired: ${result.reasons.join(' ')}`);
  return result;
}

describe('takeLock', () => {
  it('takes a free lock with a fresh token', async () => {
    const result = await acquired({ remediationId: 'rem-1', target, kind: 'remediation' });
    expect(result.inherited).toBe(false);
    expect(result.token.length).toBeGreaterThanOrEqual(16);
  });

  it('refuses a lock held by another run, with a readable reason', async () => {
    await acquired({ remediationId: 'rem-1', target, kind: 'remediation' });
    const result = await takeLock({ remediationId: 'rem-2', target, kind: 'remediation' }, deps);
    expect(result.acquired).toBe(false);
    if (result.acquired) return;
    expect(result.reasons).toStrictEqual([
      `${target.groupId} is locked by the remediation rem-1 until ${new Date(T0.getTime() + TTL * 1000).toISOString()}; only one remediation or rollback of a group runs at a time.`,
    ]);
    expect(result).not.toHaveProperty('token');
  });

  it('a rollback is refused too while a remediation holds the lock', async () => {
    await acquired({ remediationId: 'rem-1', target, kind: 'remediation' });
    const result = await takeLock({ remediationId: 'rem-1', target, kind: 'rollback' }, deps);
    expect(result.acquired).toBe(false);
  });

  it('locks per group', async () => {
    await acquired({ remediationId: 'rem-1', target, kind: 'remediation' });
    await acquired({ remediationId: 'rem-2', target: other, kind: 'remediation' });
  });

  it('re-enters with the same token (a rollback started by the remediation)', async () => {
    const first = await acquired({ remediationId: 'rem-1', target, kind: 'remediation' });
    const again = await acquired({ remediationId: 'rem-1', target, kind: 'rollback', token: first.token });
    expect(again).toStrictEqual({ acquired: true, token: first.token, inherited: true });
  });

  it('refuses a wrong token', async () => {
    await acquired({ remediationId: 'rem-1', target, kind: 'remediation' });
    const result = await takeLock(
      { remediationId: 'rem-1', target, kind: 'rollback', token: 'not-the-token-0123456789' },
      deps,
    );
    expect(result.acquired).toBe(false);
  });

  it('takes over an expired lock', async () => {
    await acquired({ remediationId: 'rem-1', target, kind: 'remediation' });
    clock = new Date(T0.getTime() + (TTL + 1) * 1000);
    await acquired({ remediationId: 'rem-2', target, kind: 'remediation' });
  });

  it('refuses invalid input before touching the ledger', async () => {
    await expect(
      takeLock({ remediationId: 'rem-1', target: { ...target, groupId: 'default' }, kind: 'remediation' }, deps),
    ).rejects.toBeInstanceOf(InvalidInputError);
    await expect(takeLock({ remediationId: 'rem 1', target, kind: 'remediation' }, deps)).rejects.toBeInstanceOf(
      InvalidInputError,
    );
    await expect(takeLock({ remediationId: 'rem-1', target, kind: 'other' }, deps)).rejects.toBeInstanceOf(
      InvalidInputError,
    );
    await expect(
      takeLock({ remediationId: 'rem-1', target, kind: 'rollback', token: 'short' }, deps),
    ).rejects.toBeInstanceOf(InvalidInputError);
  });
});

describe('releaseLock', () => {
  it('releases the lock held with the token, so another run can take it', async () => {
    const lock = await acquired({ remediationId: 'rem-1', target, kind: 'remediation' });
    expect(await releaseLock({ target, lock }, deps)).toStrictEqual({ released: true });
    await acquired({ remediationId: 'rem-2', target, kind: 'remediation' });
  });

  it('is a no-op for a rollback that inherited the lock: the remediation still holds it', async () => {
    const lock = await acquired({ remediationId: 'rem-1', target, kind: 'remediation' });
    const inherited = await acquired({ remediationId: 'rem-1', target, kind: 'rollback', token: lock.token });
    expect(await releaseLock({ target, lock: inherited }, deps)).toStrictEqual({ released: false });
    expect((await takeLock({ remediationId: 'rem-2', target, kind: 'remediation' }, deps)).acquired).toBe(false);
    expect(await releaseLock({ target, lock }, deps)).toStrictEqual({ released: true });
    await acquired({ remediationId: 'rem-2', target, kind: 'remediation' });
  });

  it('is a no-op for a run that never took the lock', async () => {
    await acquired({ remediationId: 'rem-1', target, kind: 'remediation' });
    expect(await releaseLock({ target }, deps)).toStrictEqual({ released: false });
    expect(await releaseLock({ target, lock: {} }, deps)).toStrictEqual({ released: false });
    expect((await takeLock({ remediationId: 'rem-2', target, kind: 'remediation' }, deps)).acquired).toBe(false);
  });

  it('does not release a lock held with another token', async () => {
    await acquired({ remediationId: 'rem-1', target, kind: 'remediation' });
    await releaseLock({ target, lock: { token: 'someone-elses-token-0123' } }, deps);
    expect((await takeLock({ remediationId: 'rem-2', target, kind: 'remediation' }, deps)).acquired).toBe(false);
  });
});
