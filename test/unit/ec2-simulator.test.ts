import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { Ec2Simulator, type SimulatorOptions } from '../../handlers/adapters/local/ec2-simulator.ts';
import type { Ec2State, IpPermission, NetworkInterface, SecurityGroup } from '../../handlers/core/ec2-shapes.ts';
import { Ec2ApiError, InvalidInputError } from '../../handlers/core/errors.ts';

const ACCOUNT = '111122223333';
const PEER_ACCOUNT = '444455556666';
const VPC = 'vpc-07e1f2a3b4c5d6e7f';
const PEER_VPC = 'vpc-0c0c0c0c0c0c0c0c0';
const OTHER_VPC = 'vpc-0f0f0f0f0f0f0f0f0';
const DEFAULT_SG = 'sg-07d2e3f4a5b6c7d8e';
const ALB_SG = 'sg-07a1b2c3d4e5f6a7b';
const API_SG = 'sg-07c9d8e7f6a5b4c3d';
const PEER_SG = 'sg-0b0b0b0b0b0b0b0b0';
const OTHER_VPC_SG = 'sg-0a0a0a0a0a0a0a0a0';
const PCX = 'pcx-0d0d0d0d0d0d0d0d0';
const ENI_1 = 'eni-07000000000000011';
const ENI_2 = 'eni-07000000000000012';
const ENI_ALB = 'eni-07000000000000013';
const ENI_API = 'eni-07000000000000014';
const PEER_ENI = 'eni-0e0e0e0e0e0e0e0e0';
const MISSING_SG = 'sg-0123456789abcdef0';
const SAMPLE_PATH = join(import.meta.dirname, '..', '..', '..', 'shared', 'examples', 'web-app.state.json');

function perm(protocol: string, extra: Partial<IpPermission> = {}): IpPermission {
  return { IpProtocol: protocol, IpRanges: [], Ipv6Ranges: [], PrefixListIds: [], UserIdGroupPairs: [], ...extra };
}

function group(id: string, name: string, description: string, ingress: IpPermission[], egress: IpPermission[]) {
  return {
    GroupId: id,
    GroupName: name,
    VpcId: VPC,
    OwnerId: ACCOUNT,
    Description: description,
    IpPermissions: ingress,
    IpPermissionsEgress: egress,
    SecurityGroupArn: `arn:aws:ec2:us-east-1:${ACCOUNT}:security-group/${id}`,
  };
}

function eni(
  id: string,
  subnet: string,
  ip: string,
  groups: [string, string][],
  extra: Partial<NetworkInterface> & Record<string, unknown> = {},
): NetworkInterface {
  return {
    NetworkInterfaceId: id,
    VpcId: VPC,
    SubnetId: subnet,
    AvailabilityZone: 'us-east-1a',
    Description: '',
    InterfaceType: 'interface',
    OwnerId: ACCOUNT,
    RequesterManaged: false,
    Status: 'in-use',
    PrivateIpAddress: ip,
    PrivateIpAddresses: [{ Primary: true, PrivateIpAddress: ip }],
    Ipv6Addresses: [],
    Groups: groups.map(([GroupId, GroupName]) => ({ GroupId, GroupName })),
    SourceDestCheck: true,
    TagSet: [],
    ...extra,
  };
}

function attachment(suffix: string, instanceId: string) {
  return {
    Attachment: {
      AttachmentId: `eni-attach-070000000000000${suffix}`,
      DeviceIndex: 0,
      InstanceId: instanceId,
      InstanceOwnerId: ACCOUNT,
      Status: 'attached',
      DeleteOnTermination: true,
    },
  };
}

/** The sample state of the repository (web-app.state.json), field for field. */
function sampleState(): Ec2State {
  return {
    SecurityGroups: [
      group(
        DEFAULT_SG,
        'default',
        'default VPC security group',
        [perm('-1', { UserIdGroupPairs: [{ GroupId: DEFAULT_SG, UserId: ACCOUNT }] })],
        [perm('-1', { IpRanges: [{ CidrIp: '0.0.0.0/0' }] })],
      ),
      group(
        ALB_SG,
        'alb',
        'alb tier',
        [perm('tcp', { IpRanges: [{ CidrIp: '0.0.0.0/0' }], FromPort: 443, ToPort: 443 })],
        [perm('tcp', { UserIdGroupPairs: [{ GroupId: DEFAULT_SG, UserId: ACCOUNT }], FromPort: 8080, ToPort: 8080 })],
      ),
      group(
        API_SG,
        'api',
        'api tier',
        [
          perm('tcp', {
            UserIdGroupPairs: [{ GroupId: DEFAULT_SG, UserId: ACCOUNT, Description: 'workers on default' }],
            FromPort: 8443,
            ToPort: 8443,
          }),
        ],
        [perm('-1', { IpRanges: [{ CidrIp: '0.0.0.0/0' }] })],
      ),
    ],
    NetworkInterfaces: [
      eni(ENI_1, 'subnet-07aa', '172.31.16.10', [[DEFAULT_SG, 'default']], attachment('11', 'i-07a1')),
      eni(ENI_2, 'subnet-07aa', '172.31.16.11', [[DEFAULT_SG, 'default']], attachment('12', 'i-07a2')),
      eni(ENI_ALB, 'subnet-07bb', '172.31.32.5', [[ALB_SG, 'alb']], {
        Description: 'ELB app/web-alb/50dc6c495c0c9188',
        RequesterManaged: true,
        RequesterId: 'amazon-elb',
      }),
      eni(ENI_API, 'subnet-07bb', '172.31.32.20', [[API_SG, 'api']], attachment('14', 'i-07a3')),
    ],
  };
}

/** The sample plus another account's group (and interface) in a peered VPC whose rule references the default group. */
function peeredState(): Ec2State {
  const state = sampleState();
  state.SecurityGroups.push({
    GroupId: PEER_SG,
    GroupName: 'peer-app',
    VpcId: PEER_VPC,
    OwnerId: PEER_ACCOUNT,
    Description: 'app in the peered vpc',
    IpPermissions: [
      perm('tcp', {
        FromPort: 5432,
        ToPort: 5432,
        UserIdGroupPairs: [
          { GroupId: DEFAULT_SG, UserId: ACCOUNT, VpcId: VPC, VpcPeeringConnectionId: PCX, PeeringStatus: 'active' },
        ],
      }),
    ],
    IpPermissionsEgress: [perm('-1', { IpRanges: [{ CidrIp: '0.0.0.0/0' }] })],
  });
  state.NetworkInterfaces.push({
    ...eni(PEER_ENI, 'subnet-0c0c', '10.8.0.5', [[PEER_SG, 'peer-app']]),
    VpcId: PEER_VPC,
    OwnerId: PEER_ACCOUNT,
  });
  return state;
}

/** The sample plus a second VPC of the same account, with its own default group. */
function twoVpcState(): Ec2State {
  const state = sampleState();
  state.SecurityGroups.push({
    GroupId: OTHER_VPC_SG,
    GroupName: 'default',
    VpcId: OTHER_VPC,
    OwnerId: ACCOUNT,
    Description: 'default VPC security group',
    IpPermissions: [perm('-1', { UserIdGroupPairs: [{ GroupId: OTHER_VPC_SG, UserId: ACCOUNT }] })],
    IpPermissionsEgress: [perm('-1', { IpRanges: [{ CidrIp: '0.0.0.0/0' }], Ipv6Ranges: [{ CidrIpv6: '::/0' }] })],
  });
  return state;
}

function sim(state: Ec2State = sampleState(), options: SimulatorOptions = { seed: 'test' }): Ec2Simulator {
  return Ec2Simulator.fromState(state, options);
}

async function failure(promise: Promise<unknown>, code: string): Promise<Ec2ApiError> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error, `expected ${code}`).toBeInstanceOf(Ec2ApiError);
  expect((error as Ec2ApiError).name).toBe(code);
  expect((error as Ec2ApiError).code).toBe(code);
  return error as Ec2ApiError;
}

function reasonsOf(run: () => unknown): string[] {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidInputError);
    return (error as InvalidInputError).reasons;
  }
  throw new Error('expected InvalidInputError');
}

async function groupOf(ec2: Ec2Simulator, groupId: string): Promise<SecurityGroup> {
  const { SecurityGroups } = await ec2.describeSecurityGroups({ GroupIds: [groupId] });
  return SecurityGroups?.[0] as SecurityGroup;
}

async function groupIds(ec2: Ec2Simulator, filters: { Name: string; Values: string[] }[]): Promise<string[]> {
  const { SecurityGroups } = await ec2.describeSecurityGroups({ Filters: filters });
  return (SecurityGroups ?? []).map((g) => g.GroupId as string);
}

async function interfaceIds(ec2: Ec2Simulator, filters: { Name: string; Values: string[] }[]): Promise<string[]> {
  const { NetworkInterfaces } = await ec2.describeNetworkInterfaces({ Filters: filters });
  return (NetworkInterfaces ?? []).map((n) => n.NetworkInterfaceId as string);
}

const tcp = (port: number, extra: Partial<IpPermission>): IpPermission => ({
  IpProtocol: 'tcp',
  FromPort: port,
  ToPort: port,
  ...extra,
});

