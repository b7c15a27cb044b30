/**
 * The watcher's decision, through its step with the EC2 simulator: a CloudTrail record of a call that added a rule to,
 * or put something on, a default group carrying the strip's mark gives one notice naming the call, its caller, when
 * and from where, and how to remediate again; anything else (an unmarked group, another group, a reference to the
 * default group from elsewhere, the deployment's own roles, a failed call) gives none. The records are the samples of
 * test/fixtures/cloudtrail/, written from the CloudTrail and EventBridge documentation.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createLocalDeps } from '../../../cli/deps.ts';
import { Ec2Simulator } from '../../../handlers/adapters/local/ec2-simulator.ts';
import type { Ec2State } from '../../../handlers/core/ec2-shapes.ts';
import { markTags, STATUS_TAG } from '../../../handlers/core/marker.ts';
import { SNS_MAX_MESSAGE_BYTES } from '../../../handlers/core/notices.ts';
import type { Notification } from '../../../handlers/ports.ts';
import type { Deps } from '../../../handlers/steps/deps.ts';
import { watch } from '../../../handlers/steps/watch.ts';

const DEFAULT = 'sg-07d2e3f4a5b6c7d8e';
const API = 'sg-07c9d8e7f6a5b4c3d';
const REMEDIATION = 'rem-web-20240501';
const CLOUDTRAIL = join(import.meta.dirname, '..', '..', 'fixtures', 'cloudtrail');
const record = (name: string) => JSON.parse(readFileSync(join(CLOUDTRAIL, name), 'utf8'));
const OWN = { remediationAccountId: '999988887777', memberRolePrefix: 'DefaultSgRemediationMember' };

let dir: string;
let simulator: Ec2Simulator;
let deps: Deps;
let sent: Notification[];

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'dsr-watch-'));
  const state = JSON.parse(
    readFileSync(new URL('../../../../shared/examples/web-app.state.json', import.meta.url), 'utf8'),
  ) as Ec2State;
  simulator = Ec2Simulator.fromState(state);
  sent = [];
  deps = createLocalDeps({
    simulator,
    storeDir: dir,
    notifier: {
      async publish(notification) {
        sent.push(notification);
      },
    },
  });
});

afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

/** The default group as the strip leaves it: no rules, and the mark. */
async function markDefault() {
  await simulator.createTags({ Resources: [DEFAULT], Tags: markTags(REMEDIATION) });
}

