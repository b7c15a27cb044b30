/**
 * The simulator's peering connections, references and stale rules, against the AWS documentation:
 * DescribeSecurityGroupReferences (one row per referencing VPC), DescribeStaleSecurityGroups (the example of
 * https://docs.aws.amazon.com/vpc/latest/peering/vpc-peering-security-groups.html), Authorize* through a peering
 * connection that is not active, VPC sharing (https://docs.aws.amazon.com/vpc/latest/userguide/vpc-share-limitations.html)
 * and the `VpcPeeringConnections` state key (`aws ec2 describe-vpc-peering-connections` output).
 */
import { describe, expect, it } from 'vitest';
import { Ec2Simulator } from '../../handlers/adapters/local/ec2-simulator.ts';
import type { Ec2State, IpPermission, SecurityGroup } from '../../handlers/core/ec2-shapes.ts';
import { Ec2ApiError, InvalidInputError } from '../../handlers/core/errors.ts';
import { scenarioState } from '../support/harness.ts';

const ACCOUNT = '111122223333';
const PARTICIPANT = '444455556666';

type WithPeerings = Ec2State & {
  VpcPeeringConnections?: { VpcPeeringConnectionId: string; Status: { Code: string; Message?: string } }[];
};

function named(state: Ec2State, name: string, vpcId?: string): SecurityGroup {
  const group = state.SecurityGroups.find((g) => g.GroupName === name && (!vpcId || g.VpcId === vpcId));
  if (!group) throw new Error(`no group ${name}`);
  return group;
}

async function failure(promise: Promise<unknown>, code: string): Promise<Ec2ApiError> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error, `expected ${code}`).toBeInstanceOf(Ec2ApiError);
  expect((error as Ec2ApiError).name).toBe(code);
  return error as Ec2ApiError;
}

/** The shared, peered fixture: D in VPC A; reporting (ours) and partner-etl (the participant's) in VPC B. */
function shared() {
  const state = scenarioState('peered-shared-participant') as WithPeerings;
  const defaultGroup = state.SecurityGroups[0] as SecurityGroup;
  const reporting = named(state, 'reporting');
  const partner = named(state, 'partner-etl');
  const pcx = state.VpcPeeringConnections?.[0]?.VpcPeeringConnectionId ?? '';
  return { state, defaultGroup, reporting, partner, pcx };
}

/** The stale fixture: D (VPC A) allows tcp 5432 from analytics (account 4444, VPC C) through a deleted pcx. */
function stale() {
  const state = scenarioState('stale-default-rule') as WithPeerings;
  const defaultGroup = state.SecurityGroups[0] as SecurityGroup;
  const analytics = named(state, 'analytics');
  const pcx = state.VpcPeeringConnections?.[0]?.VpcPeeringConnectionId ?? '';
  return { state, defaultGroup, analytics, pcx };
}

const fromGroup = (groupId: string, extra: Record<string, string> = {}, port = 8443): IpPermission => ({
  IpProtocol: 'tcp',
  FromPort: port,
  ToPort: port,
  UserIdGroupPairs: [{ GroupId: groupId, ...extra }],
});

describe('DescribeSecurityGroupReferences', () => {
  it('answers one row per referencing VPC, whoever owns the groups there and however many rules reference the group', async () => {
    const { state, defaultGroup, reporting, pcx } = shared();
    const ec2 = Ec2Simulator.fromState(state);
    expect(await ec2.describeSecurityGroupReferences({ GroupId: [defaultGroup.GroupId ?? ''] })).toEqual({
      SecurityGroupReferenceSet: [
        { GroupId: defaultGroup.GroupId, ReferencingVpcId: reporting.VpcId, VpcPeeringConnectionId: pcx },
      ],
    });
  });

  it("names the VPCs' active peering connection when the referencing pairs do not", async () => {
    const { state, defaultGroup, reporting, pcx } = shared();
    for (const group of state.SecurityGroups)
      for (const permission of group.IpPermissions ?? [])
        for (const pair of permission.UserIdGroupPairs ?? []) {
          delete pair.VpcPeeringConnectionId;
          delete pair.PeeringStatus;
        }
    const ec2 = Ec2Simulator.fromState(state);
    const rows = (await ec2.describeSecurityGroupReferences({ GroupId: [defaultGroup.GroupId ?? ''] }))
      .SecurityGroupReferenceSet;
    expect(rows).toEqual([
      { GroupId: defaultGroup.GroupId, ReferencingVpcId: reporting.VpcId, VpcPeeringConnectionId: pcx },
    ]);
  });
});