describe('loading and saving state', () => {
  it('round-trips the sample state exactly', () => {
    const state = sampleState();
    expect(sim(state).toState()).toStrictEqual(state);
  });

  it.skipIf(!existsSync(SAMPLE_PATH))('round-trips the shared example file', async () => {
    const ec2 = await Ec2Simulator.fromFile(SAMPLE_PATH);
    expect(ec2.toState()).toStrictEqual(JSON.parse(readFileSync(SAMPLE_PATH, 'utf8')));
  });

  it('normalizes rules as DescribeSecurityGroups answers them: one IpPermission per protocol and ports, all lists present', () => {
    const state = sampleState();
    (state.SecurityGroups[1] as SecurityGroup).IpPermissions = [
      { IpProtocol: '6', FromPort: 443, ToPort: 443, IpRanges: [{ CidrIp: '0.0.0.0/0' }] },
      { IpProtocol: 'tcp', FromPort: 443, ToPort: 443, Ipv6Ranges: [{ CidrIpv6: '::/0', Description: 'v6' }] },
    ];
    const out = sim(state).toState().SecurityGroups[1] as SecurityGroup;
    expect(out.IpPermissions).toStrictEqual([
      perm('tcp', {
        FromPort: 443,
        ToPort: 443,
        IpRanges: [{ CidrIp: '0.0.0.0/0' }],
        Ipv6Ranges: [{ CidrIpv6: '::/0', Description: 'v6' }],
      }),
    ]);
  });

  it('keeps unknown fields of the state, groups and interfaces', () => {
    const state = sampleState() as Ec2State & Record<string, unknown>;
    state.Generated = '2025-01-01';
    (state.SecurityGroups[0] as Record<string, unknown>).Custom = { a: 1 };
    (state.NetworkInterfaces[0] as Record<string, unknown>).MacAddress = '0a:00:00:00:00:01';
    const out = sim(state).toState() as Ec2State & Record<string, unknown>;
    expect(out.Generated).toBe('2025-01-01');
    expect((out.SecurityGroups[0] as Record<string, unknown>).Custom).toStrictEqual({ a: 1 });
    expect((out.NetworkInterfaces[0] as Record<string, unknown>).MacAddress).toBe('0a:00:00:00:00:01');
  });

  it('names the path and the problem of each schema error', () => {
    const state = sampleState();
    (state.SecurityGroups[2] as SecurityGroup).GroupId = 'sg-nothex';
    (state.SecurityGroups[0] as SecurityGroup).OwnerId = '12';
    const reasons = reasonsOf(() => Ec2Simulator.fromState(state));
    expect(reasons).toContain('SecurityGroups[2].GroupId: must look like sg-… (sg- and 8 or 17 hex digits)');
    expect(reasons).toContain('SecurityGroups[0].OwnerId: must be a 12-digit AWS account id');
    expect(reasonsOf(() => Ec2Simulator.fromState({ NetworkInterfaces: [] }))[0]).toMatch(/^SecurityGroups: /);
    expect(reasonsOf(() => Ec2Simulator.fromState(null))[0]).toMatch(/^\(state\): /);
  });

  it('rejects bad rules in the state', () => {
    const state = sampleState();
    (state.SecurityGroups[1] as SecurityGroup).IpPermissions = [
      perm('tcp', { FromPort: 22, ToPort: 22, IpRanges: [{ CidrIp: '300.0.0.0/8' }] }),
    ];
    expect(reasonsOf(() => Ec2Simulator.fromState(state))).toEqual([
      'SecurityGroups[1].IpPermissions[0].IpRanges[0].CidrIp: must be an IPv4 CIDR, not "300.0.0.0/8"',
    ]);
  });

  it('rejects duplicate group ids and interface ids', () => {
    const state = sampleState();
    state.SecurityGroups.push({ ...(state.SecurityGroups[1] as SecurityGroup), GroupName: 'alb2' });
    state.NetworkInterfaces.push({ ...(state.NetworkInterfaces[0] as NetworkInterface) });
    const reasons = reasonsOf(() => Ec2Simulator.fromState(state));
    expect(reasons).toContain(`SecurityGroups[3].GroupId: duplicate group id ${ALB_SG} (also SecurityGroups[1])`);
    expect(reasons).toContain(
      `NetworkInterfaces[4].NetworkInterfaceId: duplicate interface id ${ENI_1} (also NetworkInterfaces[0])`,
    );
  });

  it('rejects interfaces that use groups missing from the file or in another VPC', () => {
    const state = twoVpcState();
    (state.NetworkInterfaces[0] as NetworkInterface).Groups = [{ GroupId: MISSING_SG }];
    (state.NetworkInterfaces[1] as NetworkInterface).Groups = [{ GroupId: OTHER_VPC_SG, GroupName: 'default' }];
    expect(reasonsOf(() => Ec2Simulator.fromState(state))).toEqual([
      `NetworkInterfaces[0].Groups[0].GroupId: security group ${MISSING_SG} is not in SecurityGroups`,
      `NetworkInterfaces[1].Groups[0].GroupId: security group ${OTHER_VPC_SG} is in ${OTHER_VPC}, the interface in ${VPC}`,
    ]);
  });

  it('rejects two groups with the same name in a VPC', () => {
    const state = sampleState();
    (state.SecurityGroups[2] as SecurityGroup).GroupName = 'ALB';
    expect(reasonsOf(() => Ec2Simulator.fromState(state))).toEqual([
      `SecurityGroups[2].GroupName: name ALB is already used in ${VPC} by SecurityGroups[1]`,
    ]);
  });

  it('takes account and region from the state, or from options', () => {
    const ec2 = sim();
    expect(ec2.accountId).toBe(ACCOUNT);
    expect(ec2.region).toBe('us-east-1');
    const state = sampleState();
    for (const g of state.SecurityGroups) delete g.SecurityGroupArn;
    for (const n of state.NetworkInterfaces) n.AvailabilityZone = 'eu-west-3b';
    expect(sim(state).region).toBe('eu-west-3');
    expect(sim({ SecurityGroups: [], NetworkInterfaces: [] }).region).toBe('us-east-1');
    expect(sim(sampleState(), { region: 'ap-south-1', accountId: PEER_ACCOUNT }).region).toBe('ap-south-1');
    expect(reasonsOf(() => sim(sampleState(), { accountId: 'x', quotas: { groupsPerInterface: 0 } }))).toEqual([
      'options.accountId: must be a 12-digit AWS account id',
      'options.quotas.groupsPerInterface: must be a positive integer',
    ]);
  });

  it('loads from a file and refuses a file that is not JSON', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'ec2sim-'));
    const good = join(dir, 'state.json');
    await writeFile(good, JSON.stringify(sampleState()));
    expect((await Ec2Simulator.fromFile(good)).toState()).toStrictEqual(sampleState());
    const bad = join(dir, 'bad.json');
    await writeFile(bad, '{ nope');
    await expect(Ec2Simulator.fromFile(bad)).rejects.toBeInstanceOf(InvalidInputError);
  });

  it('saves what it loads after changes, and loading that again gives the same state', async () => {
    const ec2 = sim();
    await ec2.createSecurityGroup({ GroupName: 'copy', Description: 'copy', VpcId: VPC });
    const dir = await mkdtemp(join(tmpdir(), 'ec2sim-'));
    await ec2.toFile(join(dir, 'out.json'));
    const again = await Ec2Simulator.fromFile(join(dir, 'out.json'));
    expect(again.toState()).toStrictEqual(ec2.toState());
  });

  it('answers copies: changing what it returned or what was passed in does not change the state', async () => {
    const ec2 = sim();
    const state = ec2.toState();
    (state.SecurityGroups[0] as SecurityGroup).GroupName = 'changed';
    const described = await groupOf(ec2, ALB_SG);
    described.IpPermissions?.pop();
    const permissions = [tcp(22, { IpRanges: [{ CidrIp: '10.0.0.0/8' }] })];
    await ec2.authorizeSecurityGroupIngress({ GroupId: API_SG, IpPermissions: permissions });
    (permissions[0]?.IpRanges?.[0] as { CidrIp: string }).CidrIp = '10.9.9.9/32';
    expect((await groupOf(ec2, DEFAULT_SG)).GroupName).toBe('default');
    expect((await groupOf(ec2, ALB_SG)).IpPermissions).toHaveLength(1);
    expect(await groupIds(ec2, [{ Name: 'ip-permission.cidr', Values: ['10.0.0.0/8'] }])).toEqual([API_SG]);
  });
});

