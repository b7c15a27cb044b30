import { readFileSync } from 'node:fs';
import { beforeEach, describe, expect, it } from 'vitest';
import { Ec2Simulator } from '../../../handlers/adapters/local/ec2-simulator.ts';
import type { Ec2State, SecurityGroup } from '../../../handlers/core/ec2-shapes.ts';
import { type Rule, ruleKey, rulesOf, toIpPermission } from '../../../handlers/core/rules.ts';
import type { Ec2Port } from '../../../handlers/ports.ts';
import { addRules, readGroups, readInterfaces, removeRules } from '../../../handlers/steps/ec2-ops.ts';

const D = 'sg-07d2e3f4a5b6c7d8e';
const ALB = 'sg-07a1b2c3d4e5f6a7b';
const API = 'sg-07c9d8e7f6a5b4c3d';
const VPC = 'vpc-07e1f2a3b4c5d6e7f';
const ENI1 = 'eni-07000000000000011';
const ENI2 = 'eni-07000000000000012';

const sampleText = readFileSync(new URL('../../../../shared/examples/web-app.state.json', import.meta.url), 'utf8');
const sample = (): Ec2State => JSON.parse(sampleText) as Ec2State;

const MUTATING = [
  'AuthorizeSecurityGroupIngress',
  'AuthorizeSecurityGroupEgress',
  'RevokeSecurityGroupIngress',
  'RevokeSecurityGroupEgress',
  'UpdateSecurityGroupRuleDescriptionsIngress',
  'UpdateSecurityGroupRuleDescriptionsEgress',
];

let ec2: Ec2Simulator;
let paces: number;
const pace = async () => {
  paces++;
};

beforeEach(() => {
  ec2 = Ec2Simulator.fromState(sample());
  paces = 0;
});

async function read(groupId: string): Promise<SecurityGroup> {
  const group = (await readGroups(ec2, [groupId])).get(groupId);
  if (!group) throw new Error(`${groupId} is gone`);
  return group;
}

function mutatingCalls(): number {
  const counts = ec2.callCounts();
  return MUTATING.reduce((sum, action) => sum + (counts[action] ?? 0), 0);
}

/** How many times each wanted rule is in the group (should be 1 each). */
function occurrences(group: SecurityGroup, rules: Rule[]): number[] {
  const keys = rulesOf(group).map(ruleKey);
  return rules.map((rule) => keys.filter((key) => key === ruleKey(rule)).length);
}

const ssh: Rule = {
  direction: 'ingress',
  protocol: 'tcp',
  fromPort: 22,
  toPort: 22,
  peer: { kind: 'cidr4', cidr: '10.0.0.0/8' },
  description: 'ssh from the vpn',
};
const metrics: Rule = {
  direction: 'ingress',
  protocol: 'tcp',
  fromPort: 9100,
  toPort: 9100,
  peer: { kind: 'group', groupId: ALB },
};
const postgres: Rule = {
  direction: 'egress',
  protocol: 'tcp',
  fromPort: 5432,
  toPort: 5432,
  peer: { kind: 'cidr4', cidr: '10.1.0.0/16' },
  description: 'db',
};