describe('DescribeStaleSecurityGroups', () => {
  it('lists the group with the rule through the deleted peering, in the shape of the VPC Peering Guide example', async () => {
    const { state, defaultGroup, analytics, pcx } = stale();
    const ec2 = Ec2Simulator.fromState(state);
    expect(await ec2.describeStaleSecurityGroups({ VpcId: defaultGroup.VpcId ?? '' })).toEqual({
      StaleSecurityGroupSet: [
        {
          Description: 'default VPC security group',
          GroupId: defaultGroup.GroupId,
          GroupName: 'default',
          StaleIpPermissions: [
            {
              IpProtocol: 'tcp',
              FromPort: 5432,
              ToPort: 5432,
              UserIdGroupPairs: [
                {
                  GroupId: analytics.GroupId,
                  UserId: PARTICIPANT,
                  VpcId: analytics.VpcId,
                  VpcPeeringConnectionId: pcx,
                  PeeringStatus: 'deleted',
                  Description: 'analytics over the old peering',
                },
              ],
            },
          ],
          StaleIpPermissionsEgress: [],
          VpcId: defaultGroup.VpcId,
        },
      ],
    });
  });

  it('a rule is no longer stale once an active connection joins the same VPCs again', async () => {
    const { state, defaultGroup } = stale();
    const connection = state.VpcPeeringConnections?.[0];
    if (connection) connection.Status = { Code: 'active', Message: 'Active' };
    const ec2 = Ec2Simulator.fromState(state);
    expect(await ec2.describeStaleSecurityGroups({ VpcId: defaultGroup.VpcId ?? '' })).toEqual({
      StaleSecurityGroupSet: [],
    });
  });

  it('without VpcPeeringConnections, a pair whose PeeringStatus is not active is stale; a connection absent from the records is deleted', async () => {
    const { state, defaultGroup, pcx } = stale();
    const withoutRecords = { ...state, VpcPeeringConnections: undefined };
    const inferred = Ec2Simulator.fromState(withoutRecords);
    const rows = (await inferred.describeStaleSecurityGroups({ VpcId: defaultGroup.VpcId ?? '' }))
      .StaleSecurityGroupSet;
    expect(rows?.map((row) => row.GroupId)).toEqual([defaultGroup.GroupId]);
    const absent = Ec2Simulator.fromState({ ...state, VpcPeeringConnections: [] });
    const [row] =
      (await absent.describeStaleSecurityGroups({ VpcId: defaultGroup.VpcId ?? '' })).StaleSecurityGroupSet ?? [];
    expect(row?.StaleIpPermissions?.[0]?.UserIdGroupPairs?.[0]).toMatchObject({
      VpcPeeringConnectionId: pcx,
      PeeringStatus: 'deleted',
    });
  });

  it('a reference to a group of this account that no longer exists is stale', async () => {
    const { state, defaultGroup } = stale();
    (state.SecurityGroups[0] as SecurityGroup).IpPermissionsEgress?.push({
      IpProtocol: 'tcp',
      FromPort: 6379,
      ToPort: 6379,
      IpRanges: [],
      Ipv6Ranges: [],
      PrefixListIds: [],
      UserIdGroupPairs: [{ GroupId: 'sg-0dddddddddddddddd', UserId: ACCOUNT }],
    });
    const ec2 = Ec2Simulator.fromState(state);
    const [row] =
      (await ec2.describeStaleSecurityGroups({ VpcId: defaultGroup.VpcId ?? '' })).StaleSecurityGroupSet ?? [];
    expect(row?.StaleIpPermissionsEgress).toEqual([
      {
        IpProtocol: 'tcp',
        FromPort: 6379,
        ToPort: 6379,
        UserIdGroupPairs: [{ GroupId: 'sg-0dddddddddddddddd', UserId: ACCOUNT }],
      },
    ]);
  });

  it('validates its request: VpcId required and known, MaxResults 5-255, tokens bound to the query', async () => {
    const { state, defaultGroup, analytics } = stale();
    const ec2 = Ec2Simulator.fromState(state);
    await failure(ec2.describeStaleSecurityGroups({ VpcId: '' }), 'MissingParameter');
    await failure(ec2.describeStaleSecurityGroups({ VpcId: 'vpc-123' }), 'InvalidVpcID.Malformed');
    // The peer VPC is another account's: this one cannot describe it.
    await failure(ec2.describeStaleSecurityGroups({ VpcId: analytics.VpcId ?? '' }), 'InvalidVpcID.NotFound');
    for (const MaxResults of [4, 256])
      await failure(
        ec2.describeStaleSecurityGroups({ VpcId: defaultGroup.VpcId ?? '', MaxResults }),
        'InvalidParameterValue',
      );
    await failure(
      ec2.describeStaleSecurityGroups({ VpcId: defaultGroup.VpcId ?? '', NextToken: 'not-a-token' }),
      'InvalidParameterValue',
    );
    expect(ec2.callCounts().DescribeStaleSecurityGroups).toBe(6);
  });
});

