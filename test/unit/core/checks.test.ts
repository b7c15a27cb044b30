import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { findDrift, findResultProblems, focusedState, type LiveView } from '../../../handlers/core/checks.ts';
import type { Ec2State, NetworkInterface, SecurityGroup } from '../../../handlers/core/ec2-shapes.ts';
import {
  type Inventory,
  type Plan,
  planRemediation,
  replacementRulesDuringMove,
  replacementRulesFinal,
  twinOf,
} from '../../../handlers/core/plan.ts';
import { implode, type Rule, referencesGroup, rulesOf } from '../../../handlers/core/rules.ts';

const ACCOUNT = '111122223333';
const D = 'sg-07d2e3f4a5b6c7d8e';
const ALB = 'sg-07a1b2c3d4e5f6a7b';
const API = 'sg-07c9d8e7f6a5b4c3d';
const C = 'sg-0c0000000000000c1';
const VPC = 'vpc-07e1f2a3b4c5d6e7f';
const ENI1 = 'eni-07000000000000011';
const ENI2 = 'eni-07000000000000012';

function sample(): Ec2State {
  return JSON.parse(
    readFileSync(new URL('../../../../shared/examples/web-app.state.json', import.meta.url), 'utf8'),
  ) as Ec2State;
}

/** What discovery reads from a state for the default group D. */
function inventoryOf(state: Ec2State, groupId = D): Inventory {
  const defaultGroup = state.SecurityGroups.find((g) => g.GroupId === groupId) as SecurityGroup;
  const members = state.NetworkInterfaces.filter((eni) => (eni.Groups ?? []).some((g) => g.GroupId === groupId));
  const referencingGroups = state.SecurityGroups.filter(
    (g) => g.GroupId !== groupId && rulesOf(g).some((rule) => referencesGroup(rule, groupId)),
  );
  const memberGroupIds = new Set(members.flatMap((eni) => (eni.Groups ?? []).map((g) => g.GroupId)));
  return {
    accountId: ACCOUNT,
    region: 'us-east-1',
    vpcId: defaultGroup.VpcId ?? '',
    defaultGroup,
    members,
    referencingGroups,
    memberGroups: state.SecurityGroups.filter(
      (g) => g.GroupId !== groupId && memberGroupIds.has(g.GroupId) && !referencingGroups.includes(g),
    ),
    unreachableReferences: [],
  };
}

function withRules(group: SecurityGroup, rules: Rule[]): SecurityGroup {
  return {
    ...group,
    IpPermissions: implode(rules.filter((r) => r.direction === 'ingress')),
    IpPermissionsEgress: implode(rules.filter((r) => r.direction === 'egress')),
  };
}

function byId(state: Ec2State, id: string): SecurityGroup {
  return state.SecurityGroups.find((g) => g.GroupId === id) as SecurityGroup;
}

function eni(state: Ec2State, id: string): NetworkInterface {
  return state.NetworkInterfaces.find((e) => e.NetworkInterfaceId === id) as NetworkInterface;
}

function setGroups(state: Ec2State, id: string, groups: string[]): void {
  eni(state, id).Groups = groups.map((GroupId) => ({ GroupId }));
}

function replaceGroup(state: Ec2State, group: SecurityGroup): void {
  state.SecurityGroups = state.SecurityGroups.map((g) => (g.GroupId === group.GroupId ? group : g));
}

const plan: Plan = planRemediation(inventoryOf(sample()), { remediationId: 'rem-checks' });

/** The live state after the pre-approval steps: copy made, twins added, interfaces moved. */
function migrated(): Ec2State {
  const state = sample();
  const replacement = withRules(
    { GroupId: C, GroupName: plan.replacementName, VpcId: VPC, OwnerId: ACCOUNT },
    replacementRulesDuringMove(plan.defaultRules, D, C),
  );
  for (const groupId of [D, ALB, API]) {
    const group = byId(state, groupId);
    const rules = rulesOf(group);
    const twins = rules.filter((r) => referencesGroup(r, D)).map((r) => twinOf(r, D, C));
    replaceGroup(state, withRules(group, [...rules, ...twins]));
  }
  state.SecurityGroups.push(replacement);
  setGroups(state, ENI1, [C]);
  setGroups(state, ENI2, [C]);
  return state;
}