describe('a call on a stripped (marked) default group', () => {
  beforeEach(markDefault);

  it('a rule added: one notice naming the rule, who, when, from where, and how to remediate again or roll back', async () => {
    const output = await watch(record('authorize-ingress.json'), deps, OWN);
    expect(output).toEqual({ notified: [DEFAULT] });
    expect(sent).toHaveLength(1);
    const [notice] = sent as [Notification];
    expect(notice.subject).toBe(`EC2.2: rule added to stripped default group ${DEFAULT}`);
    const lines = notice.message.split('\n');
    expect(lines[0]).toBe(
      `A rule was added to the stripped default group ${DEFAULT} of vpc-07e1f2a3b4c5d6e7f in 111122223333 us-east-1, marked DO NOT USE by remediation ${REMEDIATION}.`,
    );
    expect(notice.message).toContain(`What: AuthorizeSecurityGroupIngress added 1 rule(s) to ${DEFAULT}.`);
    expect(notice.message).toContain(
      'Who: "arn:aws:sts::111122223333:assumed-role/PlatformAdmin/alice@example.com" (role "arn:aws:iam::111122223333:role/PlatformAdmin").',
    );
    expect(notice.message).toContain('When: "2024-05-02T09:15:27Z", from "203.0.113.24".');
    expect(notice.message).toContain('  - inbound TCP 998 from 192.168.0.0/32 — "temporary debug"');
    expect(notice.message).toContain(`npm run cli -- remediate --group ${DEFAULT}`);
    expect(notice.message).toContain('"Remediate EC2.2"');
    expect(notice.message).toContain(`npm run cli -- rollback --remediation ${REMEDIATION}`);
    expect(notice.message).toContain('evt-authorizesecuritygroupingress-0001');
  });

  it.each([
    [
      'an outbound rule',
      'authorize-egress.json',
      'AuthorizeSecurityGroupEgress added 1 rule(s)',
      'outbound all traffic to 0.0.0.0/0',
    ],
    [
      'a rule added by group name (default VPC): the group is read from the answer',
      'authorize-ingress-by-name.json',
      'AuthorizeSecurityGroupIngress added 1 rule(s)',
      `inbound all traffic from ${API}`,
    ],
    [
      'a rule changed',
      'modify-security-group-rules.json',
      'ModifySecurityGroupRules changed rule(s)',
      'sgr-0a1b2c3d4e5f60718 now IpProtocol tcp, FromPort 22, ToPort 22, CidrIpv4 0.0.0.0/0',
    ],
    [
      'an interface put on it',
      'modify-network-interface-attribute.json',
      'ModifyNetworkInterfaceAttribute put eni-07000000000000013',
      `Its groups are now: sg-07a1b2c3d4e5f6a7b, ${DEFAULT}.`,
    ],
    [
      'an instance put on it',
      'modify-instance-attribute.json',
      'ModifyInstanceAttribute put instance i-0abcdef1234567890',
      `Its groups are now: ${DEFAULT}.`,
    ],
    [
      'an interface created without a group (EC2 chose the default group)',
      'create-network-interface.json',
      'CreateNetworkInterface created eni-07000000000000099',
      'The request named no group: EC2 used the VPC default group.',
    ],
    [
      'instances launched by Auto Scaling without a group',
      'run-instances.json',
      'RunInstances launched 2 instance(s)',
      'instance i-0aaaa000000000002',
    ],
  ])('%s: notified', async (_, name, what, detail) => {
    const output = await watch(record(name), deps, OWN);
    expect(output.notified).toEqual([DEFAULT]);
    expect(sent).toHaveLength(1);
    expect(sent[0]?.message).toContain(what);
    expect(sent[0]?.message).toContain(detail);
  });

  it('a rule added: the group fails EC2.2 again, so the notice offers the remediation again', async () => {
    await watch(record('authorize-egress.json'), deps, OWN);
    const message = sent[0]?.message ?? '';
    expect(message).toContain('"Remediate EC2.2" on its EC2.2 finding, which turns FAILED again');
    expect(message).not.toContain('give it a group of its own');
  });

  it('a resource put on it: no rule, EC2.2 still passes; the notice says where it belongs — the remediation’s copy', async () => {
    const { GroupId: copy } = await simulator.createSecurityGroup({
      GroupName: `default-replacement-${REMEDIATION}`,
      Description: 'copy',
      VpcId: 'vpc-07e1f2a3b4c5d6e7f',
      TagSpecifications: [
        {
          ResourceType: 'security-group',
          Tags: [{ Key: 'default-sg-remediation:remediation-id', Value: REMEDIATION }],
        },
      ],
    });
    await watch(record('run-instances.json'), deps, OWN);
    const message = sent[0]?.message ?? '';
    expect(message).toContain(
      `give it a group of its own (the remediation's copy ${copy} "default-replacement-${REMEDIATION}" holds the rules the default group had)`,
    );
    expect(message).toContain('A new remediation would not move it: a default group without rules passes EC2.2.');
    expect(message).not.toContain('turns FAILED again');
  });

  it('a resource put on it with no copy (the remediation needed none): no copy is named', async () => {
    await watch(record('modify-network-interface-attribute.json'), deps, OWN);
    expect(sent[0]?.message).toContain('give it a group of its own, and name that group in whatever launched it');
  });

  it('names the service that called for a principal (Auto Scaling launching instances)', async () => {
    await watch(record('run-instances.json'), deps, OWN);
    expect(sent[0]?.message).toContain('through "autoscaling.amazonaws.com"');
    expect(sent[0]?.subject).toBe(`EC2.2: resource put on stripped default group ${DEFAULT}`);
  });

  it('leaves out the calls of the deployment’s own roles (a rollback moving an interface back), reading nothing', async () => {
    simulator.resetCallCounts();
    const output = await watch(record('modify-network-interface-attribute-own-role.json'), deps, OWN);
    expect(output).toEqual({ notified: [], ignored: "made by this deployment's own role" });
    expect(sent).toEqual([]);
    expect(simulator.totalCalls()).toBe(0);
  });

  it('a role that only looks like a member role in name (another prefix) is reported', async () => {
    const output = await watch(record('modify-network-interface-attribute-own-role.json'), deps, {
      ...OWN,
      memberRolePrefix: 'OrgSgFixer',
    });
    expect(output.notified).toEqual([DEFAULT]);
  });

  it('a step role counts as the deployment’s only in the remediation account', async () => {
    const event = record('authorize-ingress.json');
    const issuer = event.detail.userIdentity.sessionContext.sessionIssuer;
    issuer.arn = 'arn:aws:iam::111122223333:role/DefaultSgRemediation-AddReferences-us-east-1';
    expect((await watch(event, deps, OWN)).notified).toEqual([DEFAULT]);
    issuer.arn = 'arn:aws:iam::999988887777:role/DefaultSgRemediation-AddReferences-us-east-1';
    expect((await watch(event, deps, OWN)).ignored).toBe("made by this deployment's own role");
  });

  it('a call EC2 refused changed nothing: no notice', async () => {
    const output = await watch(record('authorize-ingress-failed.json'), deps, OWN);
    expect(output).toEqual({ notified: [], ignored: 'the call failed (Client.UnauthorizedOperation)' });
    expect(sent).toEqual([]);
  });

  it('a rule on another group that references the default group is not a rule on the default group', async () => {
    const output = await watch(record('authorize-referencing-default.json'), deps, OWN);
    expect(output.notified).toEqual([]);
    expect(sent).toEqual([]);
  });

  it('quotes the account’s text: a user agent or session name cannot forge lines of the notice', async () => {
    const event = record('authorize-ingress.json');
    event.detail.userAgent = 'curl\nTo strip it again: run https://evil.example/\u202Eexe.txt';
    event.detail.userIdentity.arn = 'arn:aws:sts::111122223333:assumed-role/PlatformAdmin/x"\u2028y';
    await watch(event, deps, OWN);
    const message = sent[0]?.message ?? '';
    expect(message).not.toContain('\u202E');
    expect(message).not.toContain('\u2028');
    expect(message.split('\n').filter((line) => line.startsWith('To strip it again'))).toHaveLength(1);
    expect(message).toContain('user agent "curl\\nTo strip it again');
    expect(message).toContain('PlatformAdmin/x\\"\\u{2028}y"');
  });

  it('stays within SNS’s limit with ten thousand rules in the call', async () => {
    const event = record('authorize-ingress.json');
    const ranges = Array.from({ length: 10_000 }, (_, i) => ({
      cidrIp: `10.${(i >> 8) & 255}.${i & 255}.0/24`,
      description: '\u00e9'.repeat(200),
    }));
    event.detail.requestParameters.ipPermissions.items[0].ipRanges.items = ranges;
    await watch(event, deps, OWN);
    const message = sent[0]?.message ?? '';
    expect(Buffer.byteLength(message)).toBeLessThan(SNS_MAX_MESSAGE_BYTES);
    expect(message).toContain('AuthorizeSecurityGroupIngress added 10000 rule(s)');
    expect(message).toContain('and 9980 more');
  });
});

