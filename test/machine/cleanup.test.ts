/**
 * Failures clean up after themselves (I9, issue 10 point 6), through the real definitions: EC2 refuses an Authorize
 * for good — as it does over a quota, through a deleted peering connection or for a rule it finds malformed
 * (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/errors-overview.html) — while the copy is filled or a twin
 * is added. The run must end exactly at its snapshot (no copy, no rule the default group did not have, the lock
 * released), fail with the refusal as its cause, and never send the refused call again.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { resultOf } from '../../cli/main.ts';
import type { Ec2Action } from '../../handlers/adapters/local/ec2-simulator.ts';
import type { Ec2State, IpPermission } from '../../handlers/core/ec2-shapes.ts';
import { Ec2ApiError } from '../../handlers/core/errors.ts';
import { lockKey } from '../../handlers/steps/common.ts';
import {
  callsOf,
  createSession,
  disposeAll,
  examplePath,
  groupById,
  newGroups,
  normalizeState,
  readJson,
  type Session,
} from '../support/harness.ts';

afterEach(disposeAll);

const SAMPLE_DEFAULT = 'sg-07d2e3f4a5b6c7d8e';
const SAMPLE_ALB = 'sg-07a1b2c3d4e5f6a7b';
const target = { accountId: '111122223333', region: 'us-east-1', groupId: SAMPLE_DEFAULT };

const sampleState = () => readJson<Ec2State>(examplePath('web-app.state.json'));

type Authorize = 'AuthorizeSecurityGroupIngress' | 'AuthorizeSecurityGroupEgress';
type AuthorizeInput = { GroupId: string; IpPermissions: IpPermission[] };

/** The quota refusal EC2 answers when a group would exceed its rules per group. */
const quotaRefusal = () =>
  new Ec2ApiError(
    'RulesPerSecurityGroupLimitExceeded',
    'The maximum number of rules per security group has been reached.',
  );

/**
 * EC2 refuses, from now on, every `action` call that `matches`: what a full group or an unusable peering does (the
 * same call fails however often it is sent). Answers the refused calls, to check they were not repeated.
 */
function refuseForGood(
  session: Session,
  action: Authorize,
  matches: (input: AuthorizeInput) => boolean,
  refusal: () => Error = quotaRefusal,
): AuthorizeInput[] {
  const refused: AuthorizeInput[] = [];
  session.setHooks({
    before(called: Ec2Action, input: unknown) {
      if (called !== action || !matches(input as AuthorizeInput)) return;
      refused.push(input as AuthorizeInput);
      throw refusal();
    },
  });
  return refused;
}

const referencesGroup = (input: AuthorizeInput, groupId: string) =>
  input.IpPermissions.some((permission) =>
    (permission.UserIdGroupPairs ?? []).some((pair) => pair.GroupId === groupId),
  );

async function lockIsFree(session: Session): Promise<boolean> {
  const now = Math.floor(session.deps.now().getTime() / 1000);
  const probe = { remediationId: 'probe', token: 'probe-token-0000000000', kind: 'remediation' as const };
  const result = await session.deps.ledger.acquireLock(lockKey(target), { ...probe, expiresAt: now + 60 }, now);
  if (result.acquired) await session.deps.ledger.releaseLock(lockKey(target), probe.token);
  return result.acquired;
}

/** Failed with the refusal as its cause, rolled back by its child, exactly at the snapshot, the lock released. */
async function expectCleanFailure(session: Session, result: Awaited<ReturnType<Session['remediate']>>, code: string) {
  expect(result.status, JSON.stringify(result)).toBe('FAILED');
  expect(result.error).toBe(code);
  expect(result.children.map((child) => child.status)).toEqual(['SUCCEEDED']);
  const after = session.simulator.toState();
  expect(newGroups(session.original, after)).toEqual([]);
  expect(normalizeState(after)).toEqual(normalizeState(session.original));
  expect(await lockIsFree(session)).toBe(true);
  // The command line: exit 1 (failed), rolled back, the refusal in words.
  const cli = resultOf(result);
  expect(cli).toMatchObject({ outcome: 'failed', rolledBack: true, error: code });
  expect(cli.reasons?.join(' ')).toMatch(/maximum number of rules|does not exist|malformed|different networks/i);
  expect(JSON.stringify(cli.reasons)).not.toContain('{');
}