/** The live state after the strip: the default group empty, references to it gone. */
function stripped(): Ec2State {
  const state = migrated();
  replaceGroup(state, withRules(byId(state, D), []));
  replaceGroup(state, withRules(byId(state, C), replacementRulesFinal(plan.defaultRules, D, C)));
  for (const groupId of [ALB, API]) {
    const group = byId(state, groupId);
    replaceGroup(
      state,
      withRules(
        group,
        rulesOf(group).filter((r) => !referencesGroup(r, D)),
      ),
    );
  }
  return state;
}

function liveOf(state: Ec2State, options: { replacement?: boolean; planned?: string[] } = {}): LiveView {
  const planned = options.planned ?? plan.moves.map((m) => m.networkInterfaceId);
  const plannedMembers = new Map<string, NetworkInterface>();
  for (const id of planned) {
    const found = state.NetworkInterfaces.find((e) => e.NetworkInterfaceId === id);
    if (found) plannedMembers.set(id, found);
  }
  return {
    inventory: inventoryOf(state),
    replacement: options.replacement === false ? undefined : state.SecurityGroups.find((g) => g.GroupId === C),
    plannedMembers,
  };
}

describe('findDrift', () => {
  it('answers nothing when the live state is what the plan expects', () => {
    expect(findDrift(plan, liveOf(migrated()))).toStrictEqual([]);
  });

  it('ignores a planned member that was deleted since', () => {
    const state = migrated();
    state.NetworkInterfaces = state.NetworkInterfaces.filter((e) => e.NetworkInterfaceId !== ENI2);
    expect(findDrift(plan, liveOf(state))).toStrictEqual([]);
  });

  it('reports an interface that started using the default group', () => {
    const state = migrated();
    state.NetworkInterfaces.push({
      NetworkInterfaceId: 'eni-07000000000000099',
      VpcId: VPC,
      Groups: [{ GroupId: D }],
      Attachment: { InstanceId: 'i-0new' },
    });
    expect(findDrift(plan, liveOf(state))).toStrictEqual([
      'eni-07000000000000099 started using the default group after the plan was made.',
    ]);
  });

  it('reports a planned member put back on the default group', () => {
    const state = migrated();
    setGroups(state, ENI1, [D]);
    const drift = findDrift(plan, liveOf(state));
    expect(drift).toContain(`${ENI1} is on the default group again.`);
    expect(drift).toContain(`${ENI1} no longer uses the replacement group.`);
  });

  it('reports a planned member that no longer uses the replacement', () => {
    const state = migrated();
    setGroups(state, ENI2, [ALB]);
    expect(findDrift(plan, liveOf(state))).toStrictEqual([`${ENI2} no longer uses the replacement group.`]);
  });

  it('reports a new reference to the default group without a twin', () => {
    const state = migrated();
    state.SecurityGroups.push({
      GroupId: 'sg-0e0000000000000e1',
      GroupName: 'jobs',
      VpcId: VPC,
      OwnerId: ACCOUNT,
      IpPermissions: [{ IpProtocol: 'tcp', FromPort: 22, ToPort: 22, UserIdGroupPairs: [{ GroupId: D }] }],
      IpPermissionsEgress: [],
    });
    expect(findDrift(plan, liveOf(state))).toStrictEqual([
      `sg-0e0000000000000e1 has a rule referencing the default group with no twin: inbound TCP 22 from ${D}.`,
    ]);
  });

  it('reports a twin removed by hand', () => {
    const state = migrated();
    const api = byId(state, API);
    replaceGroup(
      state,
      withRules(
        api,
        rulesOf(api).filter((r) => !referencesGroup(r, C)),
      ),
    );
    const drift = findDrift(plan, liveOf(state));
    expect(drift).toHaveLength(1);
    expect(drift[0]).toContain(`${API} has a rule referencing the default group with no twin`);
    expect(drift[0]).toContain('TCP 8443');
  });

  it('reports a new rule on the default group', () => {
    const state = migrated();
    const d = byId(state, D);
    const extra: Rule = {
      direction: 'ingress',
      protocol: 'tcp',
      fromPort: 22,
      toPort: 22,
      peer: { kind: 'cidr4', cidr: '10.0.0.0/8' },
    };
    replaceGroup(state, withRules(d, [...rulesOf(d), extra]));
    expect(findDrift(plan, liveOf(state))).toStrictEqual([
      'The default group gained a rule after the plan was made: inbound TCP 22 from 10.0.0.0/8.',
    ]);
  });

  it('reports a rule added to the replacement by hand', () => {
    const state = migrated();
    const c = byId(state, C);
    const extra: Rule = {
      direction: 'egress',
      protocol: 'udp',
      fromPort: 53,
      toPort: 53,
      peer: { kind: 'cidr4', cidr: '10.0.0.2/32' },
    };
    replaceGroup(state, withRules(c, [...rulesOf(c), extra]));
    expect(findDrift(plan, liveOf(state))).toStrictEqual([
      'The replacement group gained a rule: outbound UDP 53 to 10.0.0.2/32.',
    ]);
  });

  it('reports a rule removed from the replacement by hand', () => {
    const state = migrated();
    const c = byId(state, C);
    replaceGroup(
      state,
      withRules(
        c,
        rulesOf(c).filter((r) => r.direction !== 'egress'),
      ),
    );
    expect(findDrift(plan, liveOf(state))).toStrictEqual([
      'The replacement group lost a rule: outbound all traffic to 0.0.0.0/0.',
    ]);
  });

  it('reports the replacement gone', () => {
    expect(findDrift(plan, liveOf(migrated(), { replacement: false }))).toStrictEqual([
      'The replacement group is gone.',
    ]);
  });

  it('reports references from VPCs the account cannot edit', () => {
    const live = liveOf(migrated());
    live.inventory.unreachableReferences.push({ vpcId: 'vpc-0fffffffffffffff1' });
    const drift = findDrift(plan, live);
    expect(drift).toHaveLength(1);
    expect(drift[0]).toContain('vpc-0fffffffffffffff1');
  });

  it('an unused default group: drift only when something starts using it or its rules change', () => {
    const state = sample();
    for (const e of state.NetworkInterfaces) e.Groups = (e.Groups ?? []).filter((g) => g.GroupId !== D);
    const unused = planRemediation(inventoryOf(state), { remediationId: 'rem-unused' });
    expect(unused.replacementNeeded).toBe(false);
    expect(findDrift(unused, liveOf(state, { replacement: false, planned: [] }))).toStrictEqual([]);
    setGroups(state, ENI1, [D]);
    expect(findDrift(unused, liveOf(state, { replacement: false, planned: [] }))).toStrictEqual([
      `${ENI1} started using the default group after the plan was made.`,
    ]);
  });
});

