/**
 * Every notice the steps send fits SNS Publish — a message of at most 262,144 bytes and a Subject of less than 100
 * characters without line breaks or control characters (https://docs.aws.amazon.com/sns/latest/api/API_Publish.html)
 * — with its link in the first lines, whatever the size of the VPC and however long the reasons, the error cause or
 * the list of interfaces deleted since.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createLocalDeps } from '../../../cli/deps.ts';
import { SnsNotifier } from '../../../handlers/adapters/aws/sns-notifier.ts';
import { Ec2Simulator } from '../../../handlers/adapters/local/ec2-simulator.ts';
import { type Inventory, type Plan, planRemediation } from '../../../handlers/core/plan.ts';
import { sealSnapshot, snapshotKey } from '../../../handlers/core/snapshot.ts';
import type { Notification } from '../../../handlers/ports.ts';
import { requestApproval } from '../../../handlers/steps/approval.ts';
import { readInventory } from '../../../handlers/steps/discover.ts';
import { notify } from '../../../handlers/steps/report.ts';
import { defaultGroupOf, generateVpc } from '../../support/generate-vpc.ts';

const SNS_LIMIT = 262_144;
const LINK_BASE = 'https://a1b2c3d4e5.execute-api.us-east-1.amazonaws.com/prod';
const REMEDIATION = 'rem-notices-1';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

interface Vpc {
  simulator: Ec2Simulator;
  target: { accountId: string; region: string; groupId: string };
  inventory: Inventory;
  plan: Plan;
}

async function vpcOf(interfaces: number): Promise<Vpc> {
  const state = generateVpc({ interfaces, seed: 1 });
  const simulator = Ec2Simulator.fromState(state);
  const target = { accountId: simulator.accountId, region: simulator.region, groupId: defaultGroupOf(state) };
  const inventory = await readInventory(simulator, target);
  return { simulator, target, inventory, plan: planRemediation(inventory, { remediationId: REMEDIATION }) };
}

/** Deps with the snapshot of `vpc` stored, collecting what the notifier is given. */
async function depsFor(vpc: Vpc, linkBaseUrl?: string) {
  const dir = mkdtempSync(join(tmpdir(), 'dsr-notices-'));
  dirs.push(dir);
  const sent: Notification[] = [];
  const deps = createLocalDeps({
    simulator: vpc.simulator,
    storeDir: dir,
    notifier: { publish: async (notice) => void sent.push(notice) },
    settings: linkBaseUrl ? { linkBaseUrl } : {},
  });
  const snapshot = sealSnapshot({
    remediationId: REMEDIATION,
    createdAt: '2024-05-01T12:00:00.000Z',
    inventory: vpc.inventory,
    plan: vpc.plan,
  });
  await deps.store.put(snapshotKey(REMEDIATION), JSON.stringify(snapshot));
  return { deps, sent };
}

/** What SNS would be asked to publish for `notice`, through the real adapter. */
async function published(notice: Notification): Promise<{ Subject?: string; Message?: string }> {
  const sns = mockClient(SNSClient);
  try {
    sns.on(PublishCommand).resolves({ MessageId: 'm-1' });
    await new SnsNotifier(new SNSClient({ region: 'us-east-1' }), 'arn:aws:sns:us-east-1:111122223333:t').publish(
      notice,
    );
    return sns.commandCalls(PublishCommand)[0]?.args[0].input ?? {};
  } finally {
    sns.restore();
  }
}

function bytes(text: string): number {
  return Buffer.byteLength(text, 'utf8');
}

describe('the approval request', () => {
  it('at 5,000 interfaces is under SNS’s limit as sent, and SNS gets its link whole', async () => {
    const vpc = await vpcOf(5000);
    const { deps, sent } = await depsFor(vpc, LINK_BASE);
    const { approvalId } = await requestApproval(
      { remediationId: REMEDIATION, target: vpc.target, taskToken: 't' },
      deps,
    );
    const [notice] = sent as [Notification];
    const link = `${LINK_BASE}/approvals/${approvalId}`;
    expect(bytes(notice.message)).toBeLessThan(SNS_LIMIT);
    const lines = notice.message.split('\n');
    expect(lines.slice(0, 3).some((line) => line.endsWith(link))).toBe(true);
    const input = await published(notice);
    expect(input.Message).toContain(link);
    expect(input.Message).not.toContain('[message truncated]');
  });
});

describe('every notice at 10,000 interfaces, worst case inputs', () => {
  let vpc: Vpc;
  beforeAll(async () => {
    vpc = await vpcOf(10_000);
  });

  const target = () => vpc.target;
  /** Step Functions allows a Cause of up to 32,768 characters: one full of account text. */
  const hugeCause = () =>
    JSON.stringify({
      errorType: 'DriftDetected',
      errorMessage: `${'sg-0abc "\u202Eevil\u202C" changed; '.repeat(1200)}`.slice(0, 32_000),
    });
  const manyReasons = (count: number, text: string) =>
    Array.from({ length: count }, (_, i) => `${text} #${i} ${'é'.repeat(400)}`);

  const cases: [string, () => Record<string, unknown>][] = [
    ['blocked', () => ({ reasons: manyReasons(10_000, 'eni-0123 cannot be moved') })],
    ['remediated', () => ({ reasons: manyReasons(10_000, 'eni-0123 joined the default group during the wait') })],
    [
      'rolled-back',
      () => ({ reasons: Array.from({ length: 10_000 }, (_, i) => `eni-0${String(i).padStart(16, '0')}`) }),
    ],
    ['failed', () => ({ error: { Error: 'DriftDetected', Cause: hugeCause() } })],
    ['rejected', () => ({})],
  ];

  it.each(cases)('%s: under the limit, summary first, subject as SNS takes it', async (event, extra) => {
    const { deps, sent } = await depsFor(vpc, LINK_BASE);
    await notify({ remediationId: REMEDIATION, target: target(), event, ...extra() }, deps);
    const [notice] = sent as [Notification];
    expect(bytes(notice.message)).toBeLessThan(SNS_LIMIT);
    const lines = notice.message.split('\n');
    expect(lines[0]).toMatch(new RegExp(`: ${vpc.target.groupId} in 111122223333 us-east-1\\.$`));
    const input = await published(notice);
    expect(input.Message).toBe(notice.message);
    expect((input.Subject ?? '').length).toBeLessThan(100);
    expect(input.Subject).toMatch(/^[\x20-\x7e]+$/);
    if (event === 'remediated') {
      expect(lines[1]).toMatch(
        /^Roll back with one click \(link valid until .+\): https:\/\/a1b2c3d4e5\.execute-api\.us-east-1\.amazonaws\.com\/prod\/rollbacks\/[\w-]+$/,
      );
    }
    // No bidi control from the cause or the reasons reaches the message.
    expect(notice.message).not.toMatch(/[\u202A-\u202E\u2066-\u2069]/);
  });
});
