import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { Ec2State, IpPermission, NetworkInterface, SecurityGroup } from '../../../handlers/core/ec2-shapes.ts';
import {
  chunk,
  groupsAfterMove,
  type Inventory,
  planRemediation,
  REPLACEMENT_NAME_PREFIX,
  replacementName,
  replacementRulesDuringMove,
  replacementRulesFinal,
  twinOf,
} from '../../../handlers/core/plan.ts';
import { documentedLimits } from '../../../handlers/core/quotas.ts';
import { type Rule, referencesGroup, rulesOf } from '../../../handlers/core/rules.ts';

const ACCOUNT = '111122223333';
const root = new URL('../../../', import.meta.url);

function loadState(path: string): Ec2State {
  return JSON.parse(readFileSync(new URL(path, root), 'utf8')) as Ec2State;
}
const sample = () => loadState('../shared/examples/web-app.state.json');
const scenario = (name: string) => loadState(`test/fixtures/states/${name}.state.json`);

/** What discovery reads, computed from a whole state: the first group named `default` is the group under test. */
function inventoryOf(state: Ec2State, groupId?: string): Inventory {
  const defaultGroup = state.SecurityGroups.find((g) => (groupId ? g.GroupId === groupId : g.GroupName === 'default'));
  if (!defaultGroup?.GroupId || !defaultGroup.VpcId) throw new Error('no default group');
  const id = defaultGroup.GroupId;
  const members = state.NetworkInterfaces.filter((eni) => (eni.Groups ?? []).some((g) => g.GroupId === id));
  const referencing = state.SecurityGroups.filter(
    (g) => g.GroupId !== id && rulesOf(g).some((rule) => referencesGroup(rule, id)),
  );
  const own = referencing.filter((g) => g.OwnerId === ACCOUNT);
  const otherIds = new Set(members.flatMap((eni) => (eni.Groups ?? []).map((g) => g.GroupId)));
  return {
    accountId: ACCOUNT,
    region: 'us-east-1',
    vpcId: defaultGroup.VpcId,
    defaultGroup,
    members,
    referencingGroups: own,
    memberGroups: state.SecurityGroups.filter((g) => g.GroupId !== id && otherIds.has(g.GroupId) && !own.includes(g)),
    unreachableReferences: referencing
      .filter((g) => g.OwnerId !== ACCOUNT)
      .map((g) => ({ vpcId: g.VpcId ?? '', vpcPeeringConnectionId: 'pcx-0be3a42e284add13f' })),
  };
}

const D = 'sg-07d2e3f4a5b6c7d8e';
const ALB = 'sg-07a1b2c3d4e5f6a7b';
const API = 'sg-07c9d8e7f6a5b4c3d';
const C = 'sg-0c000000000000009';
const VPC = 'vpc-07e1f2a3b4c5d6e7f';

function group(id: string, name: string, ingress: IpPermission[] = [], egress: IpPermission[] = []): SecurityGroup {
  return {
    GroupId: id,
    GroupName: name,
    VpcId: VPC,
    OwnerId: ACCOUNT,
    IpPermissions: ingress,
    IpPermissionsEgress: egress,
  };
}

function instance(id: string, groups: string[], instanceId = `i-${id.slice(4)}`): NetworkInterface {
  return {
    NetworkInterfaceId: id,
    VpcId: VPC,
    InterfaceType: 'interface',
    RequesterManaged: false,
    Groups: groups.map((GroupId) => ({ GroupId })),
    Attachment: { InstanceId: instanceId },
  };
}

const DEFAULT_RULES = {
  ingress: [{ IpProtocol: '-1', UserIdGroupPairs: [{ GroupId: D, UserId: ACCOUNT }] }],
  egress: [{ IpProtocol: '-1', IpRanges: [{ CidrIp: '0.0.0.0/0' }] }],
};

function baseInventory(overrides: Partial<Inventory> = {}): Inventory {
  return {
    accountId: ACCOUNT,
    region: 'us-east-1',
    vpcId: VPC,
    defaultGroup: group(D, 'default', DEFAULT_RULES.ingress, DEFAULT_RULES.egress),
    members: [instance('eni-0a000000000000001', [D])],
    referencingGroups: [],
    memberGroups: [],
    unreachableReferences: [],
    ...overrides,
  };
}

