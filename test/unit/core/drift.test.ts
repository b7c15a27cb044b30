/** analyzeDrift / revisePlan / describeDelta over the sample VPC as it stands during the approval wait. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { LiveView } from '../../../handlers/core/checks.ts';
import { analyzeDrift, describeDelta, revisePlan, withoutReferencesTo } from '../../../handlers/core/drift.ts';
import type { Ec2State, IpPermission, NetworkInterface, SecurityGroup } from '../../../handlers/core/ec2-shapes.ts';
import {
  type Inventory,
  type Plan,
  planRemediation,
  replacementRulesDuringMove,
  twinOf,
} from '../../../handlers/core/plan.ts';
import { implode, referencesGroup, rulesOf } from '../../../handlers/core/rules.ts';

const D = 'sg-07d2e3f4a5b6c7d8e';
const API = 'sg-07c9d8e7f6a5b4c3d';
const ALB = 'sg-07a1b2c3d4e5f6a7b';
const C = 'sg-0c000000000000009';

const sample = (): Ec2State =>
  JSON.parse(readFileSync(new URL('../../../../shared/examples/web-app.state.json', import.meta.url), 'utf8'));

function inventoryOf(state: Ec2State): Inventory {
  const defaultGroup = state.SecurityGroups.find((g) => g.GroupId === D) as SecurityGroup;
  const members = (state.NetworkInterfaces ?? []).filter((eni) => (eni.Groups ?? []).some((g) => g.GroupId === D));
  return {
    accountId: '111122223333',
    region: 'us-east-1',
    vpcId: defaultGroup.VpcId ?? '',
    defaultGroup,
    members,
    referencingGroups: state.SecurityGroups.filter(
      (g) => g.GroupId !== D && rulesOf(g).some((rule) => referencesGroup(rule, D)),
    ),
    memberGroups: [],
    unreachableReferences: [],
  };
}

function withRules(group: SecurityGroup, rules: ReturnType<typeof rulesOf>): SecurityGroup {
  return { ...group, ...split(rules) };
}

function split(rules: ReturnType<typeof rulesOf>): {
  IpPermissions: IpPermission[];
  IpPermissionsEgress: IpPermission[];
} {
  return {
    IpPermissions: implode(rules.filter((rule) => rule.direction === 'ingress')),
    IpPermissionsEgress: implode(rules.filter((rule) => rule.direction === 'egress')),
  };
}

/** The live view once the copy exists, the twins are added and every member moved: no drift yet. */
function waiting(): { plan: Plan; inventory: Inventory; live: LiveView } {
  const inventory = inventoryOf(sample());
  const plan = planRemediation(inventory, { remediationId: 'rem-unit' });
  const twinned = (group: SecurityGroup) => {
    const rules = rulesOf(group);
    return withRules(group, [
      ...rules,
      ...rules.filter((rule) => referencesGroup(rule, D)).map((rule) => twinOf(rule, D, C)),
    ]);
  };
  const moved = (eni: NetworkInterface): NetworkInterface => ({
    ...eni,
    Groups: (eni.Groups ?? []).map((g) => (g.GroupId === D ? { GroupId: C, GroupName: 'copy' } : g)),
  });
  return {
    plan,
    inventory,
    live: {
      inventory: {
        ...inventory,
        defaultGroup: twinned(inventory.defaultGroup),
        members: [],
        referencingGroups: inventory.referencingGroups.map(twinned),
      },
      replacement: withRules(
        { GroupId: C, GroupName: 'copy', VpcId: inventory.vpcId },
        replacementRulesDuringMove(plan.defaultRules, D, C),
      ),
      plannedMembers: new Map(inventory.members.map((eni) => [eni.NetworkInterfaceId ?? '', moved(eni)])),
    },
  };
}

const instance = (id: string, groups: string[]): NetworkInterface => ({
  NetworkInterfaceId: id,
  InterfaceType: 'interface',
  RequesterManaged: false,
  Attachment: { InstanceId: 'i-0123456789abcdef0' },
  Groups: groups.map((GroupId) => ({ GroupId })),
});

