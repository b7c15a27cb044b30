/**
 * The real state machine definitions (`state-machine/*.asl.json`), run end to end by the local runner against the EC2
 * simulator, one test per scenario: outcomes, the EC2 state they leave, and the rollback back to the original.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { Ec2State, SecurityGroup } from '../../handlers/core/ec2-shapes.ts';
import { compareTraffic, diffFlows } from '../../handlers/core/reachability.ts';
import { lockKey } from '../../handlers/steps/common.ts';
import { generateVpc } from '../support/generate-vpc.ts';
import {
  callsOf,
  createSession,
  directInput,
  disposeAll,
  eniGroups,
  eventFixture,
  examplePath,
  expectedAfterRemediation,
  firstDefaultGroupId,
  flowsOf,
  groupById,
  groupByName,
  newGroups,
  normalizeState,
  type RemediationRun,
  readJson,
  remediateState,
  rulesOfGroup,
  rulesReferencing,
  scenarioState,
} from '../support/harness.ts';

afterEach(disposeAll);

const ACCOUNT = '111122223333';
const SAMPLE_DEFAULT = 'sg-07d2e3f4a5b6c7d8e';
const SAMPLE_ALB = 'sg-07a1b2c3d4e5f6a7b';
const SAMPLE_API = 'sg-07c9d8e7f6a5b4c3d';

function sampleState(): Ec2State {
  return readJson<Ec2State>(examplePath('web-app.state.json'));
}

function outcomeOf(run: { result: { output?: Record<string, unknown> } }): unknown {
  return run.result.output?.outcome;
}

/** The one group the remediation created (the replacement), or undefined. */
function replacementOf(run: RemediationRun): SecurityGroup | undefined {
  const created = newGroups(run.before, run.after);
  expect(created.length).toBeLessThanOrEqual(1);
  return created[0];
}

/**
 * A successful remediation: outcome remediated, the state is exactly what the plan promises (see
 * expectedAfterRemediation), traffic is unchanged; then the rollback restores the original exactly.
 */
async function expectRemediatedThenRolledBack(
  run: RemediationRun,
  options: { replacement?: boolean } = {},
): Promise<SecurityGroup | undefined> {
  const defaultGroupId = firstDefaultGroupId(run.before);
  expect(run.result.status, JSON.stringify(run.result)).toBe('SUCCEEDED');
  expect(outcomeOf(run)).toBe('remediated');
  const replacement = replacementOf(run);
  if (options.replacement ?? true) {
    expect(replacement).toBeDefined();
    expect(run.result.output?.replacementGroupId).toBe(replacement?.GroupId);
    expect(replacement?.VpcId).toBe(groupById(run.before, defaultGroupId).VpcId);
    expect(replacement?.Tags).toContainEqual({
      Key: 'default-sg-remediation:remediation-id',
      Value: run.result.executionName,
    });
  } else {
    expect(replacement).toBeUndefined();
    expect(run.simulator.callCounts().CreateSecurityGroup ?? 0).toBe(0);
  }
  const defaultGroup = groupById(run.after, defaultGroupId);
  expect(defaultGroup.IpPermissions).toEqual([]);
  expect(defaultGroup.IpPermissionsEgress).toEqual([]);
  expect(
    (run.after.NetworkInterfaces ?? []).filter((eni) => eni.Groups?.some((g) => g.GroupId === defaultGroupId)),
  ).toEqual([]);
  expect(normalizeState(run.after, { ignoreDerivedPairFields: true })).toEqual(
    normalizeState(expectedAfterRemediation(run.before, defaultGroupId, replacement, [], run.result.executionName), {
      ignoreDerivedPairFields: true,
    }),
  );
  // The expected state above implies it; the traffic model says it independently, at every size.
  expect(compareTraffic(run.before, run.after).differences).toEqual([]);
  expect(run.notifications.map((n) => n.subject)).toContain(`EC2.2 remediated: ${defaultGroupId}`);

  const rollback = await run.rollback();
  expect(rollback.result.status, JSON.stringify(rollback.result)).toBe('SUCCEEDED');
  expect(rollback.result.output?.outcome).toBe('rolled-back');
  // Exact: a restored peering reference is described with its PeeringStatus again.
  expect(normalizeState(rollback.after)).toEqual(normalizeState(run.before));
  expect(newGroups(run.before, rollback.after)).toEqual([]);
  return replacement;
}