describe('DescribeSecurityGroups', () => {
  let ec2: Ec2Simulator;
  beforeEach(() => {
    ec2 = sim(peeredState());
  });

  it("lists this account's groups only", async () => {
    expect(await groupIds(ec2, [])).toEqual([DEFAULT_SG, ALB_SG, API_SG]);
    await failure(ec2.describeSecurityGroups({ GroupIds: [PEER_SG] }), 'InvalidGroup.NotFound');
    expect(await groupIds(ec2, [{ Name: 'owner-id', Values: [PEER_ACCOUNT] }])).toEqual([]);
  });

  it('describes by id, refusing unknown and malformed ids', async () => {
    const { SecurityGroups } = await ec2.describeSecurityGroups({ GroupIds: [API_SG, ALB_SG, API_SG] });
    expect(SecurityGroups?.map((g) => g.GroupId)).toEqual([ALB_SG, API_SG]);
    const notFound = await failure(
      ec2.describeSecurityGroups({ GroupIds: [ALB_SG, MISSING_SG] }),
      'InvalidGroup.NotFound',
    );
    expect(notFound.message).toBe(`The security group '${MISSING_SG}' does not exist`);
    await failure(ec2.describeSecurityGroups({ GroupIds: ['sg-123'] }), 'InvalidGroupId.Malformed');
    await failure(ec2.describeSecurityGroups({ GroupIds: ['default'] }), 'InvalidGroupId.Malformed');
  });

  it('refuses GroupIds with MaxResults, and MaxResults outside 5-1000', async () => {
    await failure(ec2.describeSecurityGroups({ GroupIds: [ALB_SG], MaxResults: 5 }), 'InvalidParameterCombination');
    await failure(ec2.describeSecurityGroups({ MaxResults: 4 }), 'InvalidParameterValue');
    await failure(ec2.describeSecurityGroups({ MaxResults: 1001 }), 'InvalidParameterValue');
    expect((await ec2.describeSecurityGroups({ MaxResults: 1000 })).SecurityGroups).toHaveLength(3);
  });

  it('paginates with opaque tokens bound to the query', async () => {
    for (const name of ['g1', 'g2', 'g3', 'g4']) {
      await ec2.createSecurityGroup({ GroupName: name, Description: name, VpcId: VPC });
    }
    const first = await ec2.describeSecurityGroups({ MaxResults: 5 });
    expect(first.SecurityGroups).toHaveLength(5);
    expect(first.NextToken).toEqual(expect.any(String));
    const second = await ec2.describeSecurityGroups({ MaxResults: 5, NextToken: first.NextToken });
    expect(second.SecurityGroups?.map((g) => g.GroupName)).toEqual(['g3', 'g4']);
    expect(second.NextToken).toBeUndefined();
    const all = [...(first.SecurityGroups ?? []), ...(second.SecurityGroups ?? [])].map((g) => g.GroupId);
    expect(new Set(all).size).toBe(7);
    await failure(
      ec2.describeSecurityGroups({
        MaxResults: 5,
        NextToken: first.NextToken,
        Filters: [{ Name: 'vpc-id', Values: [VPC] }],
      }),
      'InvalidParameterValue',
    );
    await failure(ec2.describeSecurityGroups({ NextToken: 'garbage' }), 'InvalidParameterValue');
    await failure(ec2.describeNetworkInterfaces({ NextToken: first.NextToken }), 'InvalidParameterValue');
  });

  it('filters by name, id, VPC and description with * and ? wildcards, case-sensitively', async () => {
    expect(await groupIds(ec2, [{ Name: 'group-name', Values: ['a*'] }])).toEqual([ALB_SG, API_SG]);
    expect(await groupIds(ec2, [{ Name: 'group-name', Values: ['?pi'] }])).toEqual([API_SG]);
    expect(await groupIds(ec2, [{ Name: 'group-name', Values: ['API'] }])).toEqual([]);
    expect(await groupIds(ec2, [{ Name: 'group-id', Values: [DEFAULT_SG, API_SG] }])).toEqual([DEFAULT_SG, API_SG]);
    expect(await groupIds(ec2, [{ Name: 'description', Values: ['* tier'] }])).toEqual([ALB_SG, API_SG]);
    expect(await groupIds(ec2, [{ Name: 'vpc-id', Values: [VPC] }])).toHaveLength(3);
    expect(await groupIds(ec2, [{ Name: 'owner-id', Values: [ACCOUNT] }])).toHaveLength(3);
  });

  it('ORs the values of a filter and ANDs the filters', async () => {
    expect(
      await groupIds(ec2, [
        { Name: 'group-name', Values: ['alb', 'api', 'default'] },
        { Name: 'description', Values: ['api*', 'default*'] },
      ]),
    ).toEqual([DEFAULT_SG, API_SG]);
  });

  it('filters on the groups referenced by inbound and outbound rules', async () => {
    expect(await groupIds(ec2, [{ Name: 'ip-permission.group-id', Values: [DEFAULT_SG] }])).toEqual([
      DEFAULT_SG,
      API_SG,
    ]);
    expect(await groupIds(ec2, [{ Name: 'egress.ip-permission.group-id', Values: [DEFAULT_SG] }])).toEqual([ALB_SG]);
    expect(await groupIds(ec2, [{ Name: 'ip-permission.group-name', Values: ['default'] }])).toEqual([
      DEFAULT_SG,
      API_SG,
    ]);
    expect(await groupIds(ec2, [{ Name: 'ip-permission.user-id', Values: [ACCOUNT] }])).toEqual([DEFAULT_SG, API_SG]);
  });

  it('filters on CIDRs, protocols and ports of rules', async () => {
    expect(await groupIds(ec2, [{ Name: 'ip-permission.cidr', Values: ['0.0.0.0/0'] }])).toEqual([ALB_SG]);
    expect(await groupIds(ec2, [{ Name: 'egress.ip-permission.cidr', Values: ['0.0.0.0/0'] }])).toEqual([
      DEFAULT_SG,
      API_SG,
    ]);
    expect(await groupIds(ec2, [{ Name: 'ip-permission.protocol', Values: ['tcp'] }])).toEqual([ALB_SG, API_SG]);
    expect(await groupIds(ec2, [{ Name: 'ip-permission.protocol', Values: ['6'] }])).toEqual([ALB_SG, API_SG]);
    expect(await groupIds(ec2, [{ Name: 'ip-permission.protocol', Values: ['-1'] }])).toEqual([DEFAULT_SG]);
    expect(await groupIds(ec2, [{ Name: 'ip-permission.from-port', Values: ['84*'] }])).toEqual([API_SG]);
    expect(await groupIds(ec2, [{ Name: 'egress.ip-permission.to-port', Values: ['8080'] }])).toEqual([ALB_SG]);
  });

  it('filters on tags', async () => {
    const { GroupId } = await ec2.createSecurityGroup({
      GroupName: 'tagged',
      Description: 'tagged',
      VpcId: VPC,
      TagSpecifications: [{ ResourceType: 'security-group', Tags: [{ Key: 'remediation-id', Value: 'r-1' }] }],
    });
    expect(await groupIds(ec2, [{ Name: 'tag:remediation-id', Values: ['r-*'] }])).toEqual([GroupId]);
    expect(await groupIds(ec2, [{ Name: 'tag:remediation-id', Values: ['r-2'] }])).toEqual([]);
    expect(await groupIds(ec2, [{ Name: 'tag-key', Values: ['remediation-id'] }])).toEqual([GroupId]);
  });

  it('refuses unknown filter names (names are case-sensitive)', async () => {
    const error = await failure(
      ec2.describeSecurityGroups({ Filters: [{ Name: 'group-colour', Values: ['x'] }] }),
      'InvalidParameterValue',
    );
    expect(error.message).toBe("The filter 'group-colour' is invalid");
    await failure(
      ec2.describeSecurityGroups({ Filters: [{ Name: 'Group-Name', Values: ['alb'] }] }),
      'InvalidParameterValue',
    );
    await failure(
      ec2.describeSecurityGroups({ Filters: [{ Name: 'requester-managed', Values: ['true'] }] }),
      'InvalidParameterValue',
    );
  });
});

describe('DescribeNetworkInterfaces', () => {
  let ec2: Ec2Simulator;
  beforeEach(() => {
    ec2 = sim(peeredState());
  });

  it("lists this account's interfaces, with group names", async () => {
    const { NetworkInterfaces } = await ec2.describeNetworkInterfaces({});
    expect(NetworkInterfaces?.map((n) => n.NetworkInterfaceId)).toEqual([ENI_1, ENI_2, ENI_ALB, ENI_API]);
    expect(NetworkInterfaces?.[0]?.Groups).toEqual([{ GroupId: DEFAULT_SG, GroupName: 'default' }]);
    await failure(
      ec2.describeNetworkInterfaces({ NetworkInterfaceIds: [PEER_ENI] }),
      'InvalidNetworkInterfaceID.NotFound',
    );
  });

  it('describes by id, refusing unknown and malformed ids and MaxResults with ids', async () => {
    const { NetworkInterfaces } = await ec2.describeNetworkInterfaces({ NetworkInterfaceIds: [ENI_API] });
    expect(NetworkInterfaces?.map((n) => n.NetworkInterfaceId)).toEqual([ENI_API]);
    const error = await failure(
      ec2.describeNetworkInterfaces({ NetworkInterfaceIds: ['eni-0123456789abcdef0'] }),
      'InvalidNetworkInterfaceID.NotFound',
    );
    expect(error.message).toBe("The networkInterface ID 'eni-0123456789abcdef0' does not exist");
    await failure(
      ec2.describeNetworkInterfaces({ NetworkInterfaceIds: ['eni-xyz'] }),
      'InvalidNetworkInterfaceID.Malformed',
    );
    await failure(
      ec2.describeNetworkInterfaces({ NetworkInterfaceIds: [ENI_API], MaxResults: 5 }),
      'InvalidParameterCombination',
    );
    await failure(ec2.describeNetworkInterfaces({ MaxResults: 2 }), 'InvalidParameterValue');
  });

  it('filters on groups, owner, type, requester and attachment', async () => {
    expect(await interfaceIds(ec2, [{ Name: 'group-id', Values: [DEFAULT_SG] }])).toEqual([ENI_1, ENI_2]);
    expect(await interfaceIds(ec2, [{ Name: 'requester-managed', Values: ['true'] }])).toEqual([ENI_ALB]);
    expect(await interfaceIds(ec2, [{ Name: 'requester-id', Values: ['amazon-*'] }])).toEqual([ENI_ALB]);
    expect(await interfaceIds(ec2, [{ Name: 'description', Values: ['ELB app/*'] }])).toEqual([ENI_ALB]);
    expect(await interfaceIds(ec2, [{ Name: 'attachment.instance-id', Values: ['i-07a3'] }])).toEqual([ENI_API]);
    expect(await interfaceIds(ec2, [{ Name: 'private-ip-address', Values: ['172.31.16.1?'] }])).toEqual([ENI_1, ENI_2]);
    expect(
      await interfaceIds(ec2, [
        { Name: 'subnet-id', Values: ['subnet-07bb'] },
        { Name: 'requester-managed', Values: ['false'] },
      ]),
    ).toEqual([ENI_API]);
    expect(await interfaceIds(ec2, [{ Name: 'interface-type', Values: ['lambda'] }])).toEqual([]);
    expect(await interfaceIds(ec2, [{ Name: 'status', Values: ['in-use'] }])).toHaveLength(4);
    expect(await interfaceIds(ec2, [{ Name: 'vpc-id', Values: [PEER_VPC] }])).toEqual([]);
    expect(await interfaceIds(ec2, [{ Name: 'owner-id', Values: [ACCOUNT] }])).toHaveLength(4);
    await failure(
      ec2.describeNetworkInterfaces({ Filters: [{ Name: 'group-name', Values: ['default'] }] }),
      'InvalidParameterValue',
    );
  });

  it('filters on tags of interfaces', async () => {
    const state = sampleState();
    (state.NetworkInterfaces[3] as NetworkInterface).TagSet = [{ Key: 'team', Value: 'payments' }];
    const tagged = sim(state);
    expect(await interfaceIds(tagged, [{ Name: 'tag:team', Values: ['pay*'] }])).toEqual([ENI_API]);
    expect(await interfaceIds(tagged, [{ Name: 'tag-key', Values: ['team'] }])).toEqual([ENI_API]);
  });

  it('paginates', async () => {
    const page = await ec2.describeNetworkInterfaces({ MaxResults: 5 });
    expect(page.NetworkInterfaces).toHaveLength(4);
    expect(page.NextToken).toBeUndefined();
  });
});

describe('DescribeSecurityGroupReferences', () => {
  it('names the other VPCs whose groups, of any account, reference the group, with the peering connection', async () => {
    const ec2 = sim(peeredState());
    expect(await ec2.describeSecurityGroupReferences({ GroupId: [DEFAULT_SG, ALB_SG] })).toEqual({
      SecurityGroupReferenceSet: [{ GroupId: DEFAULT_SG, ReferencingVpcId: PEER_VPC, VpcPeeringConnectionId: PCX }],
    });
  });

  it('refuses groups that do not exist or belong to another account', async () => {
    const ec2 = sim(peeredState());
    await failure(ec2.describeSecurityGroupReferences({ GroupId: [MISSING_SG] }), 'InvalidGroup.NotFound');
    await failure(ec2.describeSecurityGroupReferences({ GroupId: [PEER_SG] }), 'InvalidGroup.NotFound');
    await failure(ec2.describeSecurityGroupReferences({ GroupId: [] }), 'MissingParameter');
  });
});