describe('Authorize* through a peering connection', () => {
  it('refuses a reference through the deleted connection (InvalidGroup.NotFound), adding nothing', async () => {
    const { state, defaultGroup, analytics, pcx } = stale();
    const ec2 = Ec2Simulator.fromState(state);
    const before = ec2.toState();
    const error = await failure(
      ec2.authorizeSecurityGroupIngress({
        GroupId: defaultGroup.GroupId ?? '',
        IpPermissions: [fromGroup(analytics.GroupId ?? '', { UserId: PARTICIPANT, VpcPeeringConnectionId: pcx })],
      }),
      'InvalidGroup.NotFound',
    );
    expect(error.message).toBe('You have specified two resources that belong to different networks.');
    expect(ec2.toState()).toEqual(before);
  });

  it('refuses it without records too, when the pairs naming the connection say it is deleted', async () => {
    const { state, defaultGroup, analytics, pcx } = stale();
    const ec2 = Ec2Simulator.fromState({ ...state, VpcPeeringConnections: undefined });
    await failure(
      ec2.authorizeSecurityGroupEgress({
        GroupId: defaultGroup.GroupId ?? '',
        IpPermissions: [fromGroup(analytics.GroupId ?? '', { UserId: PARTICIPANT, VpcPeeringConnectionId: pcx })],
      }),
      'InvalidGroup.NotFound',
    );
  });

  it('with records, refuses a group of another VPC that no active connection joins, even when the pair names none', async () => {
    const { state, defaultGroup, analytics } = stale();
    const ec2 = Ec2Simulator.fromState(state);
    await failure(
      ec2.authorizeSecurityGroupIngress({
        GroupId: defaultGroup.GroupId ?? '',
        IpPermissions: [fromGroup(analytics.GroupId ?? '', { UserId: PARTICIPANT, VpcId: analytics.VpcId ?? '' })],
      }),
      'InvalidGroup.NotFound',
    );
  });

  it('accepts a reference across an active connection, named or not, and describes it as active', async () => {
    const { state, defaultGroup, reporting, pcx } = shared();
    const ec2 = Ec2Simulator.fromState(state);
    await ec2.authorizeSecurityGroupIngress({
      GroupId: reporting.GroupId ?? '',
      IpPermissions: [fromGroup(defaultGroup.GroupId ?? '', { VpcPeeringConnectionId: pcx })],
    });
    await ec2.authorizeSecurityGroupIngress({
      GroupId: reporting.GroupId ?? '',
      IpPermissions: [fromGroup(defaultGroup.GroupId ?? '', {}, 9000)],
    });
    const [described] =
      (await ec2.describeSecurityGroups({ GroupIds: [reporting.GroupId ?? ''] })).SecurityGroups ?? [];
    const byPort = (port: number) =>
      (described?.IpPermissions ?? []).find((p) => p.FromPort === port)?.UserIdGroupPairs ?? [];
    expect(byPort(8443)).toEqual([
      { GroupId: defaultGroup.GroupId, UserId: ACCOUNT, VpcPeeringConnectionId: pcx, PeeringStatus: 'active' },
    ]);
    expect(byPort(9000)).toEqual([{ GroupId: defaultGroup.GroupId, UserId: ACCOUNT }]);
  });
});

