import { describe, expect, it } from 'vitest';
import type { NetworkInterface, SecurityGroup } from '../../../handlers/core/ec2-shapes.ts';
import { describePeer, describePlan, describeRule, describeTraffic } from '../../../handlers/core/messages.ts';
import { type Inventory, type Plan, planRemediation } from '../../../handlers/core/plan.ts';
import type { Rule } from '../../../handlers/core/rules.ts';

const D = 'sg-0d000000000000001';
const API = 'sg-0a000000000000002';
const VPC = 'vpc-0f000000000000001';

const r = (partial: Partial<Rule>): Rule => ({
  direction: 'ingress',
  protocol: 'tcp',
  fromPort: 443,
  toPort: 443,
  peer: { kind: 'cidr4', cidr: '10.0.0.0/8' },
  ...partial,
});

describe('describeTraffic', () => {
  it.each<[string, Partial<Rule>, string]>([
    ['all traffic', { protocol: '-1', fromPort: undefined, toPort: undefined }, 'all traffic'],
    ['tcp single port', { fromPort: 443, toPort: 443 }, 'TCP 443'],
    ['tcp range', { fromPort: 8000, toPort: 8080 }, 'TCP 8000-8080'],
    ['tcp all ports', { fromPort: 0, toPort: 65535 }, 'TCP (all ports)'],
    ['udp single port', { protocol: 'udp', fromPort: 53, toPort: 53 }, 'UDP 53'],
    ['udp all ports', { protocol: 'udp', fromPort: 0, toPort: 65535 }, 'UDP (all ports)'],
    ['icmp all types', { protocol: 'icmp', fromPort: -1, toPort: -1 }, 'ICMP (all types)'],
    ['icmp type', { protocol: 'icmp', fromPort: 8, toPort: -1 }, 'ICMP type 8'],
    ['icmp type and code', { protocol: 'icmp', fromPort: 3, toPort: 4 }, 'ICMP type 3 code 4'],
    ['icmpv6 type', { protocol: 'icmpv6', fromPort: 128, toPort: -1 }, 'ICMPv6 type 128'],
    ['protocol number', { protocol: '50', fromPort: undefined, toPort: undefined }, 'IP protocol 50'],
  ])('%s', (_name, partial, expected) => {
    expect(describeTraffic(r(partial))).toBe(expected);
  });
});

describe('describeRule', () => {
  it('inbound rules say "from", outbound "to"', () => {
    expect(describeRule(r({}))).toBe('inbound TCP 443 from 10.0.0.0/8');
    expect(describeRule(r({ direction: 'egress', protocol: '-1', peer: { kind: 'cidr6', cidr: '::/0' } }))).toBe(
      'outbound all traffic to ::/0',
    );
  });

  it('names prefix lists', () => {
    expect(describeRule(r({ peer: { kind: 'prefix-list', prefixListId: 'pl-0123abcd' } }))).toBe(
      'inbound TCP 443 from prefix list pl-0123abcd',
    );
  });

  it('names groups, with their name when known and the peering connection', () => {
    const rule = r({
      fromPort: 8443,
      toPort: 8443,
      peer: { kind: 'group', groupId: D },
      description: 'workers on default',
    });
    expect(describeRule(rule, { [D]: 'default' })).toBe(`inbound TCP 8443 from ${D} "default" — "workers on default"`);
    expect(describeRule({ ...rule, description: undefined })).toBe(`inbound TCP 8443 from ${D}`);
    const peered = r({
      fromPort: 5432,
      toPort: 5432,
      peer: { kind: 'group', groupId: D, userId: '111122223333', vpcId: VPC, vpcPeeringConnectionId: 'pcx-0abc' },
    });
    expect(describePeer(peered)).toBe(`${D} via pcx-0abc`);
    expect(describeRule(peered, { [D]: 'default' })).toBe(`inbound TCP 5432 from ${D} "default" via pcx-0abc`);
  });
});

function group(id: string, name: string, rules: Partial<SecurityGroup>): SecurityGroup {
  return { GroupId: id, GroupName: name, VpcId: VPC, OwnerId: '111122223333', ...rules };
}

function member(id: string): NetworkInterface {
  return {
    NetworkInterfaceId: id,
    InterfaceType: 'interface',
    RequesterManaged: false,
    Groups: [{ GroupId: D }],
    Attachment: { InstanceId: `i-${id.slice(4)}` },
  };
}