describe('no notice', () => {
  it('for the default group before the strip (no mark): it is read, nothing is sent', async () => {
    const output = await watch(record('authorize-ingress.json'), deps, OWN);
    expect(output).toEqual({ notified: [], ignored: 'no stripped default group among the groups it touched' });
    expect(simulator.callCounts().DescribeSecurityGroups).toBe(1);
    expect(sent).toEqual([]);
  });

  it('for a group that is not a default group, even one carrying the status tag', async () => {
    await simulator.createTags({ Resources: [API], Tags: markTags(REMEDIATION) });
    const event = record('authorize-ingress.json');
    event.detail.requestParameters.groupId = API;
    event.detail.responseElements.securityGroupRuleSet.items[0].groupId = API;
    expect((await watch(event, deps, OWN)).notified).toEqual([]);
    expect(sent).toEqual([]);
  });

  it('for a default group whose status tag someone else wrote (not the strip’s value)', async () => {
    await simulator.createTags({ Resources: [DEFAULT], Tags: [{ Key: STATUS_TAG, Value: 'fixed by hand' }] });
    expect((await watch(record('authorize-ingress.json'), deps, OWN)).notified).toEqual([]);
  });

  it('for a group that no longer exists', async () => {
    await markDefault();
    const event = record('modify-instance-attribute.json');
    event.detail.requestParameters.groupSet.items = [{ groupId: 'sg-0fffffffffffffff1' }];
    expect((await watch(event, deps, OWN)).notified).toEqual([]);
  });

  it('for calls it does not watch, with nothing read', async () => {
    await markDefault();
    simulator.resetCallCounts();
    const revoke = record('revoke-ingress.json');
    expect(await watch(revoke, deps, OWN)).toEqual({
      notified: [],
      ignored: 'RevokeSecurityGroupIngress is not watched',
    });
    expect(simulator.totalCalls()).toBe(0);
  });
});

describe('input', () => {
  it.each([
    ['a Security Hub finding', { source: 'aws.securityhub', 'detail-type': 'Security Hub Findings - Imported' }],
    ['another service’s call', { ...record('authorize-ingress.json'), source: 'aws.rds' }],
    ['a region that is not one', { ...record('authorize-ingress.json'), region: 'us-east-1; rm -rf' }],
    ['no detail', { ...record('authorize-ingress.json'), detail: undefined }],
  ])('refuses %s, naming the field, before anything is read', async (_, event) => {
    simulator.resetCallCounts();
    await expect(watch(event, deps, OWN)).rejects.toMatchObject({ name: 'InvalidInput' });
    expect(simulator.totalCalls()).toBe(0);
    expect(sent).toEqual([]);
  });
});
