/**
 * Notices at 10,000 interfaces, through the real state machine definitions: every message SNS would publish stays
 * under Publish's limit of 262,144 bytes (https://docs.aws.amazon.com/sns/latest/api/API_Publish.html), its link
 * comes right after the one-line summary, the interfaces are counted by owner, and text from the account (interface
 * descriptions, group names) reaches the reader quoted and escaped — never as a control, bidi or invisible character.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { SnsNotifier } from '../../handlers/adapters/aws/sns-notifier.ts';
import type { Ec2State, NetworkInterface } from '../../handlers/core/ec2-shapes.ts';
import { openSnapshot, snapshotKey } from '../../handlers/core/snapshot.ts';
import { approvalPage } from '../../handlers/http/pages.ts';
import type { Notification } from '../../handlers/ports.ts';
import { generateVpc } from '../support/generate-vpc.ts';
import { createSession, disposeAll, repoRoot, scenarioState } from '../support/harness.ts';

afterEach(disposeAll);

/** A 10,000-interface run takes about 10 s alone (npm run bench): room for a loaded machine. */
const LARGE_RUN_TIMEOUT_MS = 300_000;

const SNS_LIMIT = 262_144;
const LINK_BASE = 'https://a1b2c3d4e5.execute-api.us-east-1.amazonaws.com/prod/';
const LINK_HOST = 'https://a1b2c3d4e5.execute-api.us-east-1.amazonaws.com';
const HOSTILE = Object.entries(
  JSON.parse(readFileSync(join(repoRoot, 'test', 'fixtures', 'hostile', 'texts.json'), 'utf8')) as Record<
    string,
    string
  >,
)
  .filter(([key]) => !key.startsWith('_'))
  .map(([, text]) => text);

/**
 * What must never reach a reader raw, written out from Unicode rather than taken from the code under test: C0/C1
 * controls (line feed aside, it separates lines), the bidirectional controls of UAX #9 (U+061C, U+200E/F,
 * U+202A–U+202E, U+2066–U+2069), zero-width and invisible characters, line/paragraph separators, tag characters.
 */
const UNSAFE =
  // biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point.
  /[\u0000-\u0009\u000B-\u001F\u007F-\u009F\u00AD\u061C\u115F\u1160\u200B-\u200F\u2028-\u202E\u2060-\u2064\u2066-\u2069\u3164\uFEFF\u{E0000}-\u{E007F}]/u;
const hasUnsafeCharacters = (text: string) => UNSAFE.test(text);

const DEFAULT = 'sg-0d5e000000000d001';
const APP = 'sg-0d5e000000000c001';
/** managed-services.state.json: the default group's 11 members by owner (test/machine/movers.test.ts). */
const FIXTURE_OWNERS = {
  'EC2 instance': 2,
  'Lambda function': 2,
  'load balancer': 2,
  ElastiCache: 2,
  'RDS database': 1,
  'EFS mount target': 1,
  'VPC endpoint': 1,
};

function hex16(value: number): string {
  return value.toString(16).padStart(16, '0');
}

/**
 * managed-services.state.json (EC2 instances, Lambda, RDS, load balancer, EFS, endpoint, ElastiCache on the default
 * group) plus `extra` interfaces: the first ones not attached, each described by one of the hostile texts, then
 * two attached to instances for each one not attached. Their ids sort first, so the notice lists the hostile ones.
 */
function largeHostileState(extra: number): { state: Ec2State; attached: number; detached: number } {
  const state = scenarioState('managed-services');
  const template = state.NetworkInterfaces.find((eni) => eni.NetworkInterfaceId === 'eni-0e5e000000000e001');
  if (!template) throw new Error('managed-services.state.json changed: no eni-0e5e000000000e001');
  let attached = 0;
  let detached = 0;
  for (let i = 0; i < extra; i++) {
    const ip = `10.0.${64 + Math.floor(i / 250)}.${4 + (i % 250)}`;
    const isDetached = i < HOSTILE.length || i % 3 === 0;
    const eni: NetworkInterface = {
      ...structuredClone(template),
      NetworkInterfaceId: `eni-0${hex16(i)}`,
      Description: HOSTILE[i % HOSTILE.length] ?? '',
      PrivateIpAddress: ip,
      PrivateIpAddresses: [{ Primary: true, PrivateIpAddress: ip }],
      Groups: [
        { GroupId: DEFAULT, GroupName: 'default' },
        { GroupId: APP, GroupName: 'app' },
      ],
    };
    if (isDetached) {
      delete eni.Attachment;
      eni.Status = 'available';
      detached++;
    } else {
      eni.Attachment = {
        ...template.Attachment,
        AttachmentId: `eni-attach-0${hex16(i)}`,
        InstanceId: `i-0${hex16(i)}`,
      };
      attached++;
    }
    state.NetworkInterfaces.push(eni);
  }
  // A group name as long as EC2 allows (255), in EC2's characters for VPC group names.
  const reporting = state.SecurityGroups.find((group) => group.GroupName === 'reporting');
  if (reporting) reporting.GroupName = `reporting ${'(legacy) '.repeat(30)}`.slice(0, 255);
  return { state, attached, detached };
}