describe('addRules', () => {
  it('adds what is missing, then nothing on a second call', async () => {
    const api = await read(API);
    const wanted = [...rulesOf(api), ssh, metrics, postgres];
    const first = await addRules(ec2, api, wanted, pace);
    expect(first).toStrictEqual({ added: 3, removed: 0, described: 0 });
    const after = await read(API);
    expect(occurrences(after, wanted)).toStrictEqual(wanted.map(() => 1));
    expect(rulesOf(after).find((r) => ruleKey(r) === ruleKey(ssh))?.description).toBe('ssh from the vpn');
    expect(paces).toBe(mutatingCalls());

    ec2.resetCallCounts();
    const second = await addRules(ec2, after, wanted, pace);
    expect(second).toStrictEqual({ added: 0, removed: 0, described: 0 });
    expect(mutatingCalls()).toBe(0);
    expect(rulesOf(await read(API))).toHaveLength(rulesOf(after).length);
  });

  it('a re-run with the view read before the first run converges without failing', async () => {
    const stale = await read(API);
    const wanted = [ssh, metrics, postgres];
    await addRules(ec2, stale, wanted, pace);
    await expect(addRules(ec2, stale, wanted, pace)).resolves.toBeDefined();
    expect(occurrences(await read(API), wanted)).toStrictEqual([1, 1, 1]);
  });

  it('a rule added meanwhile by a concurrent writer does not fail the call, and the rest are added', async () => {
    const stale = await read(API);
    // Another writer adds one of the ingress rules between our read and our call.
    await ec2.authorizeSecurityGroupIngress({ GroupId: API, IpPermissions: [toIpPermission(ssh)] });
    const wanted = [ssh, metrics, postgres];
    await expect(addRules(ec2, stale, wanted, pace)).resolves.toBeDefined();
    expect(occurrences(await read(API), wanted)).toStrictEqual([1, 1, 1]);
  });

  it('a rule a concurrent writer added with another description ends with the wanted one, counted as not added', async () => {
    const stale = await read(API);
    await ec2.authorizeSecurityGroupIngress({
      GroupId: API,
      IpPermissions: [toIpPermission({ ...ssh, description: 'other writer' })],
    });
    const changes = await addRules(ec2, stale, [ssh, metrics], pace);
    expect(changes).toMatchObject({ added: 1, described: 1 });
    const live = rulesOf(await read(API)).find((rule) => ruleKey(rule) === ruleKey(ssh));
    expect(live?.description).toBe(ssh.description);
  });

  it('an egress rule added meanwhile does not fail the call', async () => {
    const stale = await read(ALB);
    await ec2.authorizeSecurityGroupEgress({ GroupId: ALB, IpPermissions: [toIpPermission(postgres)] });
    await expect(addRules(ec2, stale, [postgres], pace)).resolves.toBeDefined();
    expect(occurrences(await read(ALB), [postgres])).toStrictEqual([1]);
  });

  it('fixes a differing description without adding a rule', async () => {
    const api = await read(API);
    const existing = rulesOf(api).find((r) => r.peer.kind === 'group' && r.peer.groupId === D) as Rule;
    expect(existing.description).toBe('workers on default');
    const result = await addRules(ec2, api, [{ ...existing, description: 'workers (moving)' }], pace);
    expect(result).toStrictEqual({ added: 0, removed: 0, described: 1 });
    const after = rulesOf(await read(API));
    expect(after).toHaveLength(rulesOf(api).length);
    expect(after.find((r) => ruleKey(r) === ruleKey(existing))?.description).toBe('workers (moving)');
  });

  it('lets other errors through', async () => {
    const api = await read(API);
    const dangling: Rule = { ...metrics, peer: { kind: 'group', groupId: 'sg-0fffffffffffffff0' } };
    await expect(addRules(ec2, api, [dangling], pace)).rejects.toMatchObject({ name: 'InvalidGroup.NotFound' });
  });

  it('after a Duplicate answer for the whole batch, adds the rules one by one', async () => {
    // A port whose batch call says Duplicate: the rules are then added one by one.
    const calls: string[] = [];
    const port = new Proxy(ec2, {
      get(target, property, receiver) {
        if (property === 'authorizeSecurityGroupIngress') {
          return async (input: Parameters<Ec2Port['authorizeSecurityGroupIngress']>[0]) => {
            calls.push(JSON.stringify(input.IpPermissions));
            const peers = input.IpPermissions.reduce(
              (n, p) => n + (p.IpRanges?.length ?? 0) + (p.UserIdGroupPairs?.length ?? 0),
              0,
            );
            if (peers > 1) throw Object.assign(new Error('already exists'), { name: 'InvalidPermission.Duplicate' });
            return target.authorizeSecurityGroupIngress(input);
          };
        }
        return Reflect.get(target, property, receiver);
      },
    }) as Ec2Port;
    const api = await read(API);
    await addRules(port, api, [ssh, metrics], pace);
    expect(calls).toHaveLength(3);
    expect(occurrences(await read(API), [ssh, metrics])).toStrictEqual([1, 1]);
  });
});