/** `count` /32 CIDRs on tcp 443. */
function cidrRules(count: number, offset = 0): IpPermission {
  return {
    IpProtocol: 'tcp',
    FromPort: 443,
    ToPort: 443,
    IpRanges: Array.from({ length: count }, (_, i) => ({
      CidrIp: `203.0.${Math.floor((i + offset) / 250)}.${(i + offset) % 250}/32`,
    })),
  };
}

const options = { remediationId: 'rem-test-1' };

describe('planRemediation: compliant and empty default groups', () => {
  it('a default group without rules is compliant, whatever uses it', () => {
    const inventory = baseInventory({ defaultGroup: group(D, 'default') });
    const plan = planRemediation(inventory, options);
    expect(plan.status).toBe('compliant');
    expect(plan.reasons).toStrictEqual([]);
    expect(plan.defaultRules).toStrictEqual([]);
    expect(plan.moves).toStrictEqual([]);
    expect(plan.references).toStrictEqual([]);
    expect(plan.batches).toStrictEqual([]);
  });

  it('the compliant scenario (a member alongside app) is compliant', () => {
    const plan = planRemediation(inventoryOf(scenario('compliant')), options);
    expect(plan.status).toBe('compliant');
    expect(plan.moves).toStrictEqual([]);
  });

  it('an unused default group with rules is ready, with no replacement and no references', () => {
    const plan = planRemediation(inventoryOf(scenario('empty-default')), options);
    expect(plan).toMatchObject({
      status: 'ready',
      reasons: [],
      replacementNeeded: false,
      moves: [],
      references: [],
      batches: [],
    });
    expect(plan.defaultRules).toHaveLength(2);
  });

  it('an unused default group that references itself needs no reference edits', () => {
    const plan = planRemediation(baseInventory({ members: [] }), options);
    expect(plan.status).toBe('ready');
    expect(plan.references).toStrictEqual([]);
    expect(plan.replacementNeeded).toBe(false);
  });
});

describe('planRemediation: the sample web-app state', () => {
  const plan = planRemediation(inventoryOf(sample()), options);

  it('is ready and carries identity fields', () => {
    expect(plan).toMatchObject({
      remediationId: 'rem-test-1',
      accountId: ACCOUNT,
      region: 'us-east-1',
      vpcId: VPC,
      defaultGroupId: D,
      status: 'ready',
      reasons: [],
      replacementNeeded: true,
      replacementName: 'default-replacement-rem-test-1',
    });
  });

  it('copies the default group rules', () => {
    expect(plan.defaultRules).toStrictEqual([
      { direction: 'ingress', protocol: '-1', peer: { kind: 'group', groupId: D, userId: ACCOUNT } },
      { direction: 'egress', protocol: '-1', peer: { kind: 'cidr4', cidr: '0.0.0.0/0' } },
    ]);
  });

  it('moves the two instance interfaces on the default group', () => {
    expect(plan.moves).toStrictEqual([
      {
        networkInterfaceId: 'eni-07000000000000011',
        owner: { kind: 'ec2-instance', label: 'EC2 instance i-07a1', mover: 'ec2-modify-network-interface' },
        groupsBefore: [D],
      },
      {
        networkInterfaceId: 'eni-07000000000000012',
        owner: { kind: 'ec2-instance', label: 'EC2 instance i-07a2', mover: 'ec2-modify-network-interface' },
        groupsBefore: [D],
      },
    ]);
    expect(plan.batches).toStrictEqual([['eni-07000000000000011', 'eni-07000000000000012']]);
  });

  it('finds three references: the self reference, alb egress and api ingress (with its description)', () => {
    const refs = plan.references.map((r) => ({ groupId: r.groupId, rule: r.rule }));
    expect(refs).toHaveLength(3);
    expect(refs).toContainEqual({
      groupId: D,
      rule: { direction: 'ingress', protocol: '-1', peer: { kind: 'group', groupId: D, userId: ACCOUNT } },
    });
    expect(refs).toContainEqual({
      groupId: ALB,
      rule: {
        direction: 'egress',
        protocol: 'tcp',
        fromPort: 8080,
        toPort: 8080,
        peer: { kind: 'group', groupId: D, userId: ACCOUNT },
      },
    });
    expect(refs).toContainEqual({
      groupId: API,
      rule: {
        direction: 'ingress',
        protocol: 'tcp',
        fromPort: 8443,
        toPort: 8443,
        peer: { kind: 'group', groupId: D, userId: ACCOUNT },
        description: 'workers on default',
      },
    });
    const names = Object.fromEntries(plan.references.map((r) => [r.groupId, r.groupName]));
    expect(names).toStrictEqual({ [D]: 'default', [ALB]: 'alb', [API]: 'api' });
  });

  it('respects the batch size', () => {
    const one = planRemediation(inventoryOf(sample()), { ...options, batchSize: 1 });
    expect(one.batches).toStrictEqual([['eni-07000000000000011'], ['eni-07000000000000012']]);
    const zero = planRemediation(inventoryOf(sample()), { ...options, batchSize: 0 });
    expect(zero.batches.flat()).toStrictEqual(['eni-07000000000000011', 'eni-07000000000000012']);
    expect(zero.batches.every((batch) => batch.length >= 1)).toBe(true);
  });

  it('batches many members in id order with no batch over the size', () => {
    const members = Array.from({ length: 23 }, (_, i) =>
      instance(`eni-0a0000000000000${String(50 - i).padStart(2, '0')}`, [D]),
    );
    const big = planRemediation(baseInventory({ members }), { ...options, batchSize: 5 });
    expect(big.batches.map((b) => b.length)).toStrictEqual([5, 5, 5, 5, 3]);
    const flat = big.batches.flat();
    expect(flat).toStrictEqual([...flat].sort());
    expect(new Set(flat).size).toBe(23);
    expect(big.moves.map((m) => m.networkInterfaceId)).toStrictEqual(flat);
  });
});