describe('CreateSecurityGroup', () => {
  it('creates a group with an sg- id, an ARN, tags and the default outbound rule', async () => {
    const ec2 = sim();
    const out = await ec2.createSecurityGroup({
      GroupName: 'default-replacement-r1',
      Description: 'Copy of sg-07d2e3f4a5b6c7d8e (EC2.2 remediation r1)',
      VpcId: VPC,
      TagSpecifications: [{ ResourceType: 'security-group', Tags: [{ Key: 'remediation-id', Value: 'r1' }] }],
    });
    expect(out.GroupId).toMatch(/^sg-[0-9a-f]{17}$/);
    expect(out.SecurityGroupArn).toBe(`arn:aws:ec2:us-east-1:${ACCOUNT}:security-group/${out.GroupId}`);
    expect(out.Tags).toEqual([{ Key: 'remediation-id', Value: 'r1' }]);
    expect(await groupOf(ec2, out.GroupId as string)).toStrictEqual({
      GroupId: out.GroupId,
      GroupName: 'default-replacement-r1',
      VpcId: VPC,
      OwnerId: ACCOUNT,
      Description: 'Copy of sg-07d2e3f4a5b6c7d8e (EC2.2 remediation r1)',
      IpPermissions: [],
      IpPermissionsEgress: [perm('-1', { IpRanges: [{ CidrIp: '0.0.0.0/0' }] })],
      Tags: [{ Key: 'remediation-id', Value: 'r1' }],
      SecurityGroupArn: out.SecurityGroupArn,
    });
  });

  it('adds ::/0 to the default outbound rule in VPCs with IPv6', async () => {
    const ipv6Egress = perm('-1', { IpRanges: [{ CidrIp: '0.0.0.0/0' }], Ipv6Ranges: [{ CidrIpv6: '::/0' }] });
    // Inferred from the VPC's default group...
    const byDefaultGroup = sim(twoVpcState());
    const a = await byDefaultGroup.createSecurityGroup({ GroupName: 'a', Description: 'a', VpcId: OTHER_VPC });
    expect((await groupOf(byDefaultGroup, a.GroupId as string)).IpPermissionsEgress).toEqual([ipv6Egress]);
    const b = await byDefaultGroup.createSecurityGroup({ GroupName: 'b', Description: 'b', VpcId: VPC });
    expect((await groupOf(byDefaultGroup, b.GroupId as string)).IpPermissionsEgress).toEqual([
      perm('-1', { IpRanges: [{ CidrIp: '0.0.0.0/0' }] }),
    ]);
    // ...from an interface with an IPv6 address...
    const state = sampleState();
    (state.NetworkInterfaces[0] as NetworkInterface).Ipv6Addresses = [{ Ipv6Address: '2600:1f18::10' }];
    const byInterface = sim(state);
    const c = await byInterface.createSecurityGroup({ GroupName: 'c', Description: 'c', VpcId: VPC });
    expect((await groupOf(byInterface, c.GroupId as string)).IpPermissionsEgress).toEqual([ipv6Egress]);
    // ...or named in the options.
    const byOption = sim(sampleState(), { ipv6VpcIds: [VPC] });
    const d = await byOption.createSecurityGroup({ GroupName: 'd', Description: 'd', VpcId: VPC });
    expect((await groupOf(byOption, d.GroupId as string)).IpPermissionsEgress).toEqual([ipv6Egress]);
  });

  it('refuses unknown and malformed VPCs, and a missing VPC without a default VPC', async () => {
    const ec2 = sim(peeredState());
    const error = await failure(
      ec2.createSecurityGroup({ GroupName: 'x', Description: 'x', VpcId: 'vpc-0123456789abcdef0' }),
      'InvalidVpcID.NotFound',
    );
    expect(error.message).toBe("The vpc ID 'vpc-0123456789abcdef0' does not exist");
    await failure(
      ec2.createSecurityGroup({ GroupName: 'x', Description: 'x', VpcId: PEER_VPC }),
      'InvalidVpcID.NotFound',
    );
    await failure(
      ec2.createSecurityGroup({ GroupName: 'x', Description: 'x', VpcId: 'vpc-1' }),
      'InvalidVpcID.Malformed',
    );
    await failure(ec2.createSecurityGroup({ GroupName: 'x', Description: 'x', VpcId: '' }), 'VPCIdNotSpecified');
    const withDefault = sim(sampleState(), { defaultVpcIds: [VPC] });
    const { GroupId } = await withDefault.createSecurityGroup({ GroupName: 'x', Description: 'x', VpcId: '' });
    expect((await groupOf(withDefault, GroupId as string)).VpcId).toBe(VPC);
  });

  it('refuses reserved, malformed and duplicate names and bad descriptions', async () => {
    const ec2 = sim();
    const create = (GroupName: string, Description = 'ok') =>
      ec2.createSecurityGroup({ GroupName, Description, VpcId: VPC });
    await failure(create('default'), 'InvalidGroup.Reserved');
    await failure(create('DEFAULT'), 'InvalidGroup.Reserved');
    const sgPrefix = await failure(create('sg-copy'), 'InvalidParameterValue');
    expect(sgPrefix.message).toBe(
      'Value (sg-copy) for parameter GroupName is invalid. Group names may not be in the format sg-*.',
    );
    await failure(create('naïve'), 'InvalidParameterValue');
    await failure(create('a'.repeat(256)), 'InvalidParameterValue');
    await failure(create('ok', 'tab\there'), 'InvalidParameterValue');
    await failure(create('ok', 'x'.repeat(256)), 'InvalidParameterValue');
    const duplicate = await failure(create('Alb'), 'InvalidGroup.Duplicate');
    expect(duplicate.message).toBe(`The security group 'Alb' already exists for VPC '${VPC}'`);
    await failure(create(''), 'MissingParameter');
    await failure(create('ok', ''), 'MissingParameter');
    // Every allowed character is accepted.
    const allowed = 'aZ0 ._-:/()#,@[]+=&;{}!$*';
    const { GroupId } = await create(allowed, allowed);
    expect((await groupOf(ec2, GroupId as string)).GroupName).toBe(allowed);
    expect(await groupIds(ec2, [])).toHaveLength(4);
  });

  it('refuses bad tags', async () => {
    const ec2 = sim();
    await failure(
      ec2.createSecurityGroup({
        GroupName: 'x',
        Description: 'x',
        VpcId: VPC,
        TagSpecifications: [{ ResourceType: 'security-group', Tags: [{ Key: 'aws:owner', Value: 'me' }] }],
      }),
      'InvalidParameterValue',
    );
    expect(await groupIds(ec2, [])).toHaveLength(3);
  });

  it('enforces the groups-per-VPC quota', async () => {
    const ec2 = sim(sampleState(), { quotas: { groupsPerVpc: 4 } });
    await ec2.createSecurityGroup({ GroupName: 'fourth', Description: 'x', VpcId: VPC });
    await failure(
      ec2.createSecurityGroup({ GroupName: 'fifth', Description: 'x', VpcId: VPC }),
      'SecurityGroupLimitExceeded',
    );
  });

  it('gives the same new ids for the same seed, and different ones for another seed', async () => {
    const create = async (seed: string) => {
      const ec2 = sim(sampleState(), { seed });
      const { GroupId } = await ec2.createSecurityGroup({ GroupName: 'x', Description: 'x', VpcId: VPC });
      const { SecurityGroupRules } = await ec2.authorizeSecurityGroupIngress({
        GroupId: GroupId as string,
        IpPermissions: [tcp(22, { IpRanges: [{ CidrIp: '10.0.0.0/8' }] })],
      });
      return [GroupId, SecurityGroupRules?.[0]?.SecurityGroupRuleId];
    };
    expect(await create('a')).toEqual(await create('a'));
    expect(await create('a')).not.toEqual(await create('b'));
  });
});