function bytes(text: string): number {
  return Buffer.byteLength(text, 'utf8');
}

/** The checks every notice passes: size, no raw control/bidi/invisible character, each line escaped. */
function expectWithinLimitsAndEscaped(notice: Notification): string[] {
  expect(bytes(notice.message)).toBeLessThan(SNS_LIMIT);
  expect(notice.subject.length).toBeLessThan(100);
  expect(notice.subject).toMatch(/^[\x20-\x7e]+$/);
  const lines = notice.message.split('\n');
  for (const line of lines) expect(hasUnsafeCharacters(line), JSON.stringify(line)).toBe(false);
  for (const text of HOSTILE) {
    if (hasUnsafeCharacters(text) || text.includes('"')) expect(notice.message).not.toContain(text);
  }
  return lines;
}

describe('notices at 10,000 interfaces (remediate and roll back, real definitions)', () => {
  it(
    'approval and completion: links first, by owner, bounded, hostile text escaped, all under 256 KiB',
    async () => {
      const { state, attached, detached } = largeHostileState(10_000);
      const session = createSession(state, { settings: { linkBaseUrl: LINK_BASE } });
      // 2,500 interfaces are deleted while the run waits: 2,500 notes for the completion notice.
      const deleted = state.NetworkInterfaces.slice(-2500).map((eni) => eni.NetworkInterfaceId ?? '');
      const result = await session.remediate({
        executionName: 'rem-notices-10k',
        onApproval(simulator) {
          for (const id of deleted) simulator.removeInterface(id);
        },
      });
      expect(result.status, JSON.stringify(result.error ?? {})).toBe('SUCCEEDED');
      const [approval, completion] = session.notifications;
      expect(session.notifications.map((notice) => notice.subject)).toEqual([
        `Approve EC2.2 remediation of ${DEFAULT} (111122223333 us-east-1)`,
        `EC2.2 remediated: ${DEFAULT}`,
      ]);
      if (!approval || !completion) throw new Error('two notices expected');

      // The approval request: the link right after the summary, then the host it goes to.
      const lines = expectWithinLimitsAndEscaped(approval);
      expect(lines[0]).toBe(`Remediation rem-notices-10k of ${DEFAULT} is waiting for your approval.`);
      expect(lines[1]).toMatch(
        /^Review and decide: https:\/\/a1b2c3d4e5\.execute-api\.us-east-1\.amazonaws\.com\/prod\/approvals\/[\w-]{22,}$/,
      );
      expect(lines[2]).toBe(
        `Links in this message go to ${LINK_HOST} (this deployment's approval API) and nowhere else.`,
      );
      // Nothing else in the message looks like a line of ours with a link: the hostile "fake line" stays in its quotes.
      expect(lines.filter((line) => line.startsWith('Review and decide'))).toHaveLength(1);
      for (const line of lines.filter((candidate) => candidate.includes('evil.example'))) {
        expect(line).toMatch(/^ {2}- eni-0[0-9a-f]{16}: network interface not attached to an instance \("web\\nReview/);
      }

      // Interfaces: counted by owner, the first 20 listed, the rest on the page.
      const total = 11 + 10_000;
      expect(lines).toContain(`Used by ${total} network interface(s):`);
      const byOwner = lines.find((line) => line.startsWith('  By owner: ')) ?? '';
      const counts = Object.fromEntries(
        byOwner
          .replace(/^ {2}By owner: |\.$/g, '')
          .split(', ')
          .map((part) => [part.replace(/ \d+$/, ''), Number(/\d+$/.exec(part)?.[0])]),
      );
      expect(counts).toEqual({
        ...FIXTURE_OWNERS,
        'EC2 instance': FIXTURE_OWNERS['EC2 instance'] + attached,
        'not attached': detached,
      });
      const section = lines.slice(lines.indexOf(`Used by ${total} network interface(s):`) + 2);
      const listed = section.slice(
        0,
        section.findIndex((line) => !line.startsWith('  - ')),
      );
      expect(listed).toHaveLength(21);
      expect(listed.slice(0, 20).every((line) => /^ {2}- eni-0[0-9a-f]{16}: /.test(line))).toBe(true);
      expect(listed[20]).toBe(`  - and ${total - 20} more — the full plan is on the approval page`);
      // The hostile descriptions, listed first, are quoted with every dangerous character escaped.
      const words = listed.join('\n');
      for (const escaped of [
        '\\u{202E}',
        '\\u{2066}',
        '\\u{200B}',
        '\\u{FEFF}',
        '\\u{001B}[2J',
        '\\r',
        '\\u{E0041}',
        '\\u{3164}',
      ]) {
        expect(words).toContain(escaped);
      }
      expect(words).toContain('("web\\") approved by SecOps (\\"x")');

      // The page behind the link still shows every interface, with the same characters escaped.
      const text = await session.deps.store.get(snapshotKey('rem-notices-10k'));
      const { plan } = openSnapshot(text ?? '', { remediationId: 'rem-notices-10k' });
      const page = approvalPage({ plan, expiresAt: 2_000_000_000, now: 1_900_000_000, csrfToken: 'csrf' }).body;
      const shown = new Set(page.match(/eni-0[0-9a-f]{16}/g));
      expect(plan.moves.filter((move) => !shown.has(move.networkInterfaceId))).toEqual([]);
      expect(hasUnsafeCharacters(page.replace(/\n/g, ''))).toBe(false);
      expect(page).toContain('\\u{202E}');

      // The completion notice: the rollback link right after the summary, 2,500 notes bounded.
      const done = expectWithinLimitsAndEscaped(completion);
      expect(done[0]).toBe(`EC2.2 remediated: ${DEFAULT} in 111122223333 us-east-1.`);
      expect(done[1]).toMatch(
        /^Roll back with one click \(link valid until [0-9T:.-]+Z\): https:\/\/a1b2c3d4e5\.execute-api\.us-east-1\.amazonaws\.com\/prod\/rollbacks\/[\w-]{22,}$/,
      );
      expect(done[2]).toBe(
        `Links in this message go to ${LINK_HOST} (this deployment's approval API) and nowhere else.`,
      );
      expect(done).toContain('Found during the approval wait (2500):');
      expect(done).toContain('  - and 2480 more — the full plan is on the rollback page');

      // And SNS publishes each of them whole: nothing for the adapter to cut.
      const sns = mockClient(SNSClient);
      sns.on(PublishCommand).resolves({ MessageId: 'm' });
      const notifier = new SnsNotifier(new SNSClient({ region: 'us-east-1' }), 'arn:aws:sns:us-east-1:111122223333:t');
      for (const notice of session.notifications) await notifier.publish(notice);
      expect(sns.commandCalls(PublishCommand).map((call) => call.args[0].input.Message)).toEqual(
        session.notifications.map((notice) => notice.message),
      );
      sns.restore();
    },
    LARGE_RUN_TIMEOUT_MS,
  );

  it(
    'blocked: 10,000 reasons (unmovable owners with hostile descriptions) in a bounded notice',
    async () => {
      const state = generateVpc({ interfaces: 10_000, seed: 3 });
      state.NetworkInterfaces.forEach((eni, i) => {
        eni.RequesterManaged = true;
        eni.RequesterId = '999988887777';
        delete eni.Attachment;
        // Half NAT gateways (no security groups at all), half interfaces of a service this version cannot move.
        if (i % 2 === 0) {
          eni.InterfaceType = 'nat_gateway';
          eni.Description = `Interface for NAT Gateway nat-0${hex16(i)}`;
        } else {
          eni.InterfaceType = 'interface';
          eni.Description = HOSTILE[i % HOSTILE.length] ?? '';
        }
      });
      const session = createSession(state, { settings: { linkBaseUrl: LINK_BASE } });
      const result = await session.remediate({ executionName: 'rem-notices-blocked' });
      expect(result.status).toBe('SUCCEEDED');
      expect(session.mutatingCallCount()).toBe(0);
      expect(session.notifications).toHaveLength(1);
      const [blocked] = session.notifications as [Notification];
      expect(blocked.subject).toMatch(/^EC2\.2 remediation blocked, nothing changed: sg-/);
      const lines = expectWithinLimitsAndEscaped(blocked);
      const why = lines.findIndex((line) => /^Why nothing was changed \(\d+\):$/.test(line));
      expect(why).toBeGreaterThan(0);
      const reasons = Number(/\((\d+)\)/.exec(lines[why] ?? '')?.[1]);
      expect(reasons).toBeGreaterThanOrEqual(10_000);
      expect(lines[why + 21]).toBe(
        `  - and ${reasons - 20} more — the full plan is in the snapshot snapshots/rem-notices-blocked.json`,
      );
      // Listed once: the plan's own list of reasons is not repeated below.
      expect(lines).toContain(`BLOCKED — nothing will be changed (${reasons} reason(s), listed above).`);
    },
    LARGE_RUN_TIMEOUT_MS,
  );
});