describe('planRemediation: blocked plans change nothing and say why (I4)', () => {
  it('requester-managed members block, naming each interface and its owner', () => {
    const plan = planRemediation(inventoryOf(scenario('requester-managed')), options);
    expect(plan.status).toBe('blocked');
    expect(plan.reasons).toHaveLength(2);
    const lambda = plan.reasons.find((r) => r.includes('eni-0c0a52770ee60195e'));
    const rds = plan.reasons.find((r) => r.includes('eni-02a9b46f76a6b7590'));
    expect(lambda).toContain('Lambda function my-function');
    expect(rds).toContain('RDS database');
    // The instance interface is movable and not blamed.
    expect(plan.reasons.join(' ')).not.toContain('eni-03cedb176b91e6e32');
  });

  it('unreachable references block when something uses the default group', () => {
    const plan = planRemediation(
      baseInventory({
        unreachableReferences: [{ vpcId: 'vpc-0ec491491d2bb2b60', vpcPeeringConnectionId: 'pcx-0be3a42e284add13f' }],
      }),
      options,
    );
    expect(plan.status).toBe('blocked');
    expect(plan.reasons).toHaveLength(1);
    expect(plan.reasons[0]).toContain('vpc-0ec491491d2bb2b60');
    expect(plan.reasons[0]).toContain('pcx-0be3a42e284add13f');
  });

  it('the cross-account peering scenario is blocked', () => {
    const plan = planRemediation(inventoryOf(scenario('peered-cross-account')), options);
    expect(plan.status).toBe('blocked');
    expect(plan.reasons.join(' ')).toContain('vpc-0ec491491d2bb2b60');
  });

  it('unreachable references do not block when nothing uses the default group', () => {
    const plan = planRemediation(
      baseInventory({
        members: [],
        unreachableReferences: [{ vpcId: 'vpc-0ec491491d2bb2b60', transitGatewayId: 'tgw-0abc' }],
      }),
      options,
    );
    expect(plan.status).toBe('ready');
    expect(plan.reasons).toStrictEqual([]);
  });

  it('a referencing group already at 60 inbound rules blocks, naming the group', () => {
    const partner = group('sg-0e000000000000001', 'partner', [
      cidrRules(59),
      { IpProtocol: 'tcp', FromPort: 8080, ToPort: 8080, UserIdGroupPairs: [{ GroupId: D }] },
    ]);
    const plan = planRemediation(baseInventory({ referencingGroups: [partner] }), options);
    expect(plan.status).toBe('blocked');
    expect(plan.reasons).toHaveLength(1);
    expect(plan.reasons[0]).toContain('sg-0e000000000000001 (partner)');
    expect(plan.reasons[0]).toContain('61 inbound IPv4');
  });

  it('a referencing group at 59 inbound rules has room for its twin', () => {
    const partner = group('sg-0e000000000000001', 'partner', [
      cidrRules(58),
      { IpProtocol: 'tcp', FromPort: 8080, ToPort: 8080, UserIdGroupPairs: [{ GroupId: D }] },
    ]);
    expect(planRemediation(baseInventory({ referencingGroups: [partner] }), options).status).toBe('ready');
  });

  it('counts the IPv6 family separately: 60 IPv6 rules plus a twin block', () => {
    const v6 = group('sg-0e000000000000002', 'v6', [
      {
        IpProtocol: 'tcp',
        FromPort: 443,
        ToPort: 443,
        Ipv6Ranges: Array.from({ length: 59 }, (_, i) => ({ CidrIpv6: `2600:1f18::${i.toString(16)}/128` })),
      },
      { IpProtocol: 'tcp', FromPort: 8080, ToPort: 8080, UserIdGroupPairs: [{ GroupId: D }] },
    ]);
    const plan = planRemediation(baseInventory({ referencingGroups: [v6] }), options);
    expect(plan.status).toBe('blocked');
    expect(plan.reasons[0]).toContain('sg-0e000000000000002');
    expect(plan.reasons[0]).toContain('IPv6');
  });

  it('counts outbound rules separately: 60 outbound rules plus a twin block, naming the direction', () => {
    const batch = group(
      'sg-0e000000000000003',
      'batch',
      [],
      [
        { ...cidrRules(59), IpProtocol: 'udp' },
        { IpProtocol: 'tcp', FromPort: 5432, ToPort: 5432, UserIdGroupPairs: [{ GroupId: D }] },
      ],
    );
    const plan = planRemediation(baseInventory({ referencingGroups: [batch] }), options);
    expect(plan.status).toBe('blocked');
    expect(plan.reasons).toStrictEqual([
      'sg-0e000000000000003 (batch) would need 61 outbound IPv4 rules, over the quota of 60.',
    ]);
  });

  it('the near-quota scenario is blocked on partner-gateway', () => {
    const plan = planRemediation(inventoryOf(scenario('near-quota')), options);
    expect(plan.status).toBe('blocked');
    expect(plan.reasons.some((r) => r.includes('sg-0ed1ba3f73e628737') && r.includes('partner-gateway'))).toBe(true);
  });

  it("the account's quota, as read into the inventory, is the one counted", () => {
    const plan = planRemediation(
      { ...inventoryOf(sample()), limits: { ...documentedLimits(), rulesPerGroup: 1 } },
      options,
    );
    expect(plan.status).toBe('blocked');
  });

  it('self references doubled in the replacement over the quota block, naming the replacement group', () => {
    const selfRefs = (count: number): IpPermission[] =>
      Array.from({ length: count }, (_, i) => ({
        IpProtocol: 'tcp',
        FromPort: 1000 + i,
        ToPort: 1000 + i,
        UserIdGroupPairs: [{ GroupId: D }],
      }));
    const over = planRemediation(baseInventory({ defaultGroup: group(D, 'default', selfRefs(31)) }), options);
    expect(over.status).toBe('blocked');
    expect(over.reasons.some((r) => r.startsWith('the replacement group would need 62 inbound IPv4'))).toBe(true);
    const at = planRemediation(baseInventory({ defaultGroup: group(D, 'default', selfRefs(30)) }), options);
    expect(at.status).toBe('ready');
  });

  it('lists every reason, not just the first', () => {
    const inventory = inventoryOf(scenario('requester-managed'));
    inventory.unreachableReferences.push({ vpcId: 'vpc-0ffffffffffffffff' });
    const plan = planRemediation(inventory, options);
    expect(plan.reasons).toHaveLength(3);
  });
});