/** Blocked: reasons given, no mutating EC2 call, the state exactly as before. */
function expectBlockedUnchanged(run: RemediationRun): string[] {
  expect(run.result.status).toBe('SUCCEEDED');
  expect(outcomeOf(run)).toBe('blocked');
  const reasons = run.result.output?.reasons as string[];
  expect(reasons.length).toBeGreaterThan(0);
  expect(run.session.mutatingCalls()).toEqual({});
  expect(run.after).toEqual(run.before);
  expect(run.notifications.map((n) => n.subject)).toContain(
    `EC2.2 remediation blocked, nothing changed: ${firstDefaultGroupId(run.before)}`,
  );
  return reasons;
}

describe('the sample web-app state (../shared/examples/web-app.state.json)', () => {
  it('remediates: default stripped, both instances on the copy, references retargeted, flows unchanged; rollback restores it exactly', async () => {
    const run = await remediateState(sampleState());
    expect(run.result.status).toBe('SUCCEEDED');
    expect(outcomeOf(run)).toBe('remediated');
    const replacement = replacementOf(run);
    if (!replacement?.GroupId) throw new Error('no replacement group');
    const copy = replacement.GroupId;

    const defaultGroup = groupById(run.after, SAMPLE_DEFAULT);
    expect(defaultGroup.IpPermissions).toEqual([]);
    expect(defaultGroup.IpPermissionsEgress).toEqual([]);
    expect(eniGroups(run.after, 'eni-07000000000000011')).toEqual([copy]);
    expect(eniGroups(run.after, 'eni-07000000000000012')).toEqual([copy]);
    expect(eniGroups(run.after, 'eni-07000000000000013')).toEqual([SAMPLE_ALB]);
    expect(eniGroups(run.after, 'eni-07000000000000014')).toEqual([SAMPLE_API]);

    // The copy: inbound all from itself (the self-reference retargeted), outbound all to 0.0.0.0/0 — nothing else.
    expect(rulesOfGroup(replacement, { ignoreDerivedPairFields: true })).toEqual({
      ingress: [{ protocol: '-1', list: 'UserIdGroupPairs', peer: { GroupId: copy, UserId: ACCOUNT } }],
      egress: [{ protocol: '-1', list: 'IpRanges', peer: { CidrIp: '0.0.0.0/0' } }],
    });
    expect(replacement.GroupName).toBe(`default-replacement-${run.result.executionName}`);

    const api = groupById(run.after, SAMPLE_API);
    expect(rulesReferencing(api, 'ingress', SAMPLE_DEFAULT)).toEqual([]);
    expect(rulesReferencing(api, 'ingress', copy)).toEqual([
      {
        protocol: 'tcp',
        from: 8443,
        to: 8443,
        list: 'UserIdGroupPairs',
        peer: { Description: 'workers on default', GroupId: copy, UserId: ACCOUNT },
      },
    ]);
    const alb = groupById(run.after, SAMPLE_ALB);
    expect(rulesReferencing(alb, 'egress', SAMPLE_DEFAULT)).toEqual([]);
    expect(rulesReferencing(alb, 'egress', copy)).toEqual([
      { protocol: 'tcp', from: 8080, to: 8080, list: 'UserIdGroupPairs', peer: { GroupId: copy, UserId: ACCOUNT } },
    ]);
    // The rules that do not reference the default group are untouched.
    expect(rulesOfGroup(alb).ingress).toEqual(rulesOfGroup(groupById(run.before, SAMPLE_ALB)).ingress);
    expect(rulesOfGroup(api).egress).toEqual(rulesOfGroup(groupById(run.before, SAMPLE_API)).egress);

    expect(diffFlows(flowsOf(run.before), flowsOf(run.after))).toEqual([]);
    const subjects = run.notifications.map((n) => n.subject);
    expect(subjects[0]).toMatch(/^Approve EC2\.2 remediation of sg-07d2e3f4a5b6c7d8e/);
    expect(subjects.at(-1)).toBe(`EC2.2 remediated: ${SAMPLE_DEFAULT}`);
    expect(run.notifications.at(-1)?.message).toContain(`rollback --remediation ${run.result.executionName}`);

    const rollback = await run.rollback();
    expect(rollback.result.status).toBe('SUCCEEDED');
    expect(rollback.result.output?.outcome).toBe('rolled-back');
    expect(normalizeState(rollback.after)).toEqual(normalizeState(run.before));
    expect(rollback.after.SecurityGroups.map((g) => g.GroupId)).not.toContain(copy);
    expect(run.notifications.at(-1)?.subject).toBe(`EC2.2 remediation rolled back: ${SAMPLE_DEFAULT}`);
  });

  it('passes the generic remediation checks (expected state, flows, exact rollback)', async () => {
    await expectRemediatedThenRolledBack(await remediateState(sampleState()));
  });

  it('approval rejected: outcome rejected, state exactly the original, the copy gone', async () => {
    const run = await remediateState(sampleState(), { approve: 'rejected' });
    expect(run.result.status).toBe('SUCCEEDED');
    expect(outcomeOf(run)).toBe('rejected');
    expect(run.result.children.map((child) => child.status)).toEqual(['SUCCEEDED']);
    expect(normalizeState(run.after)).toEqual(normalizeState(run.before));
    expect(newGroups(run.before, run.after)).toEqual([]);
    // A copy was made and deleted again.
    expect(run.simulator.callCounts().CreateSecurityGroup).toBe(1);
    expect(run.simulator.callCounts().DeleteSecurityGroup).toBe(1);
    expect(run.notifications.at(-1)?.subject).toBe(`EC2.2 remediation rejected and rolled back: ${SAMPLE_DEFAULT}`);
  });

  it('refuses a group that is not a default group: InvalidInput, no change', async () => {
    const session = createSession(sampleState());
    const result = await session.remediate({ groupId: SAMPLE_ALB });
    expect(result.status).toBe('FAILED');
    expect(result.error).toBe('InvalidInput');
    expect(result.cause).toContain('is not a VPC default security group');
    expect(session.mutatingCalls()).toEqual({});
    expect(session.simulator.toState()).toEqual(session.original);
  });

  it('refuses a direct input for another account: InvalidInput, no change', async () => {
    const session = createSession(sampleState());
    const result = await session.remediate({
      input: { accountId: '444455556666', region: 'us-east-1', groupId: SAMPLE_DEFAULT },
    });
    expect(result.status).toBe('FAILED');
    expect(result.error).toBe('InvalidInput');
    expect(result.cause).toContain('444455556666');
    expect(session.mutatingCalls()).toEqual({});
    expect(session.simulator.toState()).toEqual(session.original);
  });

  it('refuses a consistent finding from another account: InvalidInput, no change', async () => {
    const text = JSON.stringify(readJson(examplePath('finding-ec2.2-consolidated.json')));
    const finding = JSON.parse(text.replaceAll(ACCOUNT, '444455556666'));
    const session = createSession(sampleState());
    const result = await session.remediate({ input: finding });
    expect(result.status).toBe('FAILED');
    expect(result.error).toBe('InvalidInput');
    expect(session.mutatingCalls()).toEqual({});
    expect(session.simulator.toState()).toEqual(session.original);
  });

  it.each(['bad-account-mismatch', 'bad-non-default-group', 'bad-other-control', 'bad-direct-injected'])(
    'refuses the invalid event %s at parsing: InvalidInput, no EC2 call',
    async (name) => {
      const session = createSession(sampleState());
      const result = await session.remediate({ input: eventFixture(name) });
      expect(result.status).toBe('FAILED');
      expect(result.error).toBe('InvalidInput');
      expect(session.simulator.totalCalls()).toBe(0);
    },
  );

  it('skips a PASSED finding: outcome skipped, no EC2 call', async () => {
    const session = createSession(sampleState());
    const result = await session.remediate({ input: eventFixture('skip-passed') });
    expect(result.status).toBe('SUCCEEDED');
    expect(result.output?.outcome).toBe('skipped');
    expect(result.output?.reasons).toEqual([expect.stringMatching(/PASSED/)]);
    expect(session.simulator.totalCalls()).toBe(0);
  });

  it.each(['finding-custom-action.json', 'finding-cis-4.3-legacy.json', 'finding-ec2.2-consolidated.json'])(
    'remediates from the sample event %s and resolves the finding',
    async (name) => {
      const event = readJson<{ detail: { findings: { Id: string }[] } }>(examplePath(name));
      const run = await remediateState(sampleState(), { input: event });
      expect(run.result.status, JSON.stringify(run.result)).toBe('SUCCEEDED');
      expect(outcomeOf(run)).toBe('remediated');
      expect(run.result.output?.groupId).toBe(SAMPLE_DEFAULT);
      const findings = (run.deps as unknown as { findings: { updates: { finding: { findingId: string } }[] } })
        .findings;
      expect(findings.updates.map((update) => update.finding.findingId)).toEqual([event.detail.findings[0]?.Id]);
      await expectRemediatedThenRolledBack(run);
    },
  );
});