describe('analyzeDrift', () => {
  it('nothing changed: nothing to migrate, nothing to note, no reason to stop', () => {
    const { plan, live } = waiting();
    expect(analyzeDrift(plan, live)).toEqual({
      stop: [],
      notes: [],
      delta: { interfaces: [], references: [], defaultRules: [] },
    });
  });

  it('a new instance interface on the default group is migrated; a requester-managed one stops the run', () => {
    const { plan, live } = waiting();
    live.inventory.members = [
      instance('eni-0a000000000000001', [API, D]),
      { ...instance('eni-0a000000000000002', [D]), InterfaceType: 'lambda', RequesterManaged: true },
    ];
    const analysis = analyzeDrift(plan, live);
    expect(analysis.delta.interfaces.map((eni) => eni.NetworkInterfaceId)).toEqual(['eni-0a000000000000001']);
    expect(analysis.stop).toEqual([expect.stringMatching(/^eni-0a000000000000002 .*cannot be moved/)]);
  });

  it('a new rule on the default group is migrated, and a new self-reference also gets a twin on the default group', () => {
    const { plan, live } = waiting();
    const ssh = {
      direction: 'ingress' as const,
      protocol: 'tcp',
      fromPort: 22,
      toPort: 22,
      peer: { kind: 'cidr4' as const, cidr: '10.9.0.0/16' },
    };
    const self = {
      direction: 'ingress' as const,
      protocol: 'tcp',
      fromPort: 8080,
      toPort: 8080,
      peer: { kind: 'group' as const, groupId: D },
    };
    live.inventory.defaultGroup = withRules(live.inventory.defaultGroup, [
      ...rulesOf(live.inventory.defaultGroup),
      ssh,
      self,
    ]);
    const analysis = analyzeDrift(plan, live);
    expect(analysis.stop).toEqual([]);
    expect(analysis.delta.defaultRules).toEqual(
      expect.arrayContaining([expect.objectContaining(ssh), expect.objectContaining(self)]),
    );
    expect(analysis.delta.defaultRules).toHaveLength(2);
    expect(analysis.delta.references).toEqual([
      expect.objectContaining({ groupId: D, rule: expect.objectContaining(self) }),
    ]);
    // A retry after the twin was added: the twin is not mistaken for a new rule of the default group.
    live.inventory.defaultGroup = withRules(live.inventory.defaultGroup, [
      ...rulesOf(live.inventory.defaultGroup),
      twinOf(self, D, C),
    ]);
    expect(analyzeDrift(plan, live).delta.defaultRules).toHaveLength(2);
    expect(analyzeDrift(plan, live).delta.references).toEqual([]);
  });

  it('a new reference in another group is migrated; a planned twin revoked by hand stops the run', () => {
    const { plan, live } = waiting();
    const alb = live.inventory.referencingGroups.find((g) => g.GroupId === ALB) ?? { GroupId: ALB, GroupName: 'alb' };
    const extra = {
      direction: 'egress' as const,
      protocol: 'tcp',
      fromPort: 9000,
      toPort: 9000,
      peer: { kind: 'group' as const, groupId: D },
    };
    const others = live.inventory.referencingGroups.filter((g) => g.GroupId !== ALB);
    live.inventory.referencingGroups = [...others, withRules(alb, [...rulesOf(alb), extra])];
    expect(analyzeDrift(plan, live).delta.references).toEqual([
      expect.objectContaining({ groupId: ALB, rule: expect.objectContaining(extra) }),
    ]);
    const api = live.inventory.referencingGroups.find((g) => g.GroupId === API) as SecurityGroup;
    live.inventory.referencingGroups = live.inventory.referencingGroups.map((g) =>
      g.GroupId === API
        ? withRules(
            g,
            rulesOf(api).filter((rule) => !referencesGroup(rule, C)),
          )
        : g,
    );
    expect(analyzeDrift(plan, live).stop).toEqual([
      expect.stringMatching(/twin of a planned reference was revoked by hand in sg-07c9d8e7f6a5b4c3d/),
    ]);
  });

  it('the copy changed by hand, or a moved interface back on the default group, stops the run', () => {
    const { plan, live } = waiting();
    const replacement = live.replacement as SecurityGroup;
    live.replacement = withRules(replacement, rulesOf(replacement).slice(1));
    const [first] = live.plannedMembers.values();
    live.inventory.members = [{ ...(first as NetworkInterface), Groups: [{ GroupId: D }] }];
    const stop = analyzeDrift(plan, live).stop;
    expect(stop).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/changed by hand: it lost/),
        expect.stringMatching(/is on the default group again/),
      ]),
    );
  });

  it('a deleted interface and a default group stripped by someone else are noted, not stopped', () => {
    const { plan, live } = waiting();
    const [id] = live.plannedMembers.keys();
    live.plannedMembers.delete(id as string);
    live.inventory.defaultGroup = withRules(
      live.inventory.defaultGroup,
      rulesOf(live.inventory.defaultGroup).filter((rule) => referencesGroup(rule, C)),
    );
    const analysis = analyzeDrift(plan, live);
    expect(analysis.stop).toEqual([]);
    expect(analysis.notes).toEqual([
      `${id} was deleted during the approval wait: nothing to move.`,
      expect.stringMatching(/already been stripped by someone else/),
    ]);
  });
});