describe('a refusal before any interface moved is cleaned up exactly', () => {
  it('the copy cannot be filled (quota): no rule is added to the default group, the copy is deleted, the lock released', async () => {
    const session = createSession(sampleState());
    const original = new Set(session.original.SecurityGroups.map((group) => group.GroupId));
    // Any Authorize on a group that was not there before: the copy.
    const refused = refuseForGood(session, 'AuthorizeSecurityGroupIngress', (input) => !original.has(input.GroupId));
    const result = await session.remediate();
    await expectCleanFailure(session, result, 'RulesPerSecurityGroupLimitExceeded');
    // Refused once, and never sent again by the rollback.
    expect(refused).toHaveLength(1);
    // Nothing was ever authorized on the default group (no twin of its self-reference: nobody was on the copy).
    const onDefault = callsOf(session.trace).filter(
      (call) => call.action.startsWith('Authorize') && (call.input as AuthorizeInput).GroupId === SAMPLE_DEFAULT,
    );
    expect(onDefault).toEqual([]);
    expect(callsOf(session.trace).filter((call) => call.action === 'ModifyNetworkInterfaceAttribute')).toEqual([]);
  });

  it("the default group's own twin is refused (quota on the default group): it ends with exactly its rules", async () => {
    const session = createSession(sampleState());
    const refused = refuseForGood(
      session,
      'AuthorizeSecurityGroupIngress',
      (input) => input.GroupId === SAMPLE_DEFAULT && !referencesGroup(input, SAMPLE_DEFAULT),
    );
    const result = await session.remediate();
    await expectCleanFailure(session, result, 'RulesPerSecurityGroupLimitExceeded');
    expect(refused).toHaveLength(1);
    expect(groupById(session.simulator.toState(), SAMPLE_DEFAULT)).toEqual(groupById(session.original, SAMPLE_DEFAULT));
  });

  it('a twin through an unusable connection is refused: the twins already added are revoked, nothing re-sent', async () => {
    const session = createSession(sampleState());
    const refused = refuseForGood(
      session,
      'AuthorizeSecurityGroupEgress',
      (input) => input.GroupId === SAMPLE_ALB,
      () =>
        new Ec2ApiError('InvalidGroup.NotFound', 'You have specified two resources that belong to different networks.'),
    );
    const result = await session.remediate();
    await expectCleanFailure(session, result, 'InvalidGroup.NotFound');
    expect(refused).toHaveLength(1);
  });

  it('a second remediation after the clean failure runs (it is not skipped as busy)', async () => {
    const session = createSession(sampleState());
    const original = new Set(session.original.SecurityGroups.map((group) => group.GroupId));
    refuseForGood(session, 'AuthorizeSecurityGroupIngress', (input) => !original.has(input.GroupId));
    const failed = await session.remediate({ executionName: 'rem-refused' });
    expect(failed.status).toBe('FAILED');
    session.setHooks({});
    const again = await session.remediate({ executionName: 'rem-again' });
    expect(again.status, JSON.stringify(again)).toBe('SUCCEEDED');
    expect(again.output?.outcome).toBe('remediated');
  });
});