describe('crash and retry (I5): a step that crashes after its EC2 call took effect is retried and converges', () => {
  const crashOnce = (target: string) => {
    let thrown = false;
    return {
      after(action: string) {
        if (action === target && !thrown) {
          thrown = true;
          throw Object.assign(new Error('crash'), { name: 'Lambda.Unknown' });
        }
      },
      get thrown() {
        return thrown;
      },
    };
  };

  it.each([
    ['ModifyNetworkInterfaceAttribute', 'Move one batch of interfaces'],
    ['CreateSecurityGroup', 'Create the replacement group'],
    ['AuthorizeSecurityGroupIngress', 'Create the replacement group'],
    ['AuthorizeSecurityGroupEgress', 'Add references to the replacement'],
    ['RevokeSecurityGroupIngress', 'Strip the default group'],
  ] as const)('after %s', async (action, state) => {
    const hook = crashOnce(action);
    const run = await remediateState(sampleState(), { hooks: { after: (a) => hook.after(a) } });
    expect(hook.thrown).toBe(true);
    // The crashed step failed once and was retried (same state name twice in the trace).
    const failed = run.session.trace.filter((e) => e.kind === 'step' && e.state === state && e.error);
    expect(failed.map((e) => (e.kind === 'step' ? e.error?.name : ''))).toEqual(['Lambda.Unknown']);
    const replacement = await expectRemediatedThenRolledBack(run);
    expect(run.simulator.callCounts().CreateSecurityGroup).toBe(1);
    if (action === 'ModifyNetworkInterfaceAttribute') {
      // The interface moved before the crash is found moved, not modified again; two interfaces, two calls.
      const moves = callsOf(run.session.trace).filter((call) => call.action === 'ModifyNetworkInterfaceAttribute');
      expect(moves.slice(0, 2).map((call) => (call.input as { Groups: string[] }).Groups)).toEqual([
        [replacement?.GroupId],
        [replacement?.GroupId],
      ]);
    }
  });

  it('after ModifyNetworkInterfaceAttribute on the busy state (40 interfaces): flows preserved, each moved once', async () => {
    const hook = crashOnce('ModifyNetworkInterfaceAttribute');
    const run = await remediateState(scenarioState('busy'), { hooks: { after: (a) => hook.after(a) } });
    expect(hook.thrown).toBe(true);
    const movesBeforeApproval = callsOf(run.session.trace).filter(
      (call) => call.action === 'ModifyNetworkInterfaceAttribute',
    );
    expect(movesBeforeApproval).toHaveLength(40);
    await expectRemediatedThenRolledBack(run);
  });
});