describe('removeRules', () => {
  const allOut: Rule = { direction: 'egress', protocol: '-1', peer: { kind: 'cidr4', cidr: '0.0.0.0/0' } };

  it('revokes the rules the group has', async () => {
    const api = await read(API);
    const reference = rulesOf(api).find((r) => r.direction === 'ingress') as Rule;
    const result = await removeRules(ec2, api, [reference, allOut], pace);
    expect(result).toStrictEqual({ added: 0, removed: 2, described: 0 });
    expect(rulesOf(await read(API))).toStrictEqual([]);
    expect(paces).toBe(mutatingCalls());
  });

  it('ignores rules absent from the group, without calling EC2', async () => {
    const api = await read(API);
    const result = await removeRules(ec2, api, [ssh, postgres], pace);
    expect(result.removed).toBe(0);
    expect(mutatingCalls()).toBe(0);
  });

  it('tolerates rules revoked meanwhile and still revokes the others', async () => {
    const stale = await read(API);
    const reference = rulesOf(stale).find((r) => r.direction === 'ingress') as Rule;
    await ec2.authorizeSecurityGroupIngress({ GroupId: API, IpPermissions: [toIpPermission(ssh)] });
    const withSsh = await read(API);
    // Someone else revokes the reference between our read and our call.
    await ec2.revokeSecurityGroupIngress({ GroupId: API, IpPermissions: [toIpPermission(reference)] });
    await expect(removeRules(ec2, withSsh, [reference, ssh, allOut], pace)).resolves.toBeDefined();
    expect(rulesOf(await read(API))).toStrictEqual([]);
  });

  it('a re-run after everything is gone succeeds', async () => {
    const stale = await read(API);
    const all = rulesOf(stale);
    await removeRules(ec2, stale, all, pace);
    await expect(removeRules(ec2, stale, all, pace)).resolves.toBeDefined();
    expect(rulesOf(await read(API))).toStrictEqual([]);
  });

  // https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_RevokeSecurityGroupIngress.html: in a default VPC a
  // rule that does not match is answered in UnknownIpPermissions, with no error.
  it('a default VPC answering UnknownIpPermissions fails the call at once, naming the rule', async () => {
    ec2 = Ec2Simulator.fromState(sample(), { defaultVpcIds: [VPC] });
    const stale = await read(API);
    const reference = rulesOf(stale).find((r) => r.direction === 'ingress') as Rule;
    await ec2.revokeSecurityGroupIngress({ GroupId: API, IpPermissions: [toIpPermission(reference)] });
    await expect(removeRules(ec2, stale, [reference], pace)).rejects.toMatchObject({
      name: 'RevokeNotApplied',
      message: expect.stringContaining(
        `RevokeSecurityGroupIngress on ${API} did not find inbound TCP 8443 from ${D} — "workers on default"`,
      ),
    });
  });

  it('an answer of Return: false fails at once, naming the rules of the call', async () => {
    const refusing: Ec2Port = Object.assign(Object.create(ec2) as Ec2Port, {
      revokeSecurityGroupEgress: async () => ({ Return: false }),
    });
    const api = await read(API);
    await expect(removeRules(refusing, api, [allOut], pace)).rejects.toMatchObject({
      name: 'RevokeNotApplied',
      message: expect.stringContaining(
        `RevokeSecurityGroupEgress on ${API} answered Return: false for outbound all traffic to 0.0.0.0/0`,
      ),
    });
  });
});

describe('readGroups / readInterfaces', () => {
  it('skips groups that do not exist or were deleted', async () => {
    const created = await ec2.createSecurityGroup({ GroupName: 'temp', Description: 'temp', VpcId: VPC });
    const tempId = created.GroupId as string;
    await ec2.deleteSecurityGroup({ GroupId: tempId });
    const found = await readGroups(ec2, [D, tempId, 'sg-0123456789abcdef0', ALB, D]);
    expect([...found.keys()].sort()).toStrictEqual([ALB, D].sort());
    expect(found.get(D)?.GroupName).toBe('default');
  });

  it('skips interfaces that do not exist', async () => {
    const found = await readInterfaces(ec2, [ENI1, 'eni-0123456789abcdef0', ENI2]);
    expect([...found.keys()].sort()).toStrictEqual([ENI1, ENI2]);
    expect(found.get(ENI1)?.Groups?.map((g) => g.GroupId)).toStrictEqual([D]);
  });

  it('answers an empty map for no ids', async () => {
    expect((await readGroups(ec2, [])).size).toBe(0);
    expect((await readInterfaces(ec2, [])).size).toBe(0);
  });

  it('reads many ids in several calls of at most 200 filter values', async () => {
    const ids = Array.from({ length: 450 }, (_, i) => `sg-0${i.toString(16).padStart(16, '0')}`);
    const filterSizes: number[] = [];
    ec2.setHooks({
      before(action, input) {
        if (action === 'DescribeSecurityGroups') {
          const filters = (input as { Filters?: { Values: string[] }[] }).Filters ?? [];
          filterSizes.push(...filters.map((f) => f.Values.length));
        }
      },
    });
    const found = await readGroups(ec2, [...ids, ALB]);
    expect([...found.keys()]).toStrictEqual([ALB]);
    expect(filterSizes.length).toBe(3);
    expect(Math.max(...filterSizes)).toBeLessThanOrEqual(200);
  });
});
