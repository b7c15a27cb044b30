import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createLocalDeps } from '../../../cli/deps.ts';
import { Ec2Simulator } from '../../../handlers/adapters/local/ec2-simulator.ts';
import type { Ec2State } from '../../../handlers/core/ec2-shapes.ts';
import { InvalidInputError } from '../../../handlers/core/errors.ts';
import { describePlan } from '../../../handlers/core/messages.ts';
import type { Plan } from '../../../handlers/core/plan.ts';
import { planRemediation } from '../../../handlers/core/plan.ts';
import { sealSnapshot, snapshotKey } from '../../../handlers/core/snapshot.ts';
import type { Notification, TaskCallbacks } from '../../../handlers/ports.ts';
import { decideApproval, requestApproval } from '../../../handlers/steps/approval.ts';
import type { Deps } from '../../../handlers/steps/deps.ts';
import { readInventory } from '../../../handlers/steps/discover.ts';

const target = { accountId: '111122223333', region: 'us-east-1', groupId: 'sg-07d2e3f4a5b6c7d8e' };
const REMEDIATION = 'rem-approval-1';
const TASK_TOKEN = `AQCEAAAAKgAAAAMAAAAAAAAAA${'s3cr3tT0k3n'.repeat(20)}==`;
const T0 = new Date('2024-05-01T12:00:00.000Z');
const TIMEOUT = 3600;

let dir: string;
let deps: Deps;
let clock: Date;
let sent: Notification[];
let plan: Plan;

function callbacks() {
  const succeed = vi.fn<TaskCallbacks['succeed']>(async () => {});
  const fail = vi.fn<TaskCallbacks['fail']>(async () => {});
  return { succeed, fail };
}

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'dsr-approval-'));
  const state = JSON.parse(
    readFileSync(new URL('../../../../shared/examples/web-app.state.json', import.meta.url), 'utf8'),
  ) as Ec2State;
  sent = [];
  clock = T0;
  const simulator = Ec2Simulator.fromState(state);
  deps = {
    ...createLocalDeps({
      simulator,
      storeDir: dir,
      notifier: {
        async publish(notification) {
          sent.push(notification);
        },
      },
      settings: { approvalTimeoutSeconds: TIMEOUT },
    }),
    now: () => clock,
  };
  const inventory = await readInventory(simulator, target);
  plan = planRemediation(inventory, { remediationId: REMEDIATION });
  const snapshot = sealSnapshot({ remediationId: REMEDIATION, createdAt: T0.toISOString(), inventory, plan });
  await deps.store.put(snapshotKey(REMEDIATION), JSON.stringify(snapshot));
});

afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

const request = (extra: Record<string, unknown> = {}) =>
  requestApproval({ remediationId: REMEDIATION, target, taskToken: TASK_TOKEN, ...extra }, deps);

describe('requestApproval', () => {
  it('stores the task token under an opaque id of at least 128 bits, not the token', async () => {
    const { approvalId, expiresAt } = await request();
    expect(approvalId).not.toBe(TASK_TOKEN);
    expect(TASK_TOKEN).not.toContain(approvalId);
    expect(approvalId).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(Buffer.from(approvalId, 'base64url').length * 8).toBeGreaterThanOrEqual(128);
    expect(expiresAt).toBe(T0.getTime() / 1000 + TIMEOUT);
    expect(await deps.ledger.getApproval(approvalId)).toStrictEqual({
      approvalId,
      remediationId: REMEDIATION,
      taskToken: TASK_TOKEN,
      status: 'pending',
      expiresAt,
      createdAt: T0.toISOString(),
    });
  });

  it('gives every request its own id', async () => {
    const ids = new Set<string>();
    for (let i = 0; i < 5; i++) ids.add((await request()).approvalId);
    expect(ids.size).toBe(5);
  });

  it('sends the plan in words, never the task token', async () => {
    await request();
    expect(sent).toHaveLength(1);
    const [notification] = sent as [Notification];
    expect(notification.subject).toBe(`Approve EC2.2 remediation of ${target.groupId} (111122223333 us-east-1)`);
    for (const line of describePlan(plan)) expect(notification.message).toContain(line);
    expect(notification.message).toContain('Nothing has been changed so far.');
    expect(notification.message).toContain(new Date((T0.getTime() / 1000 + TIMEOUT) * 1000).toISOString());
    expect(`${notification.subject}\n${notification.message}`).not.toContain(TASK_TOKEN);
    expect(notification.message).not.toContain('s3cr3tT0k3n');
  });

  it('links to the approval page by id when deployed, and says what was done', async () => {
    deps.settings = { ...deps.settings, linkBaseUrl: 'https://approve.example.com/prod/' };
    const { approvalId } = await request({ replacementGroupId: 'sg-0c0000000000000c1' });
    const [notification] = sent as [Notification];
    // The link right under the one-line summary, then the host it goes to.
    const lines = notification.message.split('\n');
    expect(lines[1]).toBe(`Review and decide: https://approve.example.com/prod/approvals/${approvalId}`);
    expect(lines[2]).toBe(
      "Links in this message go to https://approve.example.com (this deployment's approval API) and nowhere else.",
    );
    expect(notification.message).toContain('replacement group sg-0c0000000000000c1 created');
    expect(notification.message).not.toContain(TASK_TOKEN);
    expect(notification.message).not.toContain('s3cr3tT0k3n');
  });

  it('names the finding, and in a local run says the command line decides instead of showing a link', async () => {
    const findingId = 'arn:aws:securityhub:us-east-1:111122223333:security-control/EC2.2/finding/abc';
    const { approvalId } = await request({ target: { ...target, findingId } });
    const [notification] = sent as [Notification];
    expect(notification.message).toContain(`Finding: ${findingId}`);
    expect(notification.message).toContain('decided on the command line (--approve auto|reject|prompt|web)');
    expect(notification.message).toContain('This message has no links: the command line that started the run decides.');
    expect(notification.message).not.toContain(approvalId);
  });

  it('refuses without a snapshot, before storing or sending anything', async () => {
    await expect(
      requestApproval({ remediationId: 'rem-unknown', target, taskToken: TASK_TOKEN }, deps),
    ).rejects.toBeInstanceOf(InvalidInputError);
    expect(sent).toHaveLength(0);
  });

  it('refuses a snapshot of another group', async () => {
    await expect(
      requestApproval(
        { remediationId: REMEDIATION, target: { ...target, groupId: 'sg-07a1b2c3d4e5f6a7b' }, taskToken: TASK_TOKEN },
        deps,
      ),
    ).rejects.toBeInstanceOf(InvalidInputError);
    expect(sent).toHaveLength(0);
  });

  it('refuses input without a task token', async () => {
    await expect(requestApproval({ remediationId: REMEDIATION, target }, deps)).rejects.toBeInstanceOf(
      InvalidInputError,
    );
  });
});