describe('a failure that is not retried, after the snapshot, rolls everything back and fails', () => {
  it('UnauthorizedOperation on the first RevokeSecurityGroupIngress (strip): rolled back, execution failed', async () => {
    let thrown = false;
    const run = await remediateState(sampleState(), {
      hooks: {
        before(action) {
          if (action === 'RevokeSecurityGroupIngress' && !thrown) {
            thrown = true;
            throw Object.assign(new Error('You are not authorized to perform this operation.'), {
              name: 'UnauthorizedOperation',
            });
          }
        },
      },
    });
    expect(thrown).toBe(true);
    expect(run.result.status).toBe('FAILED');
    expect(run.result.error).toBe('UnauthorizedOperation');
    expect(run.result.children.map((child) => [child.status, child.output?.outcome])).toEqual([
      ['SUCCEEDED', 'rolled-back'],
    ]);
    expect(normalizeState(run.after)).toEqual(normalizeState(run.before));
    expect(newGroups(run.before, run.after)).toEqual([]);
    expect(run.notifications.at(-1)?.subject).toBe(`EC2.2 remediation failed: ${SAMPLE_DEFAULT}`);
    expect(run.notifications.at(-1)?.message).toContain('UnauthorizedOperation');
  });

  it('UnauthorizedOperation on the default group egress revoke, after its ingress was revoked: rolled back exactly', async () => {
    let thrown = false;
    const run = await remediateState(sampleState(), {
      hooks: {
        before(action, input) {
          if (
            action === 'RevokeSecurityGroupEgress' &&
            (input as { GroupId: string }).GroupId === SAMPLE_DEFAULT &&
            !thrown
          ) {
            thrown = true;
            throw Object.assign(new Error('denied'), { name: 'UnauthorizedOperation' });
          }
        },
      },
    });
    expect(thrown).toBe(true);
    expect(run.result.status).toBe('FAILED');
    expect(run.result.error).toBe('UnauthorizedOperation');
    expect(normalizeState(run.after)).toEqual(normalizeState(run.before));
    expect(newGroups(run.before, run.after)).toEqual([]);
  });

  it('a move that EC2 refuses before approval (UnauthorizedOperation): rolled back, execution failed', async () => {
    let calls = 0;
    const run = await remediateState(sampleState(), {
      hooks: {
        before(action) {
          if (action === 'ModifyNetworkInterfaceAttribute' && ++calls === 2) {
            throw Object.assign(new Error('denied'), { name: 'UnauthorizedOperation' });
          }
        },
      },
    });
    expect(run.result.status).toBe('FAILED');
    expect(run.session.trace.some((e) => e.kind === 'decision')).toBe(false);
    expect(normalizeState(run.after)).toEqual(normalizeState(run.before));
    expect(newGroups(run.before, run.after)).toEqual([]);
  });
});

