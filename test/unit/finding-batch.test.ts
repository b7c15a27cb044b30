/**
 * Custom actions on several findings (issue 13, point 2): Security Hub sends up to 20 selected findings in one
 * "Security Hub Findings - Custom Action" event ("You can select a custom action for up to 20 findings at a time. The
 * set of findings is sent to EventBridge as a single EventBridge event",
 * https://docs.aws.amazon.com/securityhub/latest/userguide/securityhub-cwe-integration-types.html). The batch parser
 * answers one run per distinct group, folds duplicates, and refuses the whole batch when one finding is invalid.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  batchExecutionName,
  CUSTOM_ACTION_FINDINGS_LIMIT,
  parseRemediationBatch,
  parseRemediationInput,
} from '../../handlers/core/finding.ts';
import { remediationIdSchema } from '../../handlers/steps/common.ts';

const FIXTURES = join(import.meta.dirname, '../fixtures/events');
// biome-ignore lint/suspicious/noExplicitAny: the tests build deep, untyped event JSON
const input = (name: string): any => JSON.parse(readFileSync(join(FIXTURES, name), 'utf8')).input;

/** The custom-action sample's finding, on another group of the same account and Region. */
function findingOn(groupId: string) {
  const finding = structuredClone(input('ok-custom-action.json').detail.findings[0]);
  finding.Id = `arn:aws:securityhub:us-east-1:111122223333:security-control/EC2.2/finding/${groupId}`;
  finding.Resources[0].Id = `arn:aws:ec2:us-east-1:111122223333:security-group/${groupId}`;
  if (finding.Resources[0].Details?.AwsEc2SecurityGroup)
    finding.Resources[0].Details.AwsEc2SecurityGroup.GroupId = groupId;
  return finding;
}

function customAction(findings: unknown[]) {
  const event = input('ok-custom-action.json');
  event.detail.findings = findings;
  return event;
}

const group = (n: number) => `sg-${n.toString(16).padStart(17, '0')}`;

describe('parseRemediationBatch', () => {
  it('folds the two findings of bad-two-findings.json (the same group twice) into one run', () => {
    const event = input('bad-two-findings.json');
    expect(parseRemediationInput(event).kind).toBe('invalid'); // one execution still takes one finding
    const batch = parseRemediationBatch(event);
    expect(batch).toMatchObject({ kind: 'batch', skipped: [] });
    if (batch.kind !== 'batch') return;
    expect(batch.runs).toHaveLength(1);
    expect(batch.runs[0]).toMatchObject({ target: { groupId: 'sg-07d2e3f4a5b6c7d8e' }, findings: [0, 1] });
  });

  it('one run per distinct group, in the order selected; duplicates folded; PASSED skipped with its reason', () => {
    const passed = findingOn(group(3));
    passed.Compliance.Status = 'PASSED';
    const batch = parseRemediationBatch(
      customAction([findingOn(group(1)), findingOn(group(2)), findingOn(group(1)), passed, findingOn(group(2))]),
    );
    expect(batch.kind).toBe('batch');
    if (batch.kind !== 'batch') return;
    expect(batch.runs.map((run) => [run.target.groupId, run.findings])).toEqual([
      [group(1), [0, 2]],
      [group(2), [1, 4]],
    ]);
    expect(batch.runs[0]?.target).toMatchObject({ source: 'custom-action', accountId: '111122223333' });
    expect(batch.skipped).toEqual([{ index: 3, reason: expect.stringContaining('PASSED') }]);
  });

  it('the same group id in another account or Region is another group', () => {
    const other = findingOn(group(1));
    other.AwsAccountId = '444455556666';
    other.Resources[0].Id = `arn:aws:ec2:us-east-1:444455556666:security-group/${group(1)}`;
    delete other.Resources[0].Details;
    const batch = parseRemediationBatch(customAction([findingOn(group(1)), other]));
    expect(batch.kind === 'batch' && batch.runs.map((run) => run.target.accountId)).toEqual([
      '111122223333',
      '444455556666',
    ]);
  });

  it(`takes Security Hub's limit of ${CUSTOM_ACTION_FINDINGS_LIMIT} findings, and refuses more`, () => {
    const twenty = Array.from({ length: 20 }, (_, n) => findingOn(group(n + 1)));
    const batch = parseRemediationBatch(customAction(twenty));
    expect(batch.kind === 'batch' && batch.runs.length).toBe(20);
    expect(parseRemediationBatch(customAction([...twenty, findingOn(group(99))]))).toEqual({
      kind: 'invalid',
      reasons: ['detail.findings holds 21 findings, over the 20 Security Hub sends in one custom action event.'],
    });
  });

  it('one invalid finding refuses the whole batch, naming it: nothing is started', () => {
    const bad = findingOn(group(2));
    bad.ProductArn = 'arn:aws:securityhub:us-east-1:444455556666:product/444455556666/default';
    const batch = parseRemediationBatch(customAction([findingOn(group(1)), findingOn(group(3)), bad]));
    expect(batch.kind).toBe('invalid');
    if (batch.kind === 'invalid') expect(batch.reasons.join(' ')).toMatch(/^detail\.findings\[2\]\.ProductArn is not/);
  });

  it('an imported event holds one finding (Security Hub sends one per event): two are refused', () => {
    const event = input('ok-consolidated-imported.json');
    event.detail.findings.push(event.detail.findings[0]);
    expect(parseRemediationBatch(event)).toMatchObject({
      kind: 'invalid',
      reasons: [expect.stringMatching(/one finding per/)],
    });
  });

  it('takes what one execution takes: an OCSF finding, a direct input, a skip', () => {
    expect(parseRemediationBatch(input('ok-ocsf-imported.json'))).toMatchObject({
      kind: 'batch',
      runs: [{ target: { groupId: 'sg-07d2e3f4a5b6c7d8e', productArn: expect.stringContaining('productv2') } }],
    });
    expect(parseRemediationBatch(input('ok-direct.json'))).toMatchObject({ kind: 'batch', runs: [{ findings: [0] }] });
    expect(parseRemediationBatch(input('skip-ocsf-passed.json'))).toMatchObject({ kind: 'batch', runs: [] });
    expect(parseRemediationBatch('{}')).toMatchObject({ kind: 'invalid' });
  });
});

describe('batchExecutionName', () => {
  const target = { accountId: '111122223333', region: 'us-east-1', groupId: 'sg-07d2e3f4a5b6c7d8e' };
  const event = { id: '8e5622f9-d81c-4d81-612a-9319e7ee2506' };

  it('is the same for the same event and group (a redelivered event starts nothing new)', () => {
    expect(batchExecutionName(event, target)).toBe(batchExecutionName({ ...event, other: 1 }, target));
  });

  it('differs for another event, another group, another account', () => {
    const name = batchExecutionName(event, target);
    expect(batchExecutionName({ id: 'another' }, target)).not.toBe(name);
    expect(batchExecutionName(event, { ...target, groupId: 'sg-0123456789abcdef0' })).not.toBe(name);
    expect(batchExecutionName(event, { ...target, accountId: '444455556666' })).not.toBe(name);
  });

  it('is a valid execution name and remediation id, starting with the group', () => {
    const name = batchExecutionName(event, target);
    expect(name).toMatch(/^sg-07d2e3f4a5b6c7d8e-[0-9a-f]{24}$/);
    expect(remediationIdSchema.safeParse(name).success).toBe(true);
    expect(batchExecutionName({ no: 'id' }, target)).toMatch(/^sg-07d2e3f4a5b6c7d8e-[0-9a-f]{24}$/);
  });
});