describe('planRemediation is pure', () => {
  it('does not change the inventory it reads', () => {
    const inventory = inventoryOf(scenario('busy'));
    const before = structuredClone(inventory);
    const plan = planRemediation(inventory, { ...options, batchSize: 7 });
    expect(inventory).toStrictEqual(before);
    expect(plan.moves).toHaveLength(40);
    expect(plan.batches.map((b) => b.length)).toStrictEqual([7, 7, 7, 7, 7, 5]);
    // 12 references in other groups, plus the default group's own self reference.
    expect(plan.references.filter((r) => r.groupId !== plan.defaultGroupId)).toHaveLength(12);
  });

  it('gives the same plan for members in any order', () => {
    const inventory = inventoryOf(scenario('busy'));
    const reversed = { ...inventory, members: [...inventory.members].reverse() };
    expect(planRemediation(reversed, options)).toStrictEqual(planRemediation(inventory, options));
  });
});

describe('replacement rules and group swaps', () => {
  const selfRef: Rule = {
    direction: 'ingress',
    protocol: '-1',
    peer: { kind: 'group', groupId: D, userId: ACCOUNT },
    description: 'members',
  };
  const egressSelf: Rule = {
    direction: 'egress',
    protocol: 'tcp',
    fromPort: 6379,
    toPort: 6379,
    peer: { kind: 'group', groupId: D },
  };
  const cidr: Rule = { direction: 'egress', protocol: '-1', peer: { kind: 'cidr4', cidr: '0.0.0.0/0' } };
  const other: Rule = {
    direction: 'egress',
    protocol: 'tcp',
    fromPort: 5432,
    toPort: 5432,
    peer: { kind: 'group', groupId: ALB },
  };

  it('twinOf points a reference at the replacement, keeping the rest', () => {
    expect(twinOf(selfRef, D, C)).toStrictEqual({ ...selfRef, peer: { kind: 'group', groupId: C, userId: ACCOUNT } });
  });

  it('during the move every reference to the default group is doubled (replacement and default)', () => {
    expect(replacementRulesDuringMove([selfRef, cidr, egressSelf, other], D, C)).toStrictEqual([
      twinOf(selfRef, D, C),
      selfRef,
      cidr,
      twinOf(egressSelf, D, C),
      egressSelf,
      other,
    ]);
  });

  it('finally references point at the replacement only', () => {
    expect(replacementRulesFinal([selfRef, cidr, egressSelf, other], D, C)).toStrictEqual([
      twinOf(selfRef, D, C),
      cidr,
      twinOf(egressSelf, D, C),
      other,
    ]);
  });

  it('groupsAfterMove swaps in place, keeps the order and never duplicates', () => {
    expect(groupsAfterMove(['sg-a', D, 'sg-b'], D, C)).toStrictEqual(['sg-a', C, 'sg-b']);
    expect(groupsAfterMove([D], D, C)).toStrictEqual([C]);
    expect(groupsAfterMove([C, D], D, C)).toStrictEqual([C]);
    expect(groupsAfterMove([D, 'sg-a', C], D, C)).toStrictEqual([C, 'sg-a']);
    expect(groupsAfterMove(['sg-a', 'sg-b'], D, C)).toStrictEqual(['sg-a', 'sg-b']);
  });

  it('a five-group interface keeps five groups', () => {
    const five = ['sg-1', D, 'sg-3', 'sg-4', 'sg-5'];
    expect(groupsAfterMove(five, D, C)).toHaveLength(5);
  });

  it('chunk splits in order', () => {
    expect(chunk([1, 2, 3, 4, 5], 2)).toStrictEqual([[1, 2], [3, 4], [5]]);
    expect(chunk([], 3)).toStrictEqual([]);
  });

  it('replacementName uses the prefix and fits the 255-character group name limit', () => {
    expect(replacementName('abc')).toBe(`${REPLACEMENT_NAME_PREFIX}abc`);
    expect(replacementName('x'.repeat(400))).toHaveLength(255);
  });
});

