/**
 * One set of rule checks for the state file and for AuthorizeSecurityGroupIngress/Egress (syntax.ts), with the
 * constraints of the API reference:
 *  - https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_IpPermission.html — "For tcp, udp, and icmp, you must
 *    specify a port range. For icmpv6, the port range is optional"; ICMP type/code -1 (all) or a number; "If the start
 *    port is -1 (all ICMP types), then the end port must be -1"; -1 or another protocol number allows all ports;
 *  - https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_IpRange.html — descriptions "Up to 255 characters in
 *    length. Allowed characters are a-z, A-Z, 0-9, spaces, and ._-:/()#,@[]+=&;{}!$*";
 *  - https://docs.aws.amazon.com/vpc/latest/userguide/security-group-rules.html — CIDR, prefix list and group peers.
 * And the simulator's prefix lists and quotas: a reference counts as the list's maximum entries or weight; the state's
 * `Quotas` are the account's applied values.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Ec2Simulator } from '../../handlers/adapters/local/ec2-simulator.ts';
import type { Ec2State, IpPermission, ManagedPrefixList, SecurityGroup } from '../../handlers/core/ec2-shapes.ts';
import { InvalidInputError } from '../../handlers/core/errors.ts';
import { examplePath, readJson } from '../support/harness.ts';

const DEFAULT_SG = 'sg-07d2e3f4a5b6c7d8e';
const ALB_SG = 'sg-07a1b2c3d4e5f6a7b';
const API_SG = 'sg-07c9d8e7f6a5b4c3d';
const ENI_1 = 'eni-07000000000000011';
const CLOUDFRONT = 'pl-3b927c52';
const CUSTOMER = 'pl-0123456789abcdef0';

type State = Ec2State & { PrefixLists?: ManagedPrefixList[]; Quotas?: unknown[] };

const PREFIX_LISTS: ManagedPrefixList[] = [
  {
    PrefixListId: CLOUDFRONT,
    AddressFamily: 'IPv4',
    State: 'create-complete',
    PrefixListArn: `arn:aws:ec2:us-east-1:aws:prefix-list/${CLOUDFRONT}`,
    PrefixListName: 'com.amazonaws.global.cloudfront.origin-facing',
    Tags: [],
    OwnerId: 'AWS',
  },
  {
    PrefixListId: CUSTOMER,
    AddressFamily: 'IPv4',
    State: 'create-complete',
    PrefixListArn: `arn:aws:ec2:us-east-1:111122223333:prefix-list/${CUSTOMER}`,
    PrefixListName: 'office',
    MaxEntries: 20,
    Version: 1,
    Tags: [],
    OwnerId: '111122223333',
  },
];

function state(): State {
  return { ...readJson<State>(examplePath('web-app.state.json')), PrefixLists: structuredClone(PREFIX_LISTS) };
}

function api(s: State): SecurityGroup {
  return s.SecurityGroups.find((group) => group.GroupId === API_SG) as SecurityGroup;
}

/** The state with `permission` added to api's inbound rules (its third group, its second inbound permission). */
function stateWith(permission: IpPermission): State {
  const s = state();
  api(s).IpPermissions?.push(permission);
  return s;
}

function loadReasons(s: unknown): string[] {
  try {
    Ec2Simulator.fromState(s);
    return [];
  } catch (error) {
    if (!(error instanceof InvalidInputError)) throw error;
    return error.reasons;
  }
}

async function authorizeError(permission: IpPermission): Promise<string | undefined> {
  const ec2 = Ec2Simulator.fromState(state());
  return ec2.authorizeSecurityGroupIngress({ GroupId: API_SG, IpPermissions: [permission] }).then(
    () => undefined,
    (error: Error) => error.name,
  );
}