describe('revisePlan and describeDelta', () => {
  it('adds the delta to the plan (moves, a new batch, rules, references) and keeps the approved part as it was', () => {
    const { plan, inventory } = waiting();
    const joined = instance('eni-0a000000000000001', [API, D]);
    const ssh = {
      direction: 'ingress' as const,
      protocol: 'tcp',
      fromPort: 22,
      toPort: 22,
      peer: { kind: 'cidr4' as const, cidr: '10.9.0.0/16' },
    };
    const reference = { groupId: ALB, rule: { ...ssh, peer: { kind: 'group' as const, groupId: D } } };
    const delta = { interfaces: [joined], references: [reference], defaultRules: [ssh] };
    const revised = revisePlan(
      inventory,
      plan,
      delta,
      { memberGroups: [], referencingGroups: [], defaultGroup: inventory.defaultGroup },
      50,
    );
    expect(revised.plan.moves.slice(0, plan.moves.length)).toEqual(plan.moves);
    expect(revised.plan.moves.at(-1)).toMatchObject({
      networkInterfaceId: 'eni-0a000000000000001',
      groupsBefore: [API, D],
    });
    expect(revised.plan.batches).toEqual([...plan.batches, ['eni-0a000000000000001']]);
    expect(revised.plan.defaultRules).toEqual([...plan.defaultRules, ssh]);
    expect(revised.plan.references).toEqual([...plan.references, reference]);
    expect(revised.inventory.members.at(-1)).toBe(joined);
    expect(describeDelta({ ...delta, interfaces: ['eni-0a000000000000001'] })).toEqual([
      'eni-0a000000000000001 joined the default group during the approval wait; it was moved to the copy.',
      expect.stringMatching(/^The default group gained .* it was copied to the copy\.$/),
      expect.stringMatching(/^sg-07a1b2c3d4e5f6a7b gained .* it got a twin referencing the copy\.$/),
    ]);
  });

  it('withoutReferencesTo drops the peers naming a group and the permissions left empty', () => {
    const group: SecurityGroup = {
      GroupId: API,
      IpPermissions: [
        { IpProtocol: 'tcp', FromPort: 1, ToPort: 1, UserIdGroupPairs: [{ GroupId: C }] },
        { IpProtocol: 'tcp', FromPort: 2, ToPort: 2, UserIdGroupPairs: [{ GroupId: C }, { GroupId: D }] },
      ],
      IpPermissionsEgress: [
        { IpProtocol: '-1', IpRanges: [{ CidrIp: '0.0.0.0/0' }], UserIdGroupPairs: [{ GroupId: C }] },
      ],
    };
    expect(withoutReferencesTo(group, C)).toEqual({
      GroupId: API,
      IpPermissions: [{ IpProtocol: 'tcp', FromPort: 2, ToPort: 2, UserIdGroupPairs: [{ GroupId: D }] }],
      IpPermissionsEgress: [{ IpProtocol: '-1', IpRanges: [{ CidrIp: '0.0.0.0/0' }], UserIdGroupPairs: [] }],
    });
  });
});