describe('VPC sharing and the VpcPeeringConnections key', () => {
  it("the VPC owner describes its participants' groups there, but cannot change them", async () => {
    const { state, defaultGroup, partner } = shared();
    const ec2 = Ec2Simulator.fromState(state);
    const referencing = await ec2.describeSecurityGroups({
      Filters: [{ Name: 'ip-permission.group-id', Values: [defaultGroup.GroupId ?? ''] }],
    });
    const others = referencing.SecurityGroups?.filter((g) => g.GroupId !== defaultGroup.GroupId);
    expect(others?.map((g) => [g.GroupName, g.OwnerId]).sort()).toEqual([
      ['partner-etl', PARTICIPANT],
      ['reporting', ACCOUNT],
    ]);
    expect((await ec2.describeSecurityGroups({ GroupIds: [partner.GroupId ?? ''] })).SecurityGroups).toHaveLength(1);
    await failure(
      ec2.authorizeSecurityGroupIngress({
        GroupId: partner.GroupId ?? '',
        IpPermissions: [{ IpProtocol: 'tcp', FromPort: 1, ToPort: 1, IpRanges: [{ CidrIp: '10.0.0.0/16' }] }],
      }),
      'InvalidGroup.NotFound',
    );
    // A peer VPC that is another account's stays invisible.
    const { state: staleState, analytics } = stale();
    await failure(
      Ec2Simulator.fromState(staleState).describeSecurityGroups({ GroupIds: [analytics.GroupId ?? ''] }),
      'InvalidGroup.NotFound',
    );
  });

  it("DescribeVpcs answers the VPC's owner: a participant sees the owner's id; another account's peer VPC is not found", async () => {
    const { state, reporting } = shared();
    const participant = Ec2Simulator.fromState(state, { accountId: PARTICIPANT });
    expect((await participant.describeVpcs({ VpcIds: [reporting.VpcId ?? ''] })).Vpcs?.[0]?.OwnerId).toBe(ACCOUNT);
    const owner = Ec2Simulator.fromState(state);
    expect((await owner.describeVpcs({ VpcIds: [reporting.VpcId ?? ''] })).Vpcs?.[0]?.OwnerId).toBe(ACCOUNT);
    const { state: staleState, analytics } = stale();
    await failure(
      Ec2Simulator.fromState(staleState).describeVpcs({ VpcIds: [analytics.VpcId ?? ''] }),
      'InvalidVpcID.NotFound',
    );
  });

  it('refuses VpcPeeringConnections records not in describe-vpc-peering-connections shape, naming the field', () => {
    const { state } = stale();
    const broken = structuredClone(state) as unknown as { VpcPeeringConnections: Record<string, unknown>[] };
    (broken.VpcPeeringConnections[0] as { Status: { Code: string } }).Status.Code = 'gone';
    (broken.VpcPeeringConnections[0] as { AccepterVpcInfo: { VpcId: string } }).AccepterVpcInfo.VpcId = 'vpc-1';
    let caught: unknown;
    try {
      Ec2Simulator.fromState(broken);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(InvalidInputError);
    const reasons = (caught as InvalidInputError).reasons.join('\n');
    expect(reasons).toContain('VpcPeeringConnections[0].Status.Code');
    expect(reasons).toContain('VpcPeeringConnections[0].AccepterVpcInfo.VpcId');
  });

  it('keeps VpcPeeringConnections in toState', () => {
    const { state } = stale();
    expect((Ec2Simulator.fromState(state).toState() as WithPeerings).VpcPeeringConnections).toEqual(
      state.VpcPeeringConnections,
    );
  });
});

describe('changing the world for tests', () => {
  it('addOtherAccountResources adds another account’s group and interface, refusing this account’s', () => {
    const { state, reporting } = shared();
    const ec2 = Ec2Simulator.fromState(state);
    expect(() =>
      ec2.addOtherAccountResources({
        SecurityGroups: [{ ...reporting, GroupId: 'sg-0eeeeeeeeeeeeeeee', GroupName: 'mine' }],
      }),
    ).toThrow(InvalidInputError);
    ec2.addOtherAccountResources({
      SecurityGroups: [
        {
          GroupId: 'sg-0eeeeeeeeeeeeeeee',
          GroupName: 'late-partner',
          VpcId: reporting.VpcId ?? '',
          OwnerId: PARTICIPANT,
          Description: 'added later',
          IpPermissions: [],
          IpPermissionsEgress: [],
        },
      ],
    });
    expect(ec2.toState().SecurityGroups.map((g) => g.GroupName)).toContain('late-partner');
  });

  it('attachAsOwner puts an available interface in use', async () => {
    const state = scenarioState('orphaned-interface');
    const orphan = state.NetworkInterfaces.find((eni) => eni.Status === 'available')?.NetworkInterfaceId ?? '';
    const ec2 = Ec2Simulator.fromState(state);
    ec2.attachAsOwner(orphan, { AttachmentId: 'ela-attach-0aaaaaaaaaaaaaaaa', InstanceOwnerId: 'amazon-aws' });
    const [eni] = (await ec2.describeNetworkInterfaces({ NetworkInterfaceIds: [orphan] })).NetworkInterfaces ?? [];
    expect(eni?.Status).toBe('in-use');
    expect(eni?.Attachment).toEqual({
      AttachmentId: 'ela-attach-0aaaaaaaaaaaaaaaa',
      InstanceOwnerId: 'amazon-aws',
      Status: 'attached',
    });
  });
});