describe('findResultProblems', () => {
  it('answers nothing for a clean result', () => {
    expect(findResultProblems(plan, liveOf(stripped()))).toStrictEqual([]);
  });

  it('reports rules left on the default group', () => {
    const problems = findResultProblems(plan, liveOf(migrated()));
    expect(problems).toContain('The default group still has 3 rule(s).');
  });

  it('reports a member still on the default group', () => {
    const state = stripped();
    setGroups(state, ENI1, [D]);
    const problems = findResultProblems(plan, liveOf(state));
    expect(problems).toContain(`${ENI1} still uses the default group.`);
    expect(problems).toContain(`${ENI1} has groups ${D}, expected ${C}.`);
  });

  it('reports a reference to the default group left in another group', () => {
    const state = stripped();
    const alb = byId(state, ALB);
    const leftover: Rule = {
      direction: 'egress',
      protocol: 'tcp',
      fromPort: 8080,
      toPort: 8080,
      peer: { kind: 'group', groupId: D },
    };
    replaceGroup(state, withRules(alb, [...rulesOf(alb), leftover]));
    expect(findResultProblems(plan, liveOf(state))).toStrictEqual([`${ALB} still references the default group.`]);
  });

  it('reports a replacement whose rules are not the original ones', () => {
    const state = stripped();
    replaceGroup(state, withRules(byId(state, C), replacementRulesDuringMove(plan.defaultRules, D, C)));
    expect(findResultProblems(plan, liveOf(state))).toStrictEqual([
      "The replacement group's rules are not the default group's original rules.",
    ]);
  });

  it('reports the replacement gone', () => {
    expect(findResultProblems(plan, liveOf(stripped(), { replacement: false }))).toStrictEqual([
      'The replacement group is gone.',
    ]);
  });

  it('reports a moved member with unexpected groups', () => {
    const state = stripped();
    setGroups(state, ENI2, [C, API]);
    expect(findResultProblems(plan, liveOf(state))).toStrictEqual([`${ENI2} has groups ${C}, ${API}, expected ${C}.`]);
  });

  it('an unused default group only needs to be empty', () => {
    const state = sample();
    for (const e of state.NetworkInterfaces) e.Groups = (e.Groups ?? []).filter((g) => g.GroupId !== D);
    const unused = planRemediation(inventoryOf(state), { remediationId: 'rem-unused' });
    expect(findResultProblems(unused, liveOf(state, { replacement: false, planned: [] }))).toStrictEqual([
      'The default group still has 2 rule(s).',
    ]);
    replaceGroup(state, withRules(byId(state, D), []));
    expect(findResultProblems(unused, liveOf(state, { replacement: false, planned: [] }))).toStrictEqual([]);
  });
});