describe('AuthorizeSecurityGroupIngress / Egress', () => {
  let ec2: Ec2Simulator;
  let copy: string;
  beforeEach(async () => {
    ec2 = sim(peeredState());
    copy = (await ec2.createSecurityGroup({ GroupName: 'copy', Description: 'copy', VpcId: VPC })).GroupId as string;
  });

  it('adds rules, answering one SecurityGroupRule per peer with its sgr- id and referenced group', async () => {
    const out = await ec2.authorizeSecurityGroupIngress({
      GroupId: copy,
      IpPermissions: [
        {
          IpProtocol: '-1',
          UserIdGroupPairs: [{ GroupId: copy, Description: 'self' }, { GroupId: DEFAULT_SG }],
        },
        tcp(443, {
          IpRanges: [{ CidrIp: '10.0.0.0/8', Description: 'office' }],
          Ipv6Ranges: [{ CidrIpv6: '2001:DB8::/32' }],
        }),
      ],
    });
    expect(out.Return).toBe(true);
    const rules = out.SecurityGroupRules ?? [];
    expect(rules).toHaveLength(4);
    expect(new Set(rules.map((r) => r.SecurityGroupRuleId)).size).toBe(4);
    for (const rule of rules) {
      expect(rule.SecurityGroupRuleId).toMatch(/^sgr-[0-9a-f]{17}$/);
      expect(rule).toMatchObject({ GroupId: copy, GroupOwnerId: ACCOUNT, IsEgress: false });
    }
    expect(rules[0]).toMatchObject({
      IpProtocol: '-1',
      FromPort: -1,
      ToPort: -1,
      ReferencedGroupInfo: { GroupId: copy, UserId: ACCOUNT },
      Description: 'self',
    });
    expect(rules[1]?.ReferencedGroupInfo).toEqual({ GroupId: DEFAULT_SG, UserId: ACCOUNT });
    expect(rules[1]?.Description).toBeUndefined();
    expect(rules[2]).toMatchObject({ IpProtocol: 'tcp', FromPort: 443, ToPort: 443, CidrIpv4: '10.0.0.0/8' });
    expect(rules[3]?.CidrIpv6).toBe('2001:db8::/32');
    expect((await groupOf(ec2, copy)).IpPermissions).toEqual([
      perm('-1', {
        UserIdGroupPairs: [
          { GroupId: copy, UserId: ACCOUNT, Description: 'self' },
          { GroupId: DEFAULT_SG, UserId: ACCOUNT },
        ],
      }),
      perm('tcp', {
        FromPort: 443,
        ToPort: 443,
        IpRanges: [{ CidrIp: '10.0.0.0/8', Description: 'office' }],
        Ipv6Ranges: [{ CidrIpv6: '2001:db8::/32' }],
      }),
    ]);
  });

  it('adds outbound rules', async () => {
    const out = await ec2.authorizeSecurityGroupEgress({
      GroupId: ALB_SG,
      IpPermissions: [tcp(8080, { UserIdGroupPairs: [{ GroupId: copy, Description: 'to the copy' }] })],
    });
    expect(out.SecurityGroupRules?.[0]).toMatchObject({ IsEgress: true, ReferencedGroupInfo: { GroupId: copy } });
    expect((await groupOf(ec2, ALB_SG)).IpPermissionsEgress).toEqual([
      perm('tcp', {
        FromPort: 8080,
        ToPort: 8080,
        UserIdGroupPairs: [
          { GroupId: DEFAULT_SG, UserId: ACCOUNT },
          { GroupId: copy, UserId: ACCOUNT, Description: 'to the copy' },
        ],
      }),
    ]);
  });

  it('fails the whole call with InvalidPermission.Duplicate when a rule exists, adding nothing', async () => {
    const before = ec2.toState();
    const error = await failure(
      ec2.authorizeSecurityGroupIngress({
        GroupId: ALB_SG,
        IpPermissions: [
          tcp(22, { IpRanges: [{ CidrIp: '10.0.0.0/8' }] }),
          { IpProtocol: '6', FromPort: 443, ToPort: 443, IpRanges: [{ CidrIp: '0.0.0.0/0', Description: 'new text' }] },
        ],
      }),
      'InvalidPermission.Duplicate',
    );
    expect(error.message).toBe(
      'the specified rule "peer: 0.0.0.0/0, TCP, from port: 443, to port: 443, ALLOW" already exists',
    );
    expect(ec2.toState()).toStrictEqual(before);
    const self = await failure(
      ec2.authorizeSecurityGroupIngress({
        GroupId: DEFAULT_SG,
        IpPermissions: [{ IpProtocol: 'all', UserIdGroupPairs: [{ GroupId: DEFAULT_SG }] }],
      }),
      'InvalidPermission.Duplicate',
    );
    expect(self.message).toBe(`the specified rule "peer: ${DEFAULT_SG}, ALL, ALLOW" already exists`);
    await failure(
      ec2.authorizeSecurityGroupIngress({
        GroupId: copy,
        IpPermissions: [tcp(22, { IpRanges: [{ CidrIp: '10.0.0.0/8' }, { CidrIp: '10.0.0.0/8' }] })],
      }),
      'InvalidPermission.Duplicate',
    );
    expect(ec2.toState()).toStrictEqual(before);
  });

  it('requires referenced groups to exist, in this account or named with their account, unless peered', async () => {
    const rule = (pair: Record<string, string>) => ({
      GroupId: copy,
      IpPermissions: [tcp(5432, { UserIdGroupPairs: [pair] })],
    });
    await failure(ec2.authorizeSecurityGroupIngress(rule({ GroupId: MISSING_SG })), 'InvalidGroup.NotFound');
    await failure(ec2.authorizeSecurityGroupIngress(rule({ GroupId: PEER_SG })), 'InvalidGroup.NotFound');
    await failure(ec2.authorizeSecurityGroupIngress(rule({ GroupId: 'sg-bad' })), 'InvalidGroupId.Malformed');
    const crossAccount = await ec2.authorizeSecurityGroupIngress(rule({ GroupId: PEER_SG, UserId: PEER_ACCOUNT }));
    expect(crossAccount.SecurityGroupRules?.[0]?.ReferencedGroupInfo).toEqual({
      GroupId: PEER_SG,
      UserId: PEER_ACCOUNT,
    });
    const peered = await ec2.authorizeSecurityGroupEgress({
      GroupId: copy,
      IpPermissions: [
        tcp(5432, {
          UserIdGroupPairs: [
            { GroupId: MISSING_SG, UserId: PEER_ACCOUNT, VpcId: PEER_VPC, VpcPeeringConnectionId: PCX },
          ],
        }),
      ],
    });
    expect(peered.SecurityGroupRules?.[0]?.ReferencedGroupInfo).toEqual({
      GroupId: MISSING_SG,
      UserId: PEER_ACCOUNT,
      VpcId: PEER_VPC,
      VpcPeeringConnectionId: PCX,
      PeeringStatus: 'active',
    });
  });

  it("refuses rules on another account's group", async () => {
    await failure(
      ec2.authorizeSecurityGroupIngress({
        GroupId: PEER_SG,
        IpPermissions: [tcp(22, { IpRanges: [{ CidrIp: '10.0.0.0/8' }] })],
      }),
      'InvalidGroup.NotFound',
    );
  });

  it('validates protocols, ports, CIDRs, peers and descriptions', async () => {
    const authorize = (permission: IpPermission) =>
      ec2.authorizeSecurityGroupIngress({ GroupId: copy, IpPermissions: [permission] });
    await failure(authorize({ IpProtocol: 'tcp', IpRanges: [{ CidrIp: '10.0.0.0/8' }] }), 'InvalidParameterValue');
    await failure(authorize(tcp(70000, { IpRanges: [{ CidrIp: '10.0.0.0/8' }] })), 'InvalidParameterValue');
    await failure(
      authorize({ ...tcp(80, {}), ToPort: 79, IpRanges: [{ CidrIp: '10.0.0.0/8' }] }),
      'InvalidParameterValue',
    );
    await failure(authorize(tcp(22, { IpRanges: [{ CidrIp: '10.0.0/8' }] })), 'InvalidParameterValue');
    await failure(authorize(tcp(22, { Ipv6Ranges: [{ CidrIpv6: '::/129' }] })), 'InvalidParameterValue');
    await failure(authorize(tcp(22, {})), 'InvalidParameterValue');
    await failure(authorize({ IpProtocol: 'gre', IpRanges: [{ CidrIp: '10.0.0.0/8' }] }), 'InvalidParameterValue');
    await failure(authorize({ IpProtocol: 'icmp', IpRanges: [{ CidrIp: '10.0.0.0/8' }] }), 'InvalidParameterValue');
    await failure(
      authorize(tcp(22, { IpRanges: [{ CidrIp: '10.0.0.0/8', Description: 'ünïcode' }] })),
      'InvalidParameterValue',
    );
    await failure(ec2.authorizeSecurityGroupIngress({ GroupId: copy, IpPermissions: [] }), 'MissingParameter');
    const icmp = await authorize({ IpProtocol: 'icmp', FromPort: 8, ToPort: -1, IpRanges: [{ CidrIp: '10.0.0.0/8' }] });
    expect(icmp.SecurityGroupRules?.[0]).toMatchObject({ IpProtocol: 'icmp', FromPort: 8, ToPort: -1 });
    const gre = await authorize({ IpProtocol: '47', FromPort: 1, ToPort: 2, IpRanges: [{ CidrIp: '10.0.0.0/8' }] });
    expect(gre.SecurityGroupRules?.[0]).toMatchObject({ IpProtocol: '47', FromPort: -1, ToPort: -1 });
  });

  it('enforces the rules quota per direction, separately for IPv4 and IPv6, counting group references for both', async () => {
    const limited = sim(sampleState(), { quotas: { rulesPerDirection: 3 } });
    const v4 = (n: number) => ({ CidrIp: `10.0.${n}.0/24` });
    const v6 = (n: number) => ({ CidrIpv6: `2001:db8:${n}::/48` });
    const group = (await limited.createSecurityGroup({ GroupName: 'q', Description: 'q', VpcId: VPC }))
      .GroupId as string;
    await limited.authorizeSecurityGroupIngress({
      GroupId: group,
      IpPermissions: [tcp(22, { IpRanges: [v4(1), v4(2), v4(3)] })],
    });
    await limited.authorizeSecurityGroupIngress({
      GroupId: group,
      IpPermissions: [tcp(22, { Ipv6Ranges: [v6(1), v6(2), v6(3)] })],
    });
    const before = limited.toState();
    await failure(
      limited.authorizeSecurityGroupIngress({ GroupId: group, IpPermissions: [tcp(22, { IpRanges: [v4(4)] })] }),
      'RulesPerSecurityGroupLimitExceeded',
    );
    await failure(
      limited.authorizeSecurityGroupIngress({
        GroupId: group,
        IpPermissions: [tcp(22, { UserIdGroupPairs: [{ GroupId: ALB_SG }] })],
      }),
      'RulesPerSecurityGroupLimitExceeded',
    );
    expect(limited.toState()).toStrictEqual(before);
    // Outbound has its own count: the default outbound rule is 1 IPv4 rule, so two more fit and a group reference doesn't.
    await limited.authorizeSecurityGroupEgress({
      GroupId: group,
      IpPermissions: [tcp(443, { IpRanges: [v4(1), v4(2)] })],
    });
    await failure(
      limited.authorizeSecurityGroupEgress({
        GroupId: group,
        IpPermissions: [tcp(5432, { UserIdGroupPairs: [{ GroupId: API_SG }] })],
      }),
      'RulesPerSecurityGroupLimitExceeded',
    );
    await limited.authorizeSecurityGroupEgress({
      GroupId: group,
      IpPermissions: [tcp(443, { Ipv6Ranges: [v6(1), v6(2)] })],
    });
  });

  it('refuses a group reference when only the IPv6 count is full', async () => {
    const limited = sim(sampleState(), { quotas: { rulesPerDirection: 2 } });
    const group = (await limited.createSecurityGroup({ GroupName: 'q', Description: 'q', VpcId: VPC }))
      .GroupId as string;
    await limited.authorizeSecurityGroupIngress({
      GroupId: group,
      IpPermissions: [tcp(22, { Ipv6Ranges: [{ CidrIpv6: '2001:db8:1::/48' }, { CidrIpv6: '2001:db8:2::/48' }] })],
    });
    await failure(
      limited.authorizeSecurityGroupIngress({
        GroupId: group,
        IpPermissions: [tcp(22, { UserIdGroupPairs: [{ GroupId: ALB_SG }] })],
      }),
      'RulesPerSecurityGroupLimitExceeded',
    );
    await failure(
      limited.authorizeSecurityGroupIngress({
        GroupId: group,
        IpPermissions: [tcp(22, { Ipv6Ranges: [{ CidrIpv6: '2001:db8:3::/48' }] })],
      }),
      'RulesPerSecurityGroupLimitExceeded',
    );
    await limited.authorizeSecurityGroupIngress({
      GroupId: group,
      IpPermissions: [tcp(22, { IpRanges: [{ CidrIp: '10.0.0.0/8' }, { CidrIp: '10.1.0.0/16' }] })],
    });
  });

  it('allows 60 rules per direction by default', async () => {
    const ranges = Array.from({ length: 59 }, (_, n) => ({ CidrIp: `10.1.${n}.0/24` }));
    await ec2.authorizeSecurityGroupEgress({ GroupId: copy, IpPermissions: [tcp(443, { IpRanges: ranges })] });
    await failure(
      ec2.authorizeSecurityGroupEgress({
        GroupId: copy,
        IpPermissions: [tcp(443, { IpRanges: [{ CidrIp: '10.2.0.0/16' }] })],
      }),
      'RulesPerSecurityGroupLimitExceeded',
    );
  });
});