const AT = 'SecurityGroups[2].IpPermissions[1]';
const tcp = (from: number | undefined, to: number | undefined, extra: Partial<IpPermission> = {}): IpPermission => ({
  IpProtocol: 'tcp',
  ...(from === undefined ? {} : { FromPort: from }),
  ...(to === undefined ? {} : { ToPort: to }),
  IpRanges: [{ CidrIp: '10.0.0.0/8' }],
  ...extra,
});

const refused: { name: string; permission: IpPermission; field: string; code: string }[] = [
  {
    name: 'a description with a character EC2 does not allow',
    permission: tcp(22, 22, { IpRanges: [{ CidrIp: '10.0.0.0/8', Description: 'ssh <admins>' }] }),
    field: 'IpRanges[0].Description',
    code: 'InvalidParameterValue',
  },
  {
    name: 'a description of 256 characters',
    permission: tcp(22, 22, { IpRanges: [{ CidrIp: '10.0.0.0/8', Description: 'a'.repeat(256) }] }),
    field: 'IpRanges[0].Description',
    code: 'InvalidParameterValue',
  },
  {
    name: 'a non-ASCII description on a group reference',
    permission: { IpProtocol: '-1', UserIdGroupPairs: [{ GroupId: ALB_SG, Description: 'équipe' }] },
    field: 'UserIdGroupPairs[0].Description',
    code: 'InvalidParameterValue',
  },
  { name: 'tcp without ToPort', permission: tcp(22, undefined), field: 'ToPort', code: 'InvalidParameterValue' },
  {
    name: 'tcp without ports',
    permission: tcp(undefined, undefined),
    field: 'FromPort',
    code: 'InvalidParameterValue',
  },
  { name: 'FromPort > ToPort', permission: tcp(8080, 80), field: 'FromPort', code: 'InvalidParameterValue' },
  { name: '-1/-1 on tcp', permission: tcp(-1, -1), field: 'FromPort', code: 'InvalidParameterValue' },
  {
    name: '-1/-1 on udp',
    permission: { ...tcp(-1, -1), IpProtocol: 'udp' },
    field: 'FromPort',
    code: 'InvalidParameterValue',
  },
  { name: 'a port over 65535', permission: tcp(0, 65536), field: 'ToPort', code: 'InvalidParameterValue' },
  {
    name: 'icmp without a type and code',
    permission: { IpProtocol: 'icmp', IpRanges: [{ CidrIp: '10.0.0.0/8' }] },
    field: 'FromPort',
    code: 'InvalidParameterValue',
  },
  {
    name: 'an ICMP type over 255',
    permission: { IpProtocol: 'icmp', FromPort: 256, ToPort: -1, IpRanges: [{ CidrIp: '10.0.0.0/8' }] },
    field: 'FromPort',
    code: 'InvalidParameterValue',
  },
  {
    name: 'all ICMP types with one code',
    permission: { IpProtocol: 'icmp', FromPort: -1, ToPort: 4, IpRanges: [{ CidrIp: '10.0.0.0/8' }] },
    field: 'ToPort',
    code: 'InvalidParameterValue',
  },
  {
    name: 'icmpv6 with a type but no code',
    permission: { IpProtocol: 'icmpv6', FromPort: 128, Ipv6Ranges: [{ CidrIpv6: '::/0' }] },
    field: 'ToPort',
    code: 'InvalidParameterValue',
  },
  {
    name: 'an unknown protocol name',
    permission: { IpProtocol: 'sctp', IpRanges: [{ CidrIp: '10.0.0.0/8' }] },
    field: 'IpProtocol',
    code: 'InvalidParameterValue',
  },
  {
    name: 'a protocol number over 255',
    permission: { IpProtocol: '256', IpRanges: [{ CidrIp: '10.0.0.0/8' }] },
    field: 'IpProtocol',
    code: 'InvalidParameterValue',
  },
  {
    name: 'an IPv4 prefix over /32',
    permission: tcp(22, 22, { IpRanges: [{ CidrIp: '10.0.0.0/33' }] }),
    field: 'IpRanges[0].CidrIp',
    code: 'InvalidParameterValue',
  },
  {
    name: 'an IPv6 CIDR that is not one',
    permission: tcp(22, 22, { IpRanges: [], Ipv6Ranges: [{ CidrIpv6: '2001:db8::g/32' }] }),
    field: 'Ipv6Ranges[0].CidrIpv6',
    code: 'InvalidParameterValue',
  },
  {
    name: 'a malformed prefix list id',
    permission: tcp(22, 22, { IpRanges: [], PrefixListIds: [{ PrefixListId: 'pl-XYZ' }] }),
    field: 'PrefixListIds[0].PrefixListId',
    code: 'InvalidPrefixListId.Malformed',
  },
  {
    name: 'a malformed group id',
    permission: { IpProtocol: '-1', UserIdGroupPairs: [{ GroupId: 'sg-12' }] },
    field: 'UserIdGroupPairs[0].GroupId',
    code: 'InvalidGroupId.Malformed',
  },
  {
    name: 'a malformed peering connection id',
    permission: { IpProtocol: '-1', UserIdGroupPairs: [{ GroupId: ALB_SG, VpcPeeringConnectionId: 'pcx-1' }] },
    field: 'UserIdGroupPairs[0].VpcPeeringConnectionId',
    code: 'InvalidVpcPeeringConnectionId.Malformed',
  },
  { name: 'no peer at all', permission: { IpProtocol: '-1' }, field: 'IpRanges', code: 'InvalidParameterValue' },
];