describe('a refusal while the re-check migrates drift is cleaned up to the drifted snapshot', () => {
  /** Someone adds an inbound SSH rule to the default group, and an instance joins it, during the wait. */
  async function drift(simulator: Session['simulator']): Promise<void> {
    await simulator.authorizeSecurityGroupIngress({
      GroupId: SAMPLE_DEFAULT,
      IpPermissions: [{ IpProtocol: 'tcp', FromPort: 22, ToPort: 22, IpRanges: [{ CidrIp: '10.9.0.0/16' }] }],
    });
    await simulator.modifyNetworkInterfaceAttribute({
      NetworkInterfaceId: 'eni-07000000000000014',
      Groups: ['sg-07c9d8e7f6a5b4c3d', SAMPLE_DEFAULT],
    });
  }

  it('the copy refuses the rule added to the default group during the wait: nothing is re-sent, revision 2 restored', async () => {
    const reference = createSession(sampleState());
    await drift(reference.simulator);
    const drifted = reference.simulator.toState();
    const session = createSession(sampleState());
    const original = new Set(session.original.SecurityGroups.map((group) => group.GroupId));
    let refused: AuthorizeInput[] = [];
    const result = await session.remediate({
      async onApproval(simulator) {
        await drift(simulator);
        // From now on the copy is full.
        refused = refuseForGood(session, 'AuthorizeSecurityGroupIngress', (input) => !original.has(input.GroupId));
      },
    });
    expect(result.status, JSON.stringify(result)).toBe('FAILED');
    expect(result.error).toBe('RulesPerSecurityGroupLimitExceeded');
    expect(result.children.map((child) => child.status)).toEqual(['SUCCEEDED']);
    expect(refused).toHaveLength(1);
    expect(normalizeState(session.simulator.toState())).toEqual(normalizeState(drifted));
    expect(await lockIsFree(session)).toBe(true);
  });
});

describe('a rollback that fails is reported in words, and blocks the group until it is re-run', () => {
  it('the child failure reaches the remediation as States.TaskFailed; the CLI and the notice read it', async () => {
    const session = createSession(sampleState());
    // The remediation fails at its first move; then every Revoke is denied, so its rollback fails too.
    let phase: 'move' | 'rollback' = 'move';
    session.setHooks({
      before(action) {
        if (phase === 'move' && action === 'ModifyNetworkInterfaceAttribute') {
          phase = 'rollback';
          throw new Ec2ApiError('UnauthorizedOperation', 'You are not authorized to perform this operation.');
        }
        if (phase === 'rollback' && action.startsWith('Revoke'))
          throw new Ec2ApiError('UnauthorizedOperation', 'You are not authorized to perform this operation.');
      },
    });
    const result = await session.remediate({ executionName: 'rem-stuck' });
    expect(result.status).toBe('FAILED');
    expect(result.error).toBe('RollbackFailed');
    const described = JSON.parse(result.cause ?? '');
    expect(described).toMatchObject({ Status: 'FAILED', Error: 'UnauthorizedOperation' });
    expect(described.ExecutionArn).toMatch(/^arn:aws:states:[^:]+:\d{12}:execution:/);
    const cli = resultOf(result);
    expect(cli.reasons?.[0]).toMatch(/^The rollback execution rb-\S+ failed with UnauthorizedOperation\.$/);
    expect(cli.reasons).toContain('You are not authorized to perform this operation.');
    const notice = session.notifications.at(-1)?.message ?? '';
    expect(notice).toContain('failed with UnauthorizedOperation');
    expect(notice).not.toContain('{"');

    // The next remediation of the group fails (exit 1), naming the rollback to re-run; it changes nothing.
    session.setHooks({});
    const before = session.simulator.toState();
    const next = await session.remediate({ executionName: 'rem-next' });
    expect(next.status).toBe('FAILED');
    expect(next.error).toBe('RollbackUnfinished');
    expect(resultOf(next).reasons?.join(' ')).toContain('npm run cli -- rollback --remediation rem-stuck');
    expect(session.simulator.toState()).toEqual(before);

    // Re-running that rollback restores the snapshot and frees the group.
    const rerun = await session.rollback('rem-stuck');
    expect(rerun.status, JSON.stringify(rerun)).toBe('SUCCEEDED');
    expect(normalizeState(session.simulator.toState())).toEqual(normalizeState(session.original));
    expect(await lockIsFree(session)).toBe(true);
  });
});