describe('RevokeSecurityGroupIngress / Egress', () => {
  it('revokes by IpPermissions, matching without descriptions', async () => {
    const ec2 = sim();
    const out = await ec2.revokeSecurityGroupIngress({
      GroupId: API_SG,
      IpPermissions: [tcp(8443, { UserIdGroupPairs: [{ GroupId: DEFAULT_SG }] })],
    });
    expect(out).toEqual({ Return: true });
    expect((await groupOf(ec2, API_SG)).IpPermissions).toEqual([]);
    await ec2.revokeSecurityGroupEgress({
      GroupId: DEFAULT_SG,
      IpPermissions: [{ IpProtocol: '-1', IpRanges: [{ CidrIp: '0.0.0.0/0' }] }],
    });
    await ec2.revokeSecurityGroupIngress({
      GroupId: DEFAULT_SG,
      IpPermissions: [{ IpProtocol: '-1', UserIdGroupPairs: [{ GroupId: DEFAULT_SG, UserId: ACCOUNT }] }],
    });
    const stripped = await groupOf(ec2, DEFAULT_SG);
    expect(stripped.IpPermissions).toEqual([]);
    expect(stripped.IpPermissionsEgress).toEqual([]);
  });

  it('in a nondefault VPC, fails the whole call with InvalidPermission.NotFound when any rule is missing', async () => {
    const ec2 = sim();
    const before = ec2.toState();
    const error = await failure(
      ec2.revokeSecurityGroupIngress({
        GroupId: ALB_SG,
        IpPermissions: [tcp(443, { IpRanges: [{ CidrIp: '0.0.0.0/0' }, { CidrIp: '10.0.0.0/8' }] })],
      }),
      'InvalidPermission.NotFound',
    );
    expect(error.message).toBe('The specified rule does not exist in this security group.');
    expect(ec2.toState()).toStrictEqual(before);
  });

  it('in a default VPC, revokes what exists and answers the rest in UnknownIpPermissions', async () => {
    const ec2 = sim(sampleState(), { seed: 1, defaultVpcIds: [VPC] });
    const out = await ec2.revokeSecurityGroupIngress({
      GroupId: ALB_SG,
      IpPermissions: [tcp(443, { IpRanges: [{ CidrIp: '0.0.0.0/0' }, { CidrIp: '10.0.0.0/8' }] })],
    });
    expect(out).toEqual({
      Return: true,
      UnknownIpPermissions: [perm('tcp', { FromPort: 443, ToPort: 443, IpRanges: [{ CidrIp: '10.0.0.0/8' }] })],
    });
    expect((await groupOf(ec2, ALB_SG)).IpPermissions).toEqual([]);
  });

  it('revokes by rule id, failing the whole call on an unknown id', async () => {
    const ec2 = sim();
    const { SecurityGroupRules } = await ec2.authorizeSecurityGroupIngress({
      GroupId: API_SG,
      IpPermissions: [tcp(22, { IpRanges: [{ CidrIp: '10.0.0.0/8' }, { CidrIp: '192.168.0.0/16' }] })],
    });
    const [first, second] = (SecurityGroupRules ?? []).map((rule) => rule.SecurityGroupRuleId as string);
    const before = ec2.toState();
    await failure(
      ec2.revokeSecurityGroupIngress({
        GroupId: API_SG,
        SecurityGroupRuleIds: [first as string, 'sgr-0123456789abcdef0'],
      }),
      'InvalidSecurityGroupRuleId.NotFound',
    );
    await failure(
      ec2.revokeSecurityGroupEgress({ GroupId: API_SG, SecurityGroupRuleIds: [first as string] }),
      'InvalidSecurityGroupRuleId.NotFound',
    );
    await failure(
      ec2.revokeSecurityGroupIngress({ GroupId: API_SG, SecurityGroupRuleIds: ['rule-1'] }),
      'InvalidSecurityGroupRuleId.Malformed',
    );
    expect(ec2.toState()).toStrictEqual(before);
    expect(await ec2.revokeSecurityGroupIngress({ GroupId: API_SG, SecurityGroupRuleIds: [first as string] })).toEqual({
      Return: true,
    });
    expect(await groupIds(ec2, [{ Name: 'ip-permission.cidr', Values: ['10.0.0.0/8'] }])).toEqual([]);
    await ec2.revokeSecurityGroupIngress({ GroupId: API_SG, SecurityGroupRuleIds: [second as string] });
    expect(await groupIds(ec2, [{ Name: 'ip-permission.cidr', Values: ['192.168.0.0/16'] }])).toEqual([]);
  });

  it('needs exactly one of IpPermissions and SecurityGroupRuleIds', async () => {
    const ec2 = sim();
    await failure(ec2.revokeSecurityGroupIngress({ GroupId: API_SG }), 'MissingParameter');
    await failure(
      ec2.revokeSecurityGroupIngress({
        GroupId: API_SG,
        IpPermissions: [tcp(8443, { UserIdGroupPairs: [{ GroupId: DEFAULT_SG }] })],
        SecurityGroupRuleIds: ['sgr-0123456789abcdef0'],
      }),
      'InvalidParameterCombination',
    );
    await failure(
      ec2.revokeSecurityGroupIngress({
        GroupId: MISSING_SG,
        IpPermissions: [tcp(1, { IpRanges: [{ CidrIp: '1.1.1.1/32' }] })],
      }),
      'InvalidGroup.NotFound',
    );
  });
});

describe('UpdateSecurityGroupRuleDescriptionsIngress / Egress', () => {
  it('sets and removes descriptions of existing rules', async () => {
    const ec2 = sim();
    expect(
      await ec2.updateSecurityGroupRuleDescriptionsIngress({
        GroupId: API_SG,
        IpPermissions: [tcp(8443, { UserIdGroupPairs: [{ GroupId: DEFAULT_SG, Description: 'workers (moved)' }] })],
      }),
    ).toEqual({ Return: true });
    expect((await groupOf(ec2, API_SG)).IpPermissions?.[0]?.UserIdGroupPairs).toEqual([
      { GroupId: DEFAULT_SG, UserId: ACCOUNT, Description: 'workers (moved)' },
    ]);
    await ec2.updateSecurityGroupRuleDescriptionsIngress({
      GroupId: API_SG,
      IpPermissions: [tcp(8443, { UserIdGroupPairs: [{ GroupId: DEFAULT_SG }] })],
    });
    expect((await groupOf(ec2, API_SG)).IpPermissions?.[0]?.UserIdGroupPairs).toEqual([
      { GroupId: DEFAULT_SG, UserId: ACCOUNT },
    ]);
    await ec2.updateSecurityGroupRuleDescriptionsEgress({
      GroupId: ALB_SG,
      IpPermissions: [tcp(8080, { UserIdGroupPairs: [{ GroupId: DEFAULT_SG, Description: 'to workers' }] })],
    });
    expect((await groupOf(ec2, ALB_SG)).IpPermissionsEgress?.[0]?.UserIdGroupPairs?.[0]?.Description).toBe(
      'to workers',
    );
  });

  it('fails the whole call with InvalidPermission.NotFound when a rule does not exist', async () => {
    const ec2 = sim();
    const before = ec2.toState();
    await failure(
      ec2.updateSecurityGroupRuleDescriptionsIngress({
        GroupId: API_SG,
        IpPermissions: [
          tcp(8443, { UserIdGroupPairs: [{ GroupId: DEFAULT_SG, Description: 'changed' }] }),
          tcp(22, { IpRanges: [{ CidrIp: '10.0.0.0/8', Description: 'nope' }] }),
        ],
      }),
      'InvalidPermission.NotFound',
    );
    await failure(
      ec2.updateSecurityGroupRuleDescriptionsEgress({
        GroupId: API_SG,
        IpPermissions: [tcp(8443, { UserIdGroupPairs: [{ GroupId: DEFAULT_SG, Description: 'wrong direction' }] })],
      }),
      'InvalidPermission.NotFound',
    );
    await failure(
      ec2.updateSecurityGroupRuleDescriptionsIngress({
        GroupId: API_SG,
        IpPermissions: [tcp(8443, { UserIdGroupPairs: [{ GroupId: DEFAULT_SG, Description: 'bad <text>' }] })],
      }),
      'InvalidParameterValue',
    );
    expect(ec2.toState()).toStrictEqual(before);
  });
});