describe('focusedState', () => {
  const inventory = inventoryOf(sample());

  it('keeps the members and adds one stand-in interface per referencing group', () => {
    const focused = focusedState(inventory, inventory.members);
    expect(focused.NetworkInterfaces.map((e) => e.NetworkInterfaceId)).toStrictEqual([
      ENI1,
      ENI2,
      `eni-standin-${ALB}`,
      `eni-standin-${API}`,
    ]);
    for (const groupId of [ALB, API]) {
      const standIn = focused.NetworkInterfaces.find((e) => e.NetworkInterfaceId === `eni-standin-${groupId}`);
      expect(standIn?.Groups?.map((g) => g.GroupId)).toStrictEqual([groupId]);
      expect(standIn?.VpcId).toBe(VPC);
      expect(standIn?.PrivateIpAddresses).toStrictEqual([]);
      expect(standIn?.Ipv6Addresses).toStrictEqual([]);
      expect(standIn?.PrivateIpAddress).toBeUndefined();
    }
  });

  it('holds the default, referencing, member and extra groups once each', () => {
    const replacement: SecurityGroup = { GroupId: C, GroupName: 'copy', VpcId: VPC };
    const memberGroup: SecurityGroup = { GroupId: 'sg-0e0000000000000e2', GroupName: 'logging', VpcId: VPC };
    const focused = focusedState({ ...inventory, memberGroups: [memberGroup] }, inventory.members, [
      replacement,
      byId(sample(), D),
    ]);
    const ids = focused.SecurityGroups.map((g) => g.GroupId);
    expect(new Set(ids).size).toBe(ids.length);
    expect([...ids].sort()).toStrictEqual([D, ALB, API, 'sg-0e0000000000000e2', C].sort());
  });

  it('uses the members it is given, not the inventory ones', () => {
    const moved = inventory.members.map((m) => ({ ...m, Groups: [{ GroupId: C }] }));
    const focused = focusedState(inventory, moved);
    expect(focused.NetworkInterfaces.slice(0, 2).map((e) => e.Groups)).toStrictEqual([
      [{ GroupId: C }],
      [{ GroupId: C }],
    ]);
  });
});