describe('what AuthorizeSecurityGroupIngress refuses, the state file cannot hold', () => {
  it.each(refused)('$name: the loader names $field, Authorize answers $code', async ({ permission, field, code }) => {
    const reasons = loadReasons(stateWith(permission));
    expect(reasons.length).toBeGreaterThan(0);
    expect(reasons[0]).toMatch(new RegExp(`^${AT.replace(/[[\]]/g, '\\$&')}\\.${field.replace(/[[\]]/g, '\\$&')}: `));
    for (const reason of reasons) expect(reason).not.toMatch(/[\n\r]/);
    expect(await authorizeError(permission)).toBe(code);
  });

  const accepted: { name: string; permission: IpPermission }[] = [
    {
      name: 'icmpv6 without a range (all types and codes)',
      permission: { IpProtocol: 'icmpv6', Ipv6Ranges: [{ CidrIpv6: '::/0' }] },
    },
    {
      name: 'ICMP echo, all codes',
      permission: { IpProtocol: 'icmp', FromPort: 8, ToPort: -1, IpRanges: [{ CidrIp: '10.0.0.0/8' }] },
    },
    { name: 'all ports', permission: tcp(0, 65535) },
    {
      name: 'a protocol number with a range (ignored)',
      permission: { IpProtocol: '50', FromPort: 1, ToPort: 2, IpRanges: [{ CidrIp: '10.0.0.0/8' }] },
    },
    {
      name: 'a description using every allowed special character, 255 long',
      permission: tcp(22, 22, {
        IpRanges: [{ CidrIp: '10.0.0.0/8', Description: `._-:/()#,@[]+=&;{}!$* ${'x'.repeat(232)}` }],
      }),
    },
  ];
  it.each(accepted)('$name: both accept it', async ({ permission }) => {
    expect(loadReasons(stateWith(permission))).toEqual([]);
    expect(await authorizeError(permission)).toBeUndefined();
  });

  it('for any permission, the loader refuses it exactly when Authorize does', async () => {
    const ports = fc.option(fc.constantFrom(-2, -1, 0, 8, 22, 255, 256, 65535, 65536, 1.5), { nil: undefined });
    const description = fc.option(
      fc.constantFrom('ok', 'a&b;c', 'tab\there', '<b>', 'x'.repeat(255), 'y'.repeat(256)),
      {
        nil: undefined,
      },
    );
    const permission = fc.record(
      {
        IpProtocol: fc.constantFrom(
          'tcp',
          'udp',
          'icmp',
          'icmpv6',
          '-1',
          '6',
          '17',
          '58',
          '50',
          '256',
          'TCP',
          'gre',
          '',
        ),
        FromPort: ports,
        ToPort: ports,
        IpRanges: fc.array(
          fc.record(
            { CidrIp: fc.constantFrom('10.0.0.0/8', '10.0.0.0/33', '1.2.3/8'), Description: description },
            { requiredKeys: ['CidrIp'] },
          ),
          { maxLength: 2 },
        ),
        Ipv6Ranges: fc.array(fc.record({ CidrIpv6: fc.constantFrom('::/0', '2001:db8::/129') }), { maxLength: 1 }),
        PrefixListIds: fc.array(fc.record({ PrefixListId: fc.constantFrom(CUSTOMER, 'pl-bad!') }), { maxLength: 1 }),
        UserIdGroupPairs: fc.array(
          fc.record(
            { GroupId: fc.constantFrom(ALB_SG, 'sg-1'), Description: description },
            { requiredKeys: ['GroupId'] },
          ),
          {
            maxLength: 1,
          },
        ),
      },
      { requiredKeys: ['IpProtocol', 'IpRanges'] },
    );
    await fc.assert(
      fc.asyncProperty(permission, async (candidate) => {
        const loads = loadReasons(stateWith(candidate as IpPermission)).length === 0;
        const error = await authorizeError(candidate as IpPermission);
        // A rule the group already has is a duplicate for Authorize, not a bad rule.
        const authorizes = error === undefined || error === 'InvalidPermission.Duplicate';
        expect(loads, JSON.stringify({ candidate, error })).toBe(authorizes);
      }),
      { numRuns: 300, seed: 1010 },
    );
  });

  it('an icmpv6 rule without a range is the same rule as icmpv6 -1/-1', async () => {
    const ec2 = Ec2Simulator.fromState(stateWith({ IpProtocol: 'icmpv6', Ipv6Ranges: [{ CidrIpv6: '::/0' }] }));
    await expect(
      ec2.authorizeSecurityGroupIngress({
        GroupId: API_SG,
        IpPermissions: [{ IpProtocol: 'icmpv6', FromPort: -1, ToPort: -1, Ipv6Ranges: [{ CidrIpv6: '::/0' }] }],
      }),
    ).rejects.toMatchObject({ name: 'InvalidPermission.Duplicate' });
  });

  it('checks egress rules too, naming IpPermissionsEgress', () => {
    const s = state();
    api(s).IpPermissionsEgress?.push(tcp(443, 80));
    expect(loadReasons(s)).toEqual([
      'SecurityGroups[2].IpPermissionsEgress[1].FromPort: 443 is greater than ToPort 80',
    ]);
  });
});