describe('ModifyNetworkInterfaceAttribute', () => {
  let ec2: Ec2Simulator;
  let copy: string;
  beforeEach(async () => {
    ec2 = sim(peeredState());
    copy = (await ec2.createSecurityGroup({ GroupName: 'copy', Description: 'copy', VpcId: VPC })).GroupId as string;
  });

  it("replaces the interface's groups, collapsing duplicates", async () => {
    expect(
      await ec2.modifyNetworkInterfaceAttribute({ NetworkInterfaceId: ENI_1, Groups: [copy, API_SG, copy] }),
    ).toEqual({});
    const { NetworkInterfaces } = await ec2.describeNetworkInterfaces({ NetworkInterfaceIds: [ENI_1] });
    expect(NetworkInterfaces?.[0]?.Groups).toEqual([
      { GroupId: copy, GroupName: 'copy' },
      { GroupId: API_SG, GroupName: 'api' },
    ]);
    expect(await interfaceIds(ec2, [{ Name: 'group-id', Values: [DEFAULT_SG] }])).toEqual([ENI_2]);
    expect(ec2.toState().NetworkInterfaces[0]?.Groups).toEqual([
      { GroupId: copy, GroupName: 'copy' },
      { GroupId: API_SG, GroupName: 'api' },
    ]);
  });

  it('refuses groups that do not exist, belong to another account or sit in another VPC', async () => {
    const before = ec2.toState();
    await failure(
      ec2.modifyNetworkInterfaceAttribute({ NetworkInterfaceId: ENI_1, Groups: [copy, MISSING_SG] }),
      'InvalidGroup.NotFound',
    );
    await failure(
      ec2.modifyNetworkInterfaceAttribute({ NetworkInterfaceId: ENI_1, Groups: [PEER_SG] }),
      'InvalidGroup.NotFound',
    );
    await failure(
      ec2.modifyNetworkInterfaceAttribute({ NetworkInterfaceId: ENI_1, Groups: ['sg-x'] }),
      'InvalidGroupId.Malformed',
    );
    await failure(ec2.modifyNetworkInterfaceAttribute({ NetworkInterfaceId: ENI_1, Groups: [] }), 'MissingParameter');
    const other = sim(twoVpcState());
    await failure(
      other.modifyNetworkInterfaceAttribute({ NetworkInterfaceId: ENI_1, Groups: [OTHER_VPC_SG] }),
      'InvalidGroup.NotFound',
    );
    expect(ec2.toState()).toStrictEqual(before);
  });

  it("refuses unknown, malformed and other accounts' interfaces", async () => {
    await failure(
      ec2.modifyNetworkInterfaceAttribute({ NetworkInterfaceId: 'eni-0123456789abcdef0', Groups: [copy] }),
      'InvalidNetworkInterfaceID.NotFound',
    );
    await failure(
      ec2.modifyNetworkInterfaceAttribute({ NetworkInterfaceId: 'eni-1', Groups: [copy] }),
      'InvalidNetworkInterfaceID.Malformed',
    );
    await failure(
      ec2.modifyNetworkInterfaceAttribute({ NetworkInterfaceId: PEER_ENI, Groups: [PEER_SG] }),
      'InvalidNetworkInterfaceID.NotFound',
    );
  });

  it('refuses requester-managed interfaces', async () => {
    await failure(
      ec2.modifyNetworkInterfaceAttribute({ NetworkInterfaceId: ENI_ALB, Groups: [ALB_SG, copy] }),
      'OperationNotPermitted',
    );
    expect(await interfaceIds(ec2, [{ Name: 'group-id', Values: [copy] }])).toEqual([]);
  });

  it('enforces the groups-per-interface quota', async () => {
    const extra: string[] = [];
    for (const name of ['e1', 'e2', 'e3', 'e4']) {
      extra.push((await ec2.createSecurityGroup({ GroupName: name, Description: name, VpcId: VPC })).GroupId as string);
    }
    await ec2.modifyNetworkInterfaceAttribute({ NetworkInterfaceId: ENI_1, Groups: [copy, ...extra] });
    await failure(
      ec2.modifyNetworkInterfaceAttribute({ NetworkInterfaceId: ENI_1, Groups: [copy, ...extra, API_SG] }),
      'SecurityGroupsPerInterfaceLimitExceeded',
    );
    const limited = sim(sampleState(), { quotas: { groupsPerInterface: 1 } });
    await failure(
      limited.modifyNetworkInterfaceAttribute({ NetworkInterfaceId: ENI_1, Groups: [DEFAULT_SG, API_SG] }),
      'SecurityGroupsPerInterfaceLimitExceeded',
    );
  });
});

describe('DeleteSecurityGroup', () => {
  it("refuses the VPC's default group", async () => {
    const ec2 = sim();
    await ec2.modifyNetworkInterfaceAttribute({ NetworkInterfaceId: ENI_1, Groups: [API_SG] });
    const error = await failure(ec2.deleteSecurityGroup({ GroupId: DEFAULT_SG }), 'CannotDelete');
    expect(error.message).toBe(`the specified group: "${DEFAULT_SG}" name: "default" cannot be deleted by a user`);
  });

  it('refuses a group used by an interface or referenced by a group of the same VPC', async () => {
    const ec2 = sim();
    const copy = (await ec2.createSecurityGroup({ GroupName: 'copy', Description: 'c', VpcId: VPC })).GroupId as string;
    await ec2.modifyNetworkInterfaceAttribute({ NetworkInterfaceId: ENI_1, Groups: [copy] });
    await failure(ec2.deleteSecurityGroup({ GroupId: copy }), 'DependencyViolation');
    await ec2.modifyNetworkInterfaceAttribute({ NetworkInterfaceId: ENI_1, Groups: [DEFAULT_SG] });
    await ec2.authorizeSecurityGroupIngress({
      GroupId: API_SG,
      IpPermissions: [tcp(8443, { UserIdGroupPairs: [{ GroupId: copy }] })],
    });
    const error = await failure(ec2.deleteSecurityGroup({ GroupId: copy }), 'DependencyViolation');
    expect(error.message).toBe(`resource ${copy} has a dependent object`);
    await ec2.revokeSecurityGroupIngress({
      GroupId: API_SG,
      IpPermissions: [tcp(8443, { UserIdGroupPairs: [{ GroupId: copy }] })],
    });
    expect(await ec2.deleteSecurityGroup({ GroupId: copy })).toEqual({ Return: true, GroupId: copy });
    await failure(ec2.describeSecurityGroups({ GroupIds: [copy] }), 'InvalidGroup.NotFound');
    await failure(ec2.deleteSecurityGroup({ GroupId: copy }), 'InvalidGroup.NotFound');
  });

  it('deletes a group that references itself or is referenced only from another VPC', async () => {
    const ec2 = sim(peeredState());
    const copy = (await ec2.createSecurityGroup({ GroupName: 'copy', Description: 'c', VpcId: VPC })).GroupId as string;
    await ec2.authorizeSecurityGroupIngress({
      GroupId: copy,
      IpPermissions: [{ IpProtocol: '-1', UserIdGroupPairs: [{ GroupId: copy }] }],
    });
    expect((await ec2.deleteSecurityGroup({ GroupId: copy })).Return).toBe(true);
    await failure(ec2.deleteSecurityGroup({ GroupId: PEER_SG }), 'InvalidGroup.NotFound');
  });
});

describe('CreateTags / DeleteTags (security groups)', () => {
  const tagsOf = async (ec2: Ec2Simulator, id = DEFAULT_SG) => (await groupOf(ec2, id)).Tags;

  it('CreateTags adds tags and overwrites the value of a key the group has (API_CreateTags)', async () => {
    const ec2 = sim();
    await ec2.createTags({
      Resources: [DEFAULT_SG],
      Tags: [
        { Key: 'Name', Value: 'web' },
        { Key: 'team', Value: 'a' },
      ],
    });
    await ec2.createTags({ Resources: [DEFAULT_SG, API_SG], Tags: [{ Key: 'Name', Value: 'DO NOT USE' }] });
    expect(await tagsOf(ec2)).toEqual([
      { Key: 'team', Value: 'a' },
      { Key: 'Name', Value: 'DO NOT USE' },
    ]);
    expect(await tagsOf(ec2, API_SG)).toEqual([{ Key: 'Name', Value: 'DO NOT USE' }]);
    // Filters see them at once.
    expect(await groupIds(ec2, [{ Name: 'tag:Name', Values: ['DO NOT USE'] }])).toEqual([DEFAULT_SG, API_SG]);
  });

  it('a tag without a value gets the empty string', async () => {
    const ec2 = sim();
    await ec2.createTags({ Resources: [DEFAULT_SG], Tags: [{ Key: 'flag' }] });
    expect(await tagsOf(ec2)).toEqual([{ Key: 'flag', Value: '' }]);
  });

  it.each([
    [
      'a key starting with aws: (reserved)',
      [{ Key: 'AWS:cloudformation:stack-name', Value: 'x' }],
      'InvalidParameterValue',
    ],
    ['an empty key', [{ Key: '', Value: 'x' }], 'InvalidParameterValue'],
    ['a key of 128 characters', [{ Key: 'k'.repeat(128), Value: 'x' }], 'InvalidParameterValue'],
    ['a value of 257 characters', [{ Key: 'k', Value: 'v'.repeat(257) }], 'InvalidParameterValue'],
    [
      'a key twice',
      [
        { Key: 'k', Value: '1' },
        { Key: 'k', Value: '2' },
      ],
      'InvalidParameterValue',
    ],
    ['no tags', [], 'MissingParameter'],
  ])('CreateTags refuses %s, changing nothing', async (_, tags, code) => {
    const ec2 = sim();
    await failure(ec2.createTags({ Resources: [DEFAULT_SG, API_SG], Tags: tags }), code);
    expect(await tagsOf(ec2)).toBeUndefined();
    expect(await tagsOf(ec2, API_SG)).toBeUndefined();
  });

  it('the longest key and value EC2 takes are accepted (127 and 256 characters)', async () => {
    const ec2 = sim();
    await ec2.createTags({ Resources: [DEFAULT_SG], Tags: [{ Key: 'k'.repeat(127), Value: 'v'.repeat(256) }] });
    expect(await tagsOf(ec2)).toHaveLength(1);
  });

  it('refuses a malformed id (InvalidID), a missing or another account’s group (InvalidGroup.NotFound), all or nothing', async () => {
    const ec2 = sim();
    await failure(
      ec2.createTags({ Resources: [DEFAULT_SG, 'i-0123456789abcdef0'], Tags: [{ Key: 'a', Value: '1' }] }),
      'InvalidID',
    );
    await failure(
      ec2.createTags({ Resources: [DEFAULT_SG, MISSING_SG], Tags: [{ Key: 'a', Value: '1' }] }),
      'InvalidGroup.NotFound',
    );
    await failure(ec2.createTags({ Resources: [PEER_SG], Tags: [{ Key: 'a', Value: '1' }] }), 'InvalidGroup.NotFound');
    await failure(ec2.createTags({ Resources: [], Tags: [{ Key: 'a', Value: '1' }] }), 'MissingParameter');
    expect(await tagsOf(ec2)).toBeUndefined();
  });

  it('50 tags per group, aws: tags not counted: the 51st is TagLimitExceeded and nothing is added', async () => {
    const state = sampleState();
    const fifty = Array.from({ length: 49 }, (_, i) => ({ Key: `k${i}`, Value: `${i}` }));
    (state.SecurityGroups[0] as SecurityGroup).Tags = [
      ...fifty,
      { Key: 'aws:cloudformation:stack-name', Value: 'web' },
    ];
    const ec2 = sim(state);
    await ec2.createTags({ Resources: [DEFAULT_SG], Tags: [{ Key: 'k49', Value: '49' }] });
    await ec2.createTags({ Resources: [DEFAULT_SG], Tags: [{ Key: 'k0', Value: 'overwritten' }] });
    await failure(ec2.createTags({ Resources: [DEFAULT_SG], Tags: [{ Key: 'k50', Value: '50' }] }), 'TagLimitExceeded');
    expect(await tagsOf(ec2)).toHaveLength(51);
  });

  it('DeleteTags: with a value only while it matches, without one whatever it is, an absent key is no error', async () => {
    const ec2 = sim();
    await ec2.createTags({
      Resources: [DEFAULT_SG],
      Tags: [
        { Key: 'Name', Value: 'DO NOT USE' },
        { Key: 'status', Value: 'stripped' },
        { Key: 'empty', Value: '' },
        { Key: 'team', Value: 'a' },
      ],
    });
    await ec2.deleteTags({
      Resources: [DEFAULT_SG],
      Tags: [
        { Key: 'Name', Value: 'someone else' },
        { Key: 'status', Value: 'stripped' },
        { Key: 'empty', Value: 'x' },
        { Key: 'absent' },
      ],
    });
    expect(await tagsOf(ec2)).toEqual([
      { Key: 'Name', Value: 'DO NOT USE' },
      { Key: 'empty', Value: '' },
      { Key: 'team', Value: 'a' },
    ]);
    await ec2.deleteTags({ Resources: [DEFAULT_SG], Tags: [{ Key: 'Name' }, { Key: 'empty', Value: '' }] });
    expect(await tagsOf(ec2)).toEqual([{ Key: 'team', Value: 'a' }]);
  });

  it('DeleteTags without tags deletes every tag but the aws: ones; a group left without tags is described without Tags', async () => {
    const state = sampleState();
    (state.SecurityGroups[0] as SecurityGroup).Tags = [
      { Key: 'aws:cloudformation:stack-name', Value: 'web' },
      { Key: 'team', Value: 'a' },
    ];
    const ec2 = sim(state);
    await ec2.deleteTags({ Resources: [DEFAULT_SG], Tags: [] });
    expect(await tagsOf(ec2)).toEqual([{ Key: 'aws:cloudformation:stack-name', Value: 'web' }]);
    await ec2.createTags({ Resources: [API_SG], Tags: [{ Key: 'team', Value: 'b' }] });
    await ec2.deleteTags({ Resources: [API_SG], Tags: [{ Key: 'team' }] });
    expect(await groupOf(ec2, API_SG)).not.toHaveProperty('Tags');
    expect(ec2.toState().SecurityGroups.find((g) => g.GroupId === API_SG)).not.toHaveProperty('Tags');
    // Also a group whose tags came with the state file (a state written after a remediation, then rolled back).
    const saved = sim(ec2.toState());
    await saved.createTags({ Resources: [API_SG], Tags: [{ Key: 'Name', Value: 'x' }] });
    const reloaded = sim(saved.toState());
    await reloaded.deleteTags({ Resources: [API_SG], Tags: [{ Key: 'Name', Value: 'x' }] });
    expect(await groupOf(reloaded, API_SG)).not.toHaveProperty('Tags');
    expect(reloaded.toState().SecurityGroups.find((g) => g.GroupId === API_SG)).not.toHaveProperty('Tags');
  });

  it('DeleteTags refuses an aws: key and ids it cannot tag, changing nothing', async () => {
    const ec2 = sim();
    await ec2.createTags({ Resources: [DEFAULT_SG], Tags: [{ Key: 'team', Value: 'a' }] });
    await failure(ec2.deleteTags({ Resources: [DEFAULT_SG], Tags: [{ Key: 'aws:x' }] }), 'InvalidParameterValue');
    await failure(
      ec2.deleteTags({ Resources: [DEFAULT_SG, MISSING_SG], Tags: [{ Key: 'team' }] }),
      'InvalidGroup.NotFound',
    );
    expect(await tagsOf(ec2)).toEqual([{ Key: 'team', Value: 'a' }]);
  });
});