describe('interfaces of services this version does not move (issue 11: other interface types)', () => {
  it('blocks with what the interface is and the command that moves it, and names no copy that will not exist', () => {
    const eic: NetworkInterface = {
      NetworkInterfaceId: 'eni-0a000000000000009',
      VpcId: VPC,
      InterfaceType: 'ec2_instance_connect_endpoint',
      RequesterManaged: true,
      RequesterId: '123456789012',
      Groups: [{ GroupId: D }],
    };
    const plan = planRemediation(baseInventory({ members: [eic] }), { remediationId: 'rem-1' });
    expect(plan.status).toBe('blocked');
    expect(plan.reasons).toEqual([
      'eni-0a000000000000009 belongs to an EC2 Instance Connect Endpoint (requester 123456789012): its groups change with ModifyInstanceConnectEndpoint, which this version does not call. Run aws ec2 modify-instance-connect-endpoint --instance-connect-endpoint-id <eice-…> --security-group-ids a group of its own holding the rules it needs from the default group (and its other groups). Then run the remediation again.',
    ]);
  });
});

describe('stacks in the plan (issue 11)', () => {
  const STACK = 'aws:cloudformation:stack-name';
  it('records the stacks of moved interfaces (own tag, else the instance) and of twinned referencing groups', () => {
    const tagged = { ...instance('eni-0a000000000000002', [D]), TagSet: [{ Key: STACK, Value: 'eni-stack' }] };
    const referencing = {
      ...group('sg-0b000000000000001', 'web', [
        { IpProtocol: 'tcp', FromPort: 443, ToPort: 443, UserIdGroupPairs: [{ GroupId: D }] },
      ]),
      Tags: [{ Key: STACK, Value: 'network' }],
    };
    const unrelated = { ...group('sg-0b000000000000002', 'other'), Tags: [{ Key: STACK, Value: 'elsewhere' }] };
    const plan = planRemediation(
      baseInventory({
        members: [instance('eni-0a000000000000001', [D], 'i-0c000000000000001'), tagged],
        instanceStacks: { 'i-0c000000000000001': 'web-app', 'i-0a000000000000002': 'instance-stack' },
        referencingGroups: [referencing, unrelated],
      }),
      { remediationId: 'rem-1' },
    );
    expect(plan.stacks?.map((use) => [use.stackName, use.interfaces, use.groups])).toEqual([
      ['eni-stack', ['i-0a000000000000002 (eni-0a000000000000002)'], []],
      ['network', [], ['sg-0b000000000000001']],
      ['web-app', ['i-0c000000000000001 (eni-0a000000000000001)'], []],
    ]);
  });
});

