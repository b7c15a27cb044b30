/**
 * The pure decisions of issue 10, points 2, 4 and 7: reasons for references out of reach, stale rules on the default
 * group, EFA-only interfaces, and orphaned requester-managed interfaces left on the default group — in the plan, in
 * the re-check's drift analysis and in Verify's structural check.
 */
import { describe, expect, it } from 'vitest';
import { findResultProblems, type LiveView } from '../../../handlers/core/checks.ts';
import { analyzeDrift } from '../../../handlers/core/drift.ts';
import type { NetworkInterface, SecurityGroup } from '../../../handlers/core/ec2-shapes.ts';
import { classifyInterface, isOrphaned } from '../../../handlers/core/owners.ts';
import { type Inventory, planRemediation, unreachableReason } from '../../../handlers/core/plan.ts';
import type { ResourceState } from '../../../handlers/core/resources.ts';

const ACCOUNT = '111122223333';
const D = 'sg-0d00000000000000d';
const C = 'sg-0c00000000000000c';
const VPC = 'vpc-0a0000000000000a0';
const PEER_GROUP = 'sg-0b00000000000000b';
const PCX = 'pcx-0f0000000000000f0';

const defaultGroup = (extra: SecurityGroup['IpPermissions'] = []): SecurityGroup => ({
  GroupId: D,
  GroupName: 'default',
  VpcId: VPC,
  OwnerId: ACCOUNT,
  IpPermissions: [{ IpProtocol: '-1', UserIdGroupPairs: [{ GroupId: D, UserId: ACCOUNT }] }, ...extra],
  IpPermissionsEgress: [{ IpProtocol: '-1', IpRanges: [{ CidrIp: '0.0.0.0/0' }] }],
});

const instance = (id: string): NetworkInterface => ({
  NetworkInterfaceId: id,
  InterfaceType: 'interface',
  RequesterManaged: false,
  Status: 'in-use',
  Attachment: { InstanceId: 'i-0123456789abcdef0', Status: 'attached' },
  Groups: [{ GroupId: D }],
});

const orphanedLambda = (): NetworkInterface => ({
  NetworkInterfaceId: 'eni-0e0000000000000e1',
  InterfaceType: 'lambda',
  RequesterManaged: true,
  RequesterId: 'AROAEXAMPLE:nightly-report',
  Status: 'available',
  Description: 'AWS Lambda VPC ENI-nightly-report-5b0e2f4c-8d1a-4c3e-9f6b-2a7d9e1c4b38',
  Groups: [{ GroupId: D }],
});

function inventory(fields: Partial<Inventory> = {}): Inventory {
  return {
    accountId: ACCOUNT,
    region: 'us-east-1',
    vpcId: VPC,
    defaultGroup: defaultGroup(),
    members: [instance('eni-0e0000000000000e0')],
    referencingGroups: [],
    memberGroups: [],
    unreachableReferences: [],
    resources: [],
    ...fields,
  };
}

const STALE_PAIR = {
  GroupId: PEER_GROUP,
  UserId: '444455556666',
  VpcId: 'vpc-0c0000000000000c0',
  VpcPeeringConnectionId: PCX,
  PeeringStatus: 'deleted',
};

describe('references out of reach: the reason names the VPC, the connection and why', () => {
  it.each([
    [{ vpcNotVisible: true }, 'belongs to another account.'],
    [{ vpcOwnerId: '444455556666' }, 'belongs to account 444455556666.'],
    [{ otherAccounts: ['444455556666', '777788889999'] }, 'is shared with account(s) 444455556666, 777788889999'],
    [{}, 'cannot read or edit them to add the replacement next to it.'],
  ])('%j', (why, expected) => {
    const reason = unreachableReason({ vpcId: 'vpc-0b0000000000000b0', vpcPeeringConnectionId: PCX, ...why });
    expect(reason).toContain(`Security groups in vpc-0b0000000000000b0 (through ${PCX}) reference the default group`);
    expect(reason).toContain(expected);
  });
});

describe('stale rules on the default group', () => {
  it('a pair whose PeeringStatus is not active blocks the plan, naming the rule and the fix', () => {
    const plan = planRemediation(
      inventory({
        // The same permission also allows a CIDR: only the pair is stale.
        defaultGroup: defaultGroup([
          {
            IpProtocol: 'tcp',
            FromPort: 22,
            ToPort: 22,
            IpRanges: [{ CidrIp: '10.0.0.0/8' }],
            UserIdGroupPairs: [STALE_PAIR],
          },
        ]),
      }),
      { remediationId: 'rem-1' },
    );
    expect(plan.status).toBe('blocked');
    expect(plan.reasons).toEqual([
      `The default group ${D} has a stale inbound TCP 22 rule: it references ${PEER_GROUP} in vpc-0c0000000000000c0 through ${PCX}, which is deleted. It carries no traffic, but EC2 refuses to authorize it again, so it can be neither copied to the replacement nor restored by a rollback. Remove it (aws ec2 revoke-security-group-ingress --group-id ${D} with that rule; DescribeStaleSecurityGroups lists it), or re-create an active peering connection between the two VPCs, then run again.`,
    ]);
  });

  it('a rule DescribeStaleSecurityGroups lists (its group deleted) blocks even with no member', () => {
    const egress = { direction: 'egress' as const, protocol: 'tcp', fromPort: 6379, toPort: 6379 };
    const plan = planRemediation(
      inventory({
        members: [],
        staleDefaultRules: [{ rule: { ...egress, peer: { kind: 'group', groupId: 'sg-0dead00000000dead' } } }],
      }),
      { remediationId: 'rem-1' },
    );
    expect(plan.status).toBe('blocked');
    expect(plan.reasons[0]).toContain(
      'stale outbound TCP 6379 rule: the group it references, sg-0dead00000000dead, no longer exists',
    );
    expect(plan.reasons[0]).not.toContain('re-create');
  });

  it('a peering deleted during the approval wait stops the re-check', () => {
    const plan = planRemediation(inventory(), { remediationId: 'rem-1' });
    const live: LiveView = {
      inventory: {
        ...inventory({ members: [] }),
        defaultGroup: defaultGroup([{ IpProtocol: 'tcp', FromPort: 22, ToPort: 22, UserIdGroupPairs: [STALE_PAIR] }]),
      },
      replacement: { GroupId: C, IpPermissions: [], IpPermissionsEgress: [] },
      plannedMembers: new Map(),
    };
    expect(analyzeDrift(plan, live).stop.join('\n')).toContain(`has a stale inbound TCP 22 rule`);
  });
});