describe('prefix lists in the simulator', () => {
  it('a rule of this account may reference only a list of PrefixLists, named by field', () => {
    const s = stateWith(tcp(443, 443, { IpRanges: [], PrefixListIds: [{ PrefixListId: 'pl-0aaaaaaaaaaaaaaaa' }] }));
    expect(loadReasons(s)).toEqual([
      `${AT}.PrefixListIds[0].PrefixListId: prefix list pl-0aaaaaaaaaaaaaaaa is not in PrefixLists (add its entry from aws ec2 describe-managed-prefix-lists: a reference counts as the list's size)`,
    ]);
  });

  it('a customer-managed list without MaxEntries is refused (its size is what counts)', () => {
    const s = state();
    const customer = s.PrefixLists?.[1];
    if (customer) delete customer.MaxEntries;
    expect(loadReasons(s)).toEqual([
      'PrefixLists[1].MaxEntries: required (pl-0123456789abcdef0 is not an AWS-managed list of documented weight)',
    ]);
  });

  it('DescribeManagedPrefixLists answers the state file PrefixLists, by id or filter, in pages of up to 100', async () => {
    const ec2 = Ec2Simulator.fromState(state());
    expect((await ec2.describeManagedPrefixLists({})).PrefixLists).toEqual(PREFIX_LISTS);
    expect(
      (await ec2.describeManagedPrefixLists({ Filters: [{ Name: 'owner-id', Values: ['AWS'] }] })).PrefixLists?.map(
        (list) => list.PrefixListId,
      ),
    ).toEqual([CLOUDFRONT]);
    expect(
      (
        await ec2.describeManagedPrefixLists({
          Filters: [{ Name: 'prefix-list-id', Values: ['pl-0ffffffffffffffff'] }],
        })
      ).PrefixLists,
    ).toEqual([]);
    const first = await ec2.describeManagedPrefixLists({ MaxResults: 1 });
    expect(first.PrefixLists).toHaveLength(1);
    const second = await ec2.describeManagedPrefixLists({ MaxResults: 1, NextToken: first.NextToken });
    expect(second.PrefixLists?.[0]?.PrefixListId).toBe(CUSTOMER);
    await expect(ec2.describeManagedPrefixLists({ PrefixListIds: ['pl-0ffffffffffffffff'] })).rejects.toMatchObject({
      name: 'InvalidPrefixListID.NotFound',
    });
    await expect(ec2.describeManagedPrefixLists({ MaxResults: 101 })).rejects.toMatchObject({
      name: 'InvalidParameterValue',
    });
    await expect(
      ec2.describeManagedPrefixLists({ Filters: [{ Name: 'address-family', Values: ['IPv4'] }] }),
    ).rejects.toMatchObject({ name: 'InvalidParameterValue' });
  });

  it('Authorize with a list EC2 does not know: InvalidPrefixListID.NotFound, nothing added', async () => {
    const ec2 = Ec2Simulator.fromState(state());
    const before = ec2.toState();
    await expect(
      ec2.authorizeSecurityGroupIngress({
        GroupId: API_SG,
        IpPermissions: [tcp(443, 443, { IpRanges: [], PrefixListIds: [{ PrefixListId: 'pl-0ffffffffffffffff' }] })],
      }),
    ).rejects.toMatchObject({ name: 'InvalidPrefixListID.NotFound' });
    expect(ec2.toState()).toEqual(before);
  });

  it('CloudFront counts 55: with it, 5 more inbound rules fit in a group that has 1, the 6th does not', async () => {
    const ec2 = Ec2Simulator.fromState(state());
    const cidrs = (from: number, count: number) =>
      Array.from({ length: count }, (_, i) => ({ CidrIp: `198.51.100.${from + i}/32` }));
    await ec2.authorizeSecurityGroupIngress({
      GroupId: API_SG,
      IpPermissions: [
        tcp(443, 443, { IpRanges: [], PrefixListIds: [{ PrefixListId: CLOUDFRONT }] }),
        tcp(22, 22, { IpRanges: cidrs(1, 3) }),
      ],
    });
    await expect(
      ec2.authorizeSecurityGroupIngress({ GroupId: API_SG, IpPermissions: [tcp(22, 22, { IpRanges: cidrs(4, 2) })] }),
    ).rejects.toMatchObject({ name: 'RulesPerSecurityGroupLimitExceeded' });
  });

  it('a customer-managed list counts its MaxEntries (20), in IPv6 too', async () => {
    const ec2 = Ec2Simulator.fromState(state());
    await ec2.authorizeSecurityGroupIngress({
      GroupId: API_SG,
      IpPermissions: [
        tcp(443, 443, { IpRanges: [], PrefixListIds: [{ PrefixListId: CUSTOMER }] }),
        tcp(443, 443, {
          IpRanges: [],
          Ipv6Ranges: Array.from({ length: 38 }, (_, i) => ({ CidrIpv6: `2001:db8:${i}::/48` })),
        }),
      ],
    });
    // IPv6: 1 (the reference to default) + 20 + 38 = 59; one more IPv6 rule fits, a second does not.
    await ec2.authorizeSecurityGroupIngress({
      GroupId: API_SG,
      IpPermissions: [tcp(443, 443, { IpRanges: [], Ipv6Ranges: [{ CidrIpv6: '2001:db8:ff::/48' }] })],
    });
    await expect(
      ec2.authorizeSecurityGroupIngress({
        GroupId: API_SG,
        IpPermissions: [tcp(443, 443, { IpRanges: [], Ipv6Ranges: [{ CidrIpv6: '2001:db8:fe::/48' }] })],
      }),
    ).rejects.toMatchObject({ name: 'RulesPerSecurityGroupLimitExceeded' });
  });
});