describe('planRemediation: owners that launch onto the group, and owners that cannot move', () => {
  const managed = (id: string, description: string): NetworkInterface => ({
    NetworkInterfaceId: id,
    VpcId: VPC,
    InterfaceType: 'interface',
    RequesterManaged: true,
    Description: description,
    Groups: [{ GroupId: D }],
    Attachment: { Status: 'attached' },
    Status: 'in-use',
  });

  it('an ECS service is moved with a note that the move is a deployment; its task interface follows it', () => {
    const attachment = '0a1b2c3d-4e5f-4a7b-8c9d-0e1f2a3b4c5d';
    const plan = planRemediation(
      baseInventory({
        members: [managed('eni-0a000000000000002', `arn:aws:ecs:us-east-1:${ACCOUNT}:attachment/${attachment}`)],
        resources: [{ kind: 'ecs-service', id: 'prod/web', vpcId: VPC, groups: [D], members: [attachment] }],
      }),
      options,
    );
    expect(plan.status).toBe('ready');
    expect(plan.resourceMoves?.[0]).toMatchObject({
      label: 'ECS service prod/web',
      interfaceIds: ['eni-0a000000000000002'],
    });
    expect(
      plan.notes?.some((note) => note.startsWith('ECS service prod/web: UpdateService starts a new deployment')),
    ).toBe(true);
  });

  it('a resource that carries a block reason blocks with it alone, and its interfaces add none', () => {
    const attachment = '0a1b2c3d-4e5f-4a7b-8c9d-0e1f2a3b4c5d';
    const plan = planRemediation(
      baseInventory({
        members: [managed('eni-0a000000000000002', `arn:aws:ecs:us-east-1:${ACCOUNT}:attachment/${attachment}`)],
        resources: [{ kind: 'ecs-task', id: 'arn:task', groups: [], members: [attachment], blocked: 'Stop it.' }],
      }),
      options,
    );
    expect(plan.status).toBe('blocked');
    expect(plan.reasons).toEqual(['Stop it.']);
  });

  it('an EKS control-plane interface blocks with the change to make through the EKS API', () => {
    const plan = planRemediation(
      baseInventory({ members: [managed('eni-0a000000000000003', 'Amazon EKS prod')] }),
      options,
    );
    expect(plan.status).toBe('blocked');
    expect(plan.reasons[0]).toMatch(
      /eni-0a000000000000003 belongs to EKS cluster "prod": .* does not move it through its service\. Replace the default group .*update-cluster-config --name "prod"/,
    );
  });
});