describe('decideApproval', () => {
  it('approves once, sending the token back exactly once', async () => {
    const { approvalId } = await request();
    const cb = callbacks();
    expect(await decideApproval(approvalId, 'approved', deps, cb)).toStrictEqual({
      outcome: 'approved',
      remediationId: REMEDIATION,
    });
    expect(cb.succeed).toHaveBeenCalledTimes(1);
    expect(cb.succeed.mock.calls[0]?.[0]).toBe(TASK_TOKEN);
    expect(cb.succeed.mock.calls[0]?.[1]).toMatchObject({ decision: 'approved' });
    expect(cb.fail).not.toHaveBeenCalled();
    expect((await deps.ledger.getApproval(approvalId))?.status).toBe('approved');

    for (const decision of ['approved', 'rejected'] as const) {
      expect(await decideApproval(approvalId, decision, deps, cb)).toStrictEqual({
        outcome: 'already-decided',
        remediationId: REMEDIATION,
      });
    }
    expect(cb.succeed).toHaveBeenCalledTimes(1);
    expect(cb.fail).not.toHaveBeenCalled();
  });

  it('rejects once, failing the task exactly once', async () => {
    const { approvalId } = await request();
    const cb = callbacks();
    expect((await decideApproval(approvalId, 'rejected', deps, cb)).outcome).toBe('rejected');
    expect(cb.fail).toHaveBeenCalledTimes(1);
    expect(cb.fail.mock.calls[0]?.[0]).toBe(TASK_TOKEN);
    expect(cb.fail.mock.calls[0]?.[1]).toBe('Rejected');
    expect(cb.succeed).not.toHaveBeenCalled();
    expect((await decideApproval(approvalId, 'approved', deps, cb)).outcome).toBe('already-decided');
    expect(cb.succeed).not.toHaveBeenCalled();
    expect(cb.fail).toHaveBeenCalledTimes(1);
  });

  it('answers unknown for an id it never issued, calling nothing', async () => {
    await request();
    const cb = callbacks();
    expect(await decideApproval('AAAAAAAAAAAAAAAAAAAAAAAA', 'approved', deps, cb)).toStrictEqual({
      outcome: 'unknown',
    });
    expect(await decideApproval(TASK_TOKEN, 'approved', deps, cb)).toStrictEqual({ outcome: 'unknown' });
    expect(cb.succeed).not.toHaveBeenCalled();
    expect(cb.fail).not.toHaveBeenCalled();
  });

  it('answers expired after the timeout, calling nothing', async () => {
    const { approvalId } = await request();
    clock = new Date(T0.getTime() + (TIMEOUT + 1) * 1000);
    const cb = callbacks();
    expect(await decideApproval(approvalId, 'approved', deps, cb)).toStrictEqual({
      outcome: 'expired',
      remediationId: REMEDIATION,
    });
    expect(cb.succeed).not.toHaveBeenCalled();
    expect(cb.fail).not.toHaveBeenCalled();
  });

  it('two decisions at once: exactly one wins, one callback in all', async () => {
    const { approvalId } = await request();
    const cb = callbacks();
    const outcomes = await Promise.all([
      decideApproval(approvalId, 'approved', deps, cb),
      decideApproval(approvalId, 'rejected', deps, cb),
    ]);
    expect(outcomes.map((o) => o.outcome).filter((o) => o === 'already-decided')).toHaveLength(1);
    expect(cb.succeed.mock.calls.length + cb.fail.mock.calls.length).toBe(1);
  });
});