describe('scenario states (test/fixtures/states, expectations from its README)', () => {
  it('empty-default: remediated by stripping only — no copy, no move', async () => {
    const run = await remediateState(scenarioState('empty-default'));
    await expectRemediatedThenRolledBack(run, { replacement: false });
    expect(run.simulator.callCounts().ModifyNetworkInterfaceAttribute ?? 0).toBe(0);
  });

  it('compliant: outcome compliant, no mutating call, nothing changed', async () => {
    const run = await remediateState(scenarioState('compliant'));
    expect(run.result.status).toBe('SUCCEEDED');
    expect(outcomeOf(run)).toBe('compliant');
    expect(run.session.mutatingCalls()).toEqual({});
    expect(run.after).toEqual(run.before);
  });

  it('requester-managed: blocked, the reasons name the Lambda and the RDS interfaces, unchanged', async () => {
    const run = await remediateState(scenarioState('requester-managed'));
    const reasons = expectBlockedUnchanged(run);
    const lambda = reasons.find((reason) => reason.includes('eni-0c0a52770ee60195e'));
    const rds = reasons.find((reason) => reason.includes('eni-02a9b46f76a6b7590'));
    expect(lambda).toMatch(/lambda/i);
    expect(rds).toMatch(/rds/i);
    expect(reasons.join('\n')).not.toContain('eni-03cedb176b91e6e32');
  });

  it('peered-vpc: remediated, the peer VPC group gets a twin over the same peering, its default group untouched', async () => {
    const run = await remediateState(scenarioState('peered-vpc'));
    const replacement = await expectRemediatedThenRolledBack(run);
    const copy = replacement?.GroupId ?? '';
    const defaultGroupId = firstDefaultGroupId(run.before);
    const reporting = groupByName(run.after, 'reporting');
    expect(rulesReferencing(reporting, 'ingress', defaultGroupId)).toEqual([]);
    expect(rulesReferencing(reporting, 'ingress', copy, { ignoreDerivedPairFields: true })).toEqual([
      {
        protocol: 'tcp',
        from: 5432,
        to: 5432,
        list: 'UserIdGroupPairs',
        peer: {
          Description: 'from VPC A default members over peering',
          GroupId: copy,
          UserId: ACCOUNT,
          VpcId: groupById(run.before, defaultGroupId).VpcId,
          VpcPeeringConnectionId: 'pcx-0022e9627b411b4d3',
        },
      },
    ]);
    const peerDefault = 'sg-0c18c56fd9d0c1cce';
    expect(groupById(run.after, peerDefault)).toEqual(groupById(run.before, peerDefault));
    expect(rulesReferencing(groupByName(run.after, 'app'), 'ingress', copy)).toHaveLength(1);
  });

  it('peered-cross-account: blocked (reference in an account the workflow cannot edit), unchanged', async () => {
    const run = await remediateState(scenarioState('peered-cross-account'));
    const reasons = expectBlockedUnchanged(run);
    expect(reasons.join('\n')).toMatch(/cannot read or edit/);
  });

  it('mixed-permission: remediated; every copied and twin rule keeps its description', async () => {
    const run = await remediateState(scenarioState('mixed-permission'));
    const replacement = await expectRemediatedThenRolledBack(run);
    const copy = replacement?.GroupId ?? '';
    const defaultGroupId = firstDefaultGroupId(run.before);
    const described = (group: SecurityGroup) =>
      [...rulesOfGroup(group).ingress, ...rulesOfGroup(group).egress].map((rule) => rule.peer.Description);
    const copied = described(replacement as SecurityGroup);
    expect(copied).toHaveLength(6);
    expect(copied.every((text) => typeof text === 'string' && text.length > 0)).toBe(true);
    expect(new Set(copied)).toEqual(new Set(described(groupById(run.before, defaultGroupId))));
    const api = groupByName(run.after, 'api');
    expect(rulesReferencing(api, 'ingress', copy).map((rule) => rule.peer.Description)).toEqual([
      'clients on the default group',
    ]);
    // api's CIDR and prefix-list entries of the same IpPermission are untouched.
    const others = (group: SecurityGroup) =>
      rulesOfGroup(group).ingress.filter((rule) => rule.list !== 'UserIdGroupPairs');
    expect(others(api)).toEqual(others(groupByName(run.before, 'api')));
    expect(others(api)).toHaveLength(3);
  });

  it('egress-references: remediated; outbound rules of the copy and egress twins in web / batch', async () => {
    const run = await remediateState(scenarioState('egress-references'));
    const replacement = await expectRemediatedThenRolledBack(run);
    const copy = replacement?.GroupId ?? '';
    const cache = groupByName(run.before, 'cache').GroupId ?? '';
    expect(rulesReferencing(replacement as SecurityGroup, 'egress', cache)).toHaveLength(1);
    expect(rulesReferencing(replacement as SecurityGroup, 'egress', copy).map((r) => r.peer.Description)).toEqual([
      'to members of default',
    ]);
    // The copy has no allow-all outbound rule: EC2 adds one to every new group, the default group has none.
    expect(rulesOfGroup(replacement as SecurityGroup).egress.filter((rule) => rule.list === 'IpRanges')).toEqual([]);
    for (const name of ['web', 'batch']) {
      expect(rulesReferencing(groupByName(run.after, name), 'egress', copy)).toHaveLength(1);
    }
    expect(rulesReferencing(groupByName(run.after, 'cache'), 'ingress', copy)).toHaveLength(1);
  });

  it('five-groups: remediated; the interface still has exactly 5 groups (swapped in place)', async () => {
    const run = await remediateState(scenarioState('five-groups'));
    const replacement = await expectRemediatedThenRolledBack(run);
    const groups = eniGroups(run.after, 'eni-0f8613ac796494f4d');
    expect(groups).toHaveLength(5);
    expect(groups).toEqual(
      eniGroups(run.before, 'eni-0f8613ac796494f4d').map((id) =>
        id === firstDefaultGroupId(run.before) ? replacement?.GroupId : id,
      ),
    );
  });

  it('ipv6: remediated; ::/0 egress and the IPv6 ssh rule copied, IPv6 flows preserved', async () => {
    const run = await remediateState(scenarioState('ipv6'));
    const replacement = await expectRemediatedThenRolledBack(run);
    const rules = rulesOfGroup(replacement as SecurityGroup);
    expect(rules.egress).toContainEqual({ protocol: '-1', list: 'Ipv6Ranges', peer: { CidrIpv6: '::/0' } });
    expect(rules.ingress).toContainEqual({
      protocol: 'tcp',
      from: 22,
      to: 22,
      list: 'Ipv6Ranges',
      peer: { CidrIpv6: '2600:1f18:4b2:a800::/56', Description: 'ssh from the VPC (IPv6)' },
    });
    // The IPv6 part of the model is non-trivial here and unchanged.
    const before = flowsOf(run.before);
    const after = flowsOf(run.after);
    const v6 = (model: typeof before) =>
      Object.fromEntries(
        Object.entries(model.outbound).map(([eni, view]) => [eni, [view.ipv6, model.inbound[eni]?.ipv6]]),
      );
    expect(Object.values(v6(before)).some(([out]) => (out?.length ?? 0) > 0)).toBe(true);
    expect(v6(after)).toEqual(v6(before));
  });

  it('busy: remediated; all 40 interfaces moved, the 12 references twinned with their descriptions', async () => {
    const run = await remediateState(scenarioState('busy'));
    const replacement = await expectRemediatedThenRolledBack(run);
    const copy = replacement?.GroupId ?? '';
    const moved = (run.after.NetworkInterfaces ?? []).filter((eni) => eni.Groups?.some((g) => g.GroupId === copy));
    expect(moved).toHaveLength(40);
    const twins = run.after.SecurityGroups.filter((g) => g.GroupId !== copy).flatMap((group) => [
      ...rulesReferencing(group, 'ingress', copy),
      ...rulesReferencing(group, 'egress', copy),
    ]);
    expect(twins).toHaveLength(12);
    expect(twins.every((rule) => typeof rule.peer.Description === 'string')).toBe(true);
  });

  it('busy with batches of 7: six Map iterations, same result', async () => {
    const run = await remediateState(scenarioState('busy'), { settings: { batchSize: 7 } });
    const batches = run.session.trace.filter((e) => e.kind === 'step' && e.state === 'Move one batch of interfaces');
    expect(batches).toHaveLength(6);
    await expectRemediatedThenRolledBack(run);
  });

  it('near-quota: blocked with a quota reason, unchanged', async () => {
    const run = await remediateState(scenarioState('near-quota'));
    const reasons = expectBlockedUnchanged(run);
    expect(reasons.join('\n')).toMatch(/partner-gateway.*61 inbound IPv4 rules, over the quota of 60/);
  });
});