function inventory(overrides: Partial<Inventory> = {}): Inventory {
  return {
    accountId: '111122223333',
    region: 'eu-west-1',
    vpcId: VPC,
    defaultGroup: group(D, 'default', {
      IpPermissions: [{ IpProtocol: '-1', UserIdGroupPairs: [{ GroupId: D }] }],
      IpPermissionsEgress: [{ IpProtocol: '-1', IpRanges: [{ CidrIp: '0.0.0.0/0' }] }],
    }),
    members: [member('eni-0e000000000000001'), member('eni-0e000000000000002'), member('eni-0e000000000000003')],
    referencingGroups: [
      group(API, 'api', {
        IpPermissions: [
          {
            IpProtocol: 'tcp',
            FromPort: 8443,
            ToPort: 8443,
            UserIdGroupPairs: [{ GroupId: D, Description: 'workers' }],
          },
        ],
      }),
    ],
    memberGroups: [],
    unreachableReferences: [],
    ...overrides,
  };
}

const text = (plan: Plan) => describePlan(plan).join('\n');

describe('describePlan', () => {
  it('compliant: says so and nothing else', () => {
    const plan = planRemediation(inventory({ defaultGroup: group(D, 'default', {}) }), { remediationId: 'rem-1' });
    const lines = describePlan(plan);
    expect(lines[0]).toBe(`Default security group ${D} of ${VPC} (account 111122223333, eu-west-1)`);
    expect(lines.join('\n')).toContain('already compliant');
    expect(lines).toHaveLength(2);
  });

  it('ready: counts rules, interfaces, outside references, all references and batches', () => {
    const plan = planRemediation(inventory(), { remediationId: 'rem-1', batchSize: 2 });
    const words = text(plan);
    expect(words).toContain('Its rules (2), revoked after approval:');
    expect(words).toContain(`  - inbound all traffic from ${D} "default"`);
    expect(words).toContain('  - outbound all traffic to 0.0.0.0/0');
    expect(words).toContain('Used by 3 network interface(s):');
    expect(words).toContain('  - eni-0e000000000000001: EC2 instance i-0e000000000000001');
    // The default group's self reference is a reference, but not one "in other groups".
    expect(words).toContain('Referenced by 1 rule(s) in other groups:');
    expect(words).toContain(`  - ${API} "api": inbound TCP 8443 from ${D} "default" — "workers"`);
    expect(words).toContain(`1. create default-replacement-rem-1 in ${VPC} with the same rules`);
    expect(words).toContain('next to each of the 2 reference(s)');
    expect(words).toContain('on 3 interface(s), in 2 batch(es)');
    expect(words).toContain("revoke the default group's 2 rule(s)");
    expect(words).toContain('revoke the references to the default group that now have twins');
    // CIS 5.4: the approver knows the group's Name tag changes, and that a rollback puts it back.
    expect(words).toContain(
      '  - tag it as CIS 5.4 recommends: Name "DO NOT USE. DO NOT ADD RULES" (in place of any Name it has) and default-sg-remediation:status; a rollback puts its tags back',
    );
    expect(words).not.toContain('BLOCKED');
    expect(words).not.toContain('already compliant');
  });

  it('ready without members: no replacement group', () => {
    const plan = planRemediation(inventory({ members: [] }), { remediationId: 'rem-1' });
    const words = text(plan);
    expect(words).toContain('Used by 0 network interface(s):');
    expect(words).toContain('(none: no replacement group is needed)');
    expect(words).toContain('nothing: the default group is unused');
    expect(words).toContain('Referenced by 0 rule(s) in other groups:');
    expect(words).not.toContain('create default-replacement');
    expect(words).not.toContain('now have twins');
  });

  it('blocked: lists every reason and no steps', () => {
    const managed: NetworkInterface = {
      NetworkInterfaceId: 'eni-0e0000000000000ff',
      InterfaceType: 'lambda',
      RequesterManaged: true,
      Description: 'AWS Lambda VPC ENI-fn-38de40f4-3262-4417-a2ee-7aa4d5b88f6f',
      Groups: [{ GroupId: D }],
    };
    const plan = planRemediation(
      inventory({
        members: [member('eni-0e000000000000001'), managed],
        unreachableReferences: [{ vpcId: 'vpc-0bbbbbbbbbbbbbbbb' }],
      }),
      { remediationId: 'rem-1' },
    );
    expect(plan.status).toBe('blocked');
    const words = text(plan);
    expect(words).toContain('Used by 2 network interface(s):');
    expect(words).toContain('BLOCKED — nothing will be changed (2 reason(s)):');
    for (const reason of plan.reasons) expect(words).toContain(`  - ${reason}`);
    expect(plan.reasons).toHaveLength(2);
    expect(words).not.toContain('Before approval');
    expect(words).not.toContain('After approval');
  });
});