describe('call counting', () => {
  it('counts every call by EC2 action name, failed calls included', async () => {
    const ec2 = sim();
    expect(ec2.callCounts()).toEqual({});
    await ec2.describeSecurityGroups({});
    await ec2.describeSecurityGroups({ Filters: [{ Name: 'vpc-id', Values: [VPC] }] });
    await failure(ec2.deleteSecurityGroup({ GroupId: DEFAULT_SG }), 'CannotDelete');
    await ec2.modifyNetworkInterfaceAttribute({ NetworkInterfaceId: ENI_1, Groups: [DEFAULT_SG] });
    await failure(ec2.describeNetworkInterfaces({ MaxResults: 1 }), 'InvalidParameterValue');
    expect(ec2.callCounts()).toEqual({
      DescribeSecurityGroups: 2,
      DeleteSecurityGroup: 1,
      ModifyNetworkInterfaceAttribute: 1,
      DescribeNetworkInterfaces: 1,
    });
    expect(ec2.totalCalls()).toBe(5);
    const counts = ec2.callCounts();
    counts.DescribeSecurityGroups = 99;
    expect(ec2.callCounts().DescribeSecurityGroups).toBe(2);
    ec2.resetCallCounts();
    expect(ec2.totalCalls()).toBe(0);
  });

  it('names every Ec2Port call after its EC2 action', async () => {
    const ec2 = sim();
    const { GroupId } = await ec2.createSecurityGroup({ GroupName: 'n', Description: 'n', VpcId: VPC });
    const g = GroupId as string;
    const rule = [tcp(1, { IpRanges: [{ CidrIp: '10.0.0.0/8' }] })];
    await ec2.describeSecurityGroups({});
    await ec2.describeNetworkInterfaces({});
    await ec2.describeSecurityGroupReferences({ GroupId: [g] });
    await ec2.describeTags({});
    await ec2.authorizeSecurityGroupIngress({ GroupId: g, IpPermissions: rule });
    await ec2.authorizeSecurityGroupEgress({ GroupId: g, IpPermissions: rule });
    await ec2.updateSecurityGroupRuleDescriptionsIngress({ GroupId: g, IpPermissions: rule });
    await ec2.updateSecurityGroupRuleDescriptionsEgress({ GroupId: g, IpPermissions: rule });
    await ec2.revokeSecurityGroupIngress({ GroupId: g, IpPermissions: rule });
    await ec2.revokeSecurityGroupEgress({ GroupId: g, IpPermissions: rule });
    await ec2.modifyNetworkInterfaceAttribute({ NetworkInterfaceId: ENI_1, Groups: [DEFAULT_SG] });
    await ec2.createTags({ Resources: [g], Tags: [{ Key: 'a', Value: 'b' }] });
    await ec2.deleteTags({ Resources: [g], Tags: [{ Key: 'a' }] });
    await ec2.deleteSecurityGroup({ GroupId: g });
    expect(Object.keys(ec2.callCounts()).sort()).toEqual([
      'AuthorizeSecurityGroupEgress',
      'AuthorizeSecurityGroupIngress',
      'CreateSecurityGroup',
      'CreateTags',
      'DeleteSecurityGroup',
      'DeleteTags',
      'DescribeNetworkInterfaces',
      'DescribeSecurityGroupReferences',
      'DescribeSecurityGroups',
      'DescribeTags',
      'ModifyNetworkInterfaceAttribute',
      'RevokeSecurityGroupEgress',
      'RevokeSecurityGroupIngress',
      'UpdateSecurityGroupRuleDescriptionsEgress',
      'UpdateSecurityGroupRuleDescriptionsIngress',
    ]);
    expect(ec2.totalCalls()).toBe(15);
  });
});

describe('fault hooks', () => {
  it('a throwing before hook answers the error and changes nothing; the call is counted', async () => {
    const ec2 = sim();
    const seen: string[] = [];
    ec2.setHooks({
      before(action, input) {
        seen.push(action);
        if (action === 'ModifyNetworkInterfaceAttribute') {
          expect(input).toEqual({ NetworkInterfaceId: ENI_1, Groups: [API_SG] });
          throw Object.assign(new Error('Rate exceeded'), { name: 'RequestLimitExceeded' });
        }
      },
    });
    await expect(
      ec2.modifyNetworkInterfaceAttribute({ NetworkInterfaceId: ENI_1, Groups: [API_SG] }),
    ).rejects.toMatchObject({
      name: 'RequestLimitExceeded',
    });
    expect(await interfaceIds(ec2, [{ Name: 'group-id', Values: [DEFAULT_SG] }])).toEqual([ENI_1, ENI_2]);
    expect(seen).toEqual(['ModifyNetworkInterfaceAttribute', 'DescribeNetworkInterfaces']);
    expect(ec2.callCounts().ModifyNetworkInterfaceAttribute).toBe(1);
  });

  it('a throwing after hook leaves the change in place (a crash after the call took effect)', async () => {
    const ec2 = sim();
    let output: unknown;
    ec2.setHooks({
      async after(action, _input, answered) {
        await Promise.resolve();
        if (action === 'CreateSecurityGroup') {
          output = answered;
          throw new Error('lambda timed out');
        }
      },
    });
    await expect(ec2.createSecurityGroup({ GroupName: 'copy', Description: 'c', VpcId: VPC })).rejects.toThrow(
      'lambda timed out',
    );
    const created = await groupIds(ec2, [{ Name: 'group-name', Values: ['copy'] }]);
    expect(created).toHaveLength(1);
    expect(output).toMatchObject({ GroupId: created[0] });
    ec2.setHooks({});
    await failure(
      ec2.createSecurityGroup({ GroupName: 'copy', Description: 'c', VpcId: VPC }),
      'InvalidGroup.Duplicate',
    );
  });

  it('hooks see copies: changing the input in a hook does not change the call', async () => {
    const ec2 = sim();
    ec2.setHooks({
      before(_action, input) {
        (input as { Groups: string[] }).Groups = [ALB_SG];
      },
    });
    await ec2.modifyNetworkInterfaceAttribute({ NetworkInterfaceId: ENI_1, Groups: [API_SG] });
    expect(await interfaceIds(ec2, [{ Name: 'group-id', Values: [API_SG] }])).toEqual([ENI_1, ENI_API]);
  });
});

describe('DescribeVpcs', () => {
  it('answers known VPCs, with the tags of Vpcs records in the state file, and refuses unknown ones', async () => {
    const state = {
      ...sampleState(),
      Vpcs: [{ VpcId: 'vpc-07e1f2a3b4c5d6e7f', Tags: [{ Key: 'team', Value: 'net' }] }],
    };
    const ec2 = Ec2Simulator.fromState(state);
    const answer = await ec2.describeVpcs({ VpcIds: ['vpc-07e1f2a3b4c5d6e7f'] });
    expect(answer.Vpcs?.[0]?.Tags).toEqual([{ Key: 'team', Value: 'net' }]);
    await expect(ec2.describeVpcs({ VpcIds: ['vpc-0000000000000000a'] })).rejects.toMatchObject({
      name: 'InvalidVpcID.NotFound',
    });
    expect(ec2.callCounts().DescribeVpcs).toBe(2);
    expect(ec2.toState()).toHaveProperty('Vpcs');
  });
});