describe('other shapes of state', () => {
  it("a default VPC's default group (revoking a missing rule is not an error there): same result", async () => {
    const run = await remediateState(sampleState(), { simulator: { defaultVpcIds: ['vpc-07e1f2a3b4c5d6e7f'] } });
    await expectRemediatedThenRolledBack(run);
  });

  it('protocol numbers (6, 17), protocols without ports (50, 47), icmpv6 and an upper-case IPv6 CIDR', async () => {
    const state = sampleState();
    const [defaultGroup, , api] = state.SecurityGroups as [SecurityGroup, SecurityGroup, SecurityGroup];
    defaultGroup.IpPermissions?.push(
      { IpProtocol: '50', IpRanges: [{ CidrIp: '10.0.0.0/8', Description: 'esp' }] },
      { IpProtocol: '6', FromPort: 22, ToPort: 22, UserIdGroupPairs: [{ GroupId: SAMPLE_ALB, UserId: ACCOUNT }] },
    );
    defaultGroup.IpPermissionsEgress?.push({
      IpProtocol: 'icmpv6',
      FromPort: -1,
      ToPort: -1,
      Ipv6Ranges: [{ CidrIpv6: '2001:DB8::/32' }],
    });
    api.IpPermissions?.push(
      {
        IpProtocol: '17',
        FromPort: 53,
        ToPort: 53,
        UserIdGroupPairs: [{ GroupId: SAMPLE_DEFAULT, UserId: ACCOUNT, Description: 'dns' }],
      },
      { IpProtocol: '47', UserIdGroupPairs: [{ GroupId: SAMPLE_DEFAULT, UserId: ACCOUNT, Description: 'gre' }] },
    );
    await expectRemediatedThenRolledBack(await remediateState(state));
  });

  it('1,100 interfaces on the default group: paginated reads, 22 batches, exact result and rollback', async () => {
    const run = await remediateState(generateVpc({ interfaces: 1100, references: 40 }), {
      settings: { batchSize: 50 },
    });
    expect(
      run.session.trace.filter((e) => e.kind === 'step' && e.state === 'Move one batch of interfaces'),
    ).toHaveLength(22);
    expect(run.result.output?.verification).toMatchObject({ verified: true, checks: ['structure', 'traffic'] });
    await expectRemediatedThenRolledBack(run);
  });

  // A VPC-sharing participant's group in the same VPC can reference the default group, and this account cannot edit
  // it: the owner can describe participants' groups and interfaces, nothing more
  // (https://docs.aws.amazon.com/vpc/latest/userguide/vpc-share-limitations.html; DescribeSecurityGroupReferences
  // covers peered and transit-gateway VPCs only). So a shared VPC is blocked (I4): moving the members would cut that
  // traffic (docs/decisions.md, "References the workflow cannot edit").
  it('a shared-VPC participant group referencing the default group: blocked, nothing changed, its traffic kept', async () => {
    const state = sampleState();
    const vpcId = 'vpc-07e1f2a3b4c5d6e7f';
    state.SecurityGroups.push({
      GroupId: 'sg-0444455556666aaaa',
      GroupName: 'partner',
      VpcId: vpcId,
      OwnerId: '444455556666',
      Description: 'participant group',
      IpPermissions: [
        {
          IpProtocol: 'tcp',
          FromPort: 443,
          ToPort: 443,
          UserIdGroupPairs: [{ GroupId: SAMPLE_DEFAULT, UserId: ACCOUNT }],
        },
      ],
      IpPermissionsEgress: [],
    });
    state.NetworkInterfaces?.push({
      NetworkInterfaceId: 'eni-0444455556666aaaa',
      VpcId: vpcId,
      OwnerId: '444455556666',
      InterfaceType: 'interface',
      RequesterManaged: false,
      PrivateIpAddress: '172.31.16.50',
      PrivateIpAddresses: [{ Primary: true, PrivateIpAddress: '172.31.16.50' }],
      Groups: [{ GroupId: 'sg-0444455556666aaaa' }],
    });
    const run = await remediateState(state);
    const reasons = expectBlockedUnchanged(run);
    expect(reasons).toContain(
      `${vpcId} is shared: account 444455556666 has 1 interface(s) in it. This account cannot edit that account's security groups, which may reference the default group; moving the default group's members would cut that traffic unseen.`,
    );
    expect(reasons.join('\n')).toContain('sg-0444455556666aaaa (partner) of account 444455556666 references it.');
    expect(diffFlows(flowsOf(run.before), flowsOf(run.after))).toEqual([]);
  });
});