describe("the account's applied quotas (state file Quotas)", () => {
  const quota = (QuotaCode: string, Value: number) => ({ ServiceCode: 'vpc', QuotaCode, Value });

  it('rules per security group raised to 200: the 61st rule is accepted', async () => {
    const ec2 = Ec2Simulator.fromState({ ...state(), Quotas: [quota('L-0EA8095F', 200)] });
    expect(ec2.quotas.rulesPerDirection).toBe(200);
    await ec2.authorizeSecurityGroupIngress({
      GroupId: API_SG,
      IpPermissions: [tcp(22, 22, { IpRanges: Array.from({ length: 60 }, (_, i) => ({ CidrIp: `10.0.${i}.0/24` })) })],
    });
  });

  it('security groups per interface lowered to 2: a third group is refused', async () => {
    const ec2 = Ec2Simulator.fromState({ ...state(), Quotas: [quota('L-2AFB9258', 2)] });
    await ec2.modifyNetworkInterfaceAttribute({ NetworkInterfaceId: ENI_1, Groups: [DEFAULT_SG, API_SG] });
    await expect(
      ec2.modifyNetworkInterfaceAttribute({ NetworkInterfaceId: ENI_1, Groups: [DEFAULT_SG, API_SG, ALB_SG] }),
    ).rejects.toMatchObject({ name: 'SecurityGroupsPerInterfaceLimitExceeded' });
  });

  it.each([
    [
      [quota('L-0EA8095F', 200), quota('L-2AFB9258', 6)],
      'Quotas[0].Value: 200 rules per security group × 6 groups per interface is over 1000',
    ],
    [[quota('L-0EA8095F', 250)], 'Quotas[0].Value: 250 rules per security group × 5 groups per interface is over 1000'],
    [[quota('L-2AFB9258', 17)], 'Quotas[0].Value: L-2AFB9258 must be a whole number 1-16, not 17'],
    [[quota('L-0EA8095F', 60.5)], 'Quotas[0].Value: L-0EA8095F must be a whole number 1-1000, not 60.5'],
    [
      [quota('L-0EA8095F', 100), quota('L-0EA8095F', 90)],
      'Quotas[1].QuotaCode: L-0EA8095F is listed twice (also Quotas[0])',
    ],
  ])('values Service Quotas never has are refused, naming the field: %j', (quotas, reason) => {
    const reasons = loadReasons({ ...state(), Quotas: quotas });
    expect(reasons).toHaveLength(1);
    expect(reasons[0]).toContain(reason);
  });

  it('other services and codes are kept and ignored', () => {
    const ec2 = Ec2Simulator.fromState({
      ...state(),
      Quotas: [quota('L-E79EC296', 2500), { ServiceCode: 'ec2', QuotaCode: 'L-1216C47A', Value: 5 }],
    });
    expect(ec2.quotas).toMatchObject({ rulesPerDirection: 60, groupsPerInterface: 5 });
    expect((ec2.toState() as State).Quotas).toHaveLength(2);
  });
});