describe('EFA-only interfaces', () => {
  it('are the account’s own and move with ModifyNetworkInterfaceAttribute, attached or not', () => {
    expect(
      classifyInterface({ InterfaceType: 'efa-only', RequesterManaged: false, Attachment: { InstanceId: 'i-0efa' } }),
    ).toEqual({ kind: 'ec2-instance', label: 'EC2 instance i-0efa', mover: 'ec2-modify-network-interface' });
    expect(classifyInterface({ InterfaceType: 'efa-only', RequesterManaged: false }).mover).toBe(
      'ec2-modify-network-interface',
    );
  });
});

describe('orphaned requester-managed interfaces', () => {
  const resources: ResourceState[] = [{ kind: 'lambda-function', id: 'orders-api', vpcId: VPC, groups: [C] }];

  it('available, named owner unknown to its service: an orphan; in use, owner known, or services not read: not', () => {
    const eni = orphanedLambda();
    const owner = classifyInterface(eni);
    expect(isOrphaned(eni, owner, resources)).toBe(true);
    expect(isOrphaned({ ...eni, Status: 'in-use' }, owner, resources)).toBe(false);
    expect(isOrphaned(eni, owner, undefined)).toBe(false);
    expect(isOrphaned(eni, owner, [...resources, { kind: 'lambda-function', id: 'nightly-report', groups: [C] }])).toBe(
      false,
    );
    // An RDS interface does not name its instance: its owner cannot be shown to be gone.
    const rds = { ...eni, InterfaceType: 'interface', Description: 'RDSNetworkInterface', RequesterId: 'amazon-rds' };
    expect(isOrphaned(rds, classifyInterface(rds), resources)).toBe(false);
    // An ElastiCache node no replication group or cluster knows.
    const cache = {
      ...eni,
      InterfaceType: 'interface',
      Description: 'ElastiCache old-node-001',
      RequesterId: 'amazon-elasticache',
    };
    expect(isOrphaned(cache, classifyInterface(cache), resources)).toBe(true);
  });

  it('is left on the default group with a note; the plan moves the rest', () => {
    const plan = planRemediation(inventory({ members: [instance('eni-0e0000000000000e0'), orphanedLambda()] }), {
      remediationId: 'rem-1',
    });
    expect(plan.status).toBe('ready');
    expect(plan.moves.map((move) => move.networkInterfaceId)).toEqual(['eni-0e0000000000000e0']);
    expect(plan.leftOnDefault).toEqual([
      { networkInterfaceId: 'eni-0e0000000000000e1', label: 'Lambda function nightly-report' },
    ]);
    expect(plan.notes?.[0]).toContain(
      'eni-0e0000000000000e1 (Lambda function nightly-report) is left on the default group',
    );
  });

  it('alone on the default group: no replacement is needed, the strip alone remediates', () => {
    const plan = planRemediation(inventory({ members: [orphanedLambda()] }), { remediationId: 'rem-1' });
    expect(plan.status).toBe('ready');
    expect(plan.replacementNeeded).toBe(false);
  });

  it('re-check and Verify accept it while it is attached to nothing, and stop once it is used again', () => {
    const plan = planRemediation(inventory({ members: [orphanedLambda()] }), { remediationId: 'rem-1' });
    const liveWith = (eni: NetworkInterface): LiveView => ({
      inventory: {
        ...inventory({ members: [eni] }),
        defaultGroup: { ...defaultGroup(), IpPermissions: [], IpPermissionsEgress: [] },
      },
      plannedMembers: new Map(),
    });
    expect(analyzeDrift(plan, liveWith(orphanedLambda())).stop).toEqual([]);
    expect(findResultProblems(plan, liveWith(orphanedLambda()))).toEqual([]);
    const used = {
      ...orphanedLambda(),
      Status: 'in-use',
      Attachment: { InstanceOwnerId: 'amazon-aws', Status: 'attached' },
    };
    const why = `eni-0e0000000000000e1 (Lambda function nightly-report) was left on the default group because it was attached to nothing and its owner was gone, but it is now in-use (attached to amazon-aws): stripping the default group would cut its traffic.`;
    expect(analyzeDrift(plan, liveWith(used)).stop).toEqual([why]);
    expect(findResultProblems(plan, liveWith(used))).toEqual([why]);
  });
});