describe('approval timeout, drift during approval, the lock, repeated runs', () => {
  it('nobody approves in time: the wait times out, everything is rolled back, outcome rejected', async () => {
    const run = await remediateState(sampleState(), { approve: 'never', settings: { approvalTimeoutSeconds: 1 } });
    expect(run.result.status, JSON.stringify(run.result)).toBe('SUCCEEDED');
    expect(outcomeOf(run)).toBe('rejected');
    expect(normalizeState(run.after)).toEqual(normalizeState(run.before));
    expect(newGroups(run.before, run.after)).toEqual([]);
  });

  // Drift during the approval wait (migrated, noted or stopped, case by case): test/machine/drift.test.ts.

  it('another run holds the lock: outcome skipped, no mutating call (I7)', async () => {
    const session = createSession(sampleState());
    const now = Math.floor(Date.now() / 1000);
    const taken = await session.deps.ledger.acquireLock(
      lockKey({ accountId: ACCOUNT, region: 'us-east-1', groupId: SAMPLE_DEFAULT }),
      { remediationId: 'rem-other', token: 'a-token-of-another-run', kind: 'remediation', expiresAt: now + 3600 },
      now,
    );
    expect(taken.acquired).toBe(true);
    const result = await session.remediate();
    expect(result.status).toBe('SUCCEEDED');
    expect(result.output?.outcome).toBe('skipped');
    expect(String(result.output?.reasons)).toContain('rem-other');
    expect(session.mutatingCalls()).toEqual({});
    // A rollback of that group is refused too.
    const rollback = await session.rollback('rem-other');
    expect(rollback.status).toBe('FAILED');
  });

  it('remediating again after a remediation finds the group compliant; rolling back twice is a no-op the second time', async () => {
    const run = await remediateState(sampleState());
    expect(outcomeOf(run)).toBe('remediated');
    const again = await run.session.remediate();
    expect(again.output?.outcome).toBe('compliant');
    const first = await run.rollback();
    expect(first.result.status).toBe('SUCCEEDED');
    const second = await run.rollback();
    expect(second.result.status, JSON.stringify(second.result)).toBe('SUCCEEDED');
    expect(normalizeState(second.after)).toEqual(normalizeState(run.before));
  });

  it('rolling back an unknown remediation id is refused with InvalidInput, nothing changed', async () => {
    const session = createSession(sampleState());
    const result = await session.rollback('rem-does-not-exist');
    expect(result.status).toBe('FAILED');
    expect(result.error).toBe('InvalidInput');
    expect(session.mutatingCalls()).toEqual({});
  });
});

describe('direct input helper', () => {
  it('uses the simulator account and region', () => {
    const session = createSession(sampleState());
    expect(directInput(session.simulator, SAMPLE_DEFAULT)).toEqual({
      accountId: ACCOUNT,
      region: 'us-east-1',
      groupId: SAMPLE_DEFAULT,
    });
  });
});
