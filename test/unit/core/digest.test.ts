/** Approval digests, the pure part: the window a time falls in, the order by account and region, the notice. */
import { describe, expect, it } from 'vitest';
import { Ec2Simulator } from '../../../handlers/adapters/local/ec2-simulator.ts';
import {
  byPlace,
  type DigestLine,
  digestNotice,
  digestWindowStart,
  planCounts,
} from '../../../handlers/core/digest.ts';
import { SNS_MAX_MESSAGE_BYTES } from '../../../handlers/core/notices.ts';
import { type Plan, planRemediation } from '../../../handlers/core/plan.ts';
import { readInventory } from '../../../handlers/steps/discover.ts';
import { defaultGroupOf, generateVpc } from '../../support/generate-vpc.ts';

async function planOf(interfaces: number, accountId: string, region: string, remediationId: string): Promise<Plan> {
  const state = generateVpc({ interfaces, seed: 7, accountId, region });
  const simulator = Ec2Simulator.fromState(state);
  const target = { accountId, region, groupId: defaultGroupOf(state) };
  return planRemediation(await readInventory(simulator, target), { remediationId, batchSize: 500 });
}

const approvalLine = (plan: Plan, expiresAt: number): DigestLine => ({
  entry: { kind: 'approval', remediationId: plan.remediationId, approvalId: 'x'.repeat(24) },
  accountId: plan.accountId,
  region: plan.region,
  groupId: plan.defaultGroupId,
  plan,
  state: 'pending',
  expiresAt,
});

describe('digest windows', () => {
  it('are aligned on multiples of their length; a bad length is refused', () => {
    // 1,000,000,200 = 300 × 3,333,334: a window starts there.
    expect(digestWindowStart(1_000_000_199, 300)).toBe(999_999_900);
    expect(digestWindowStart(1_000_000_200, 300)).toBe(1_000_000_200);
    expect(digestWindowStart(1_000_000_499, 300)).toBe(1_000_000_200);
    expect(() => digestWindowStart(1, 0)).toThrow(RangeError);
    expect(() => digestWindowStart(1, 1.5)).toThrow(RangeError);
  });
});

describe('the digest notice', () => {
  it('lists the runs by account then region, with what each plan does, one link, and the first deadline', async () => {
    const a = await planOf(3, '222222222222', 'us-east-1', 'rem-a');
    const b = await planOf(2, '111111111111', 'eu-west-1', 'rem-b');
    const c = await planOf(1, '111111111111', 'ap-south-1', 'rem-c');
    const lines = [approvalLine(a, 2_000_000_000), approvalLine(b, 1_900_000_000), approvalLine(c, 2_100_000_000)];
    expect(byPlace(lines).map((place) => `${place.accountId} ${place.region}`)).toEqual([
      '111111111111 ap-south-1',
      '111111111111 eu-west-1',
      '222222222222 us-east-1',
    ]);
    expect(planCounts(a)).toMatch(
      /^3 interface\(s\) moved to a copy \(EC2 instance 3\), \d+ reference\(s\) in other groups, 2 rule\(s\) revoked$/,
    );
    const notice = digestNotice(lines, { digestId: 'D'.repeat(24), expiresAt: 2_100_000_000 }, 'https://x.example/');
    expect(notice.subject).toBe('Approve 3 EC2.2 remediation(s) in 2 account(s) (3 group(s) in this batch)');
    const message = notice.message.split('\n');
    expect(message[1]).toBe(`Review and decide: https://x.example/digests/${'D'.repeat(24)}`);
    expect(notice.message).toContain(`(the first ${new Date(1_900_000_000_000).toISOString()})`);
    expect(notice.message.indexOf('Account 111111111111, ap-south-1')).toBeLessThan(
      notice.message.indexOf('Account 222222222222, us-east-1'),
    );
    // The approval ids stay in the ledger: the notice carries only the digest's id.
    expect(notice.message).not.toContain('x'.repeat(24));
  });

  it('cleans account text in the reasons, and stays under SNS’s limit at thousands of runs', async () => {
    const plan = await planOf(1, '111111111111', 'us-east-1', 'rem-h');
    const blocked: DigestLine = {
      entry: {
        kind: 'outcome',
        event: 'blocked',
        remediationId: 'rem-h',
        accountId: plan.accountId,
        region: plan.region,
        groupId: plan.defaultGroupId,
        reasons: ['eni-1 belongs to "evil\u202Egnp.exe\u0007": no mover'],
      },
      accountId: plan.accountId,
      region: plan.region,
      groupId: plan.defaultGroupId,
      plan,
      state: 'blocked',
    };
    const many = Array.from({ length: 5000 }, () => blocked);
    const notice = digestNotice(many, { digestId: 'D'.repeat(24), expiresAt: 1 }, undefined);
    expect(notice.message).not.toContain('\u202E');
    expect(notice.message).not.toContain('\u0007');
    expect(notice.message).toContain('\\u{202E}');
    expect(Buffer.byteLength(notice.message)).toBeLessThan(SNS_MAX_MESSAGE_BYTES);
    expect(notice.subject).toBe('EC2.2 batch: 5000 blocked, nothing changed');
    expect(notice.message).toContain('This message has no links');
  });
});
