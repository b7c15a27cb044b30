/**
 * The dispatcher of the "Tighten EC2.2 copy" custom action (handlers/steps/dispatch-tighten.ts): on findings of
 * remediated default groups, one tighten execution per group, on the copy of the remediation the finding's note names
 * (checked against the ledger); duplicates folded; the same event twice starts nothing new; a group never remediated
 * is skipped with the reason in one notice; an invalid batch starts nothing and tells the team.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Notification, RemediationRecord, RemediationStarter } from '../../handlers/ports.ts';
import type { Deps } from '../../handlers/steps/deps.ts';
import { dispatchTighten } from '../../handlers/steps/dispatch-tighten.ts';

const FIXTURES = join(import.meta.dirname, '../fixtures/events');
// biome-ignore lint/suspicious/noExplicitAny: the tests build deep, untyped event JSON
const input = (name: string): any => JSON.parse(readFileSync(join(FIXTURES, name), 'utf8')).input;

function fakeStepFunctions() {
  const executions = new Map<string, unknown>();
  const calls: { name: string; input: unknown }[] = [];
  const starter: RemediationStarter = {
    async start(name, runInput) {
      calls.push({ name, input: runInput });
      const executionArn = `arn:aws:states:us-east-1:111122223333:execution:Tighten:${name}`;
      if (executions.has(name)) return { executionArn, alreadyStarted: true };
      executions.set(name, runInput);
      return { executionArn, alreadyStarted: false };
    },
  };
  return { starter, calls };
}

function fakeDeps(records: RemediationRecord[]) {
  const notices: Notification[] = [];
  const log = { info: () => {}, warn: () => {}, error: () => {} };
  const ledger = {
    getRemediation: async (id: string) => records.find((record) => record.remediationId === id),
  };
  const deps = {
    notifier: { publish: async (n: Notification) => void notices.push(n) },
    log,
    ledger,
  } as unknown as Deps;
  return { deps, notices };
}

const REMEDIATED = 'rem-20261201-abc123';
/** The note UpdateFinding leaves (handlers/steps/report.ts NOTES.remediated). */
const note = (id: string) => ({
  Text: `Closed by default-sg-remediation ${id}: members moved to a copy, default group stripped. Roll back with the "Roll back EC2.2" action or: npm run cli -- rollback --remediation ${id}`,
  UpdatedBy: 'default-sg-remediation',
  UpdatedAt: '2026-12-01T10:00:00Z',
});

/** The sample custom action on a remediated group (PASSED, RESOLVED, with the note), twice, and on another group. */
function selected() {
  const event = input('ok-custom-action.json');
  const first = event.detail.findings[0];
  first.Compliance.Status = 'PASSED';
  first.Workflow = { Status: 'RESOLVED' };
  first.Note = note(REMEDIATED);
  const other = structuredClone(first);
  other.Id = `${first.Id}-other`;
  other.Resources[0].Id = 'arn:aws:ec2:us-east-1:111122223333:security-group/sg-0123456789abcdef0';
  other.Resources[0].Details.AwsEc2SecurityGroup.GroupId = 'sg-0123456789abcdef0';
  delete other.Note;
  event.detail.findings = [first, structuredClone(first), other];
  return event;
}

function record(overrides: Partial<RemediationRecord> = {}): RemediationRecord {
  const finding = input('ok-custom-action.json').detail.findings[0];
  return {
    remediationId: REMEDIATED,
    accountId: finding.AwsAccountId,
    region: finding.Region,
    groupId: finding.Resources[0].Details.AwsEc2SecurityGroup.GroupId,
    status: 'stripped',
    replacementGroupId: 'sg-0fedcba9876543210',
    updatedAt: '2026-12-01T10:00:00Z',
    ...overrides,
  };
}

describe('dispatchTighten', () => {
  it("starts the tighten machine once on the remediation's copy; a group never remediated is skipped, said in one notice", async () => {
    const sfn = fakeStepFunctions();
    const { deps, notices } = fakeDeps([record()]);
    const event = selected();
    const output = await dispatchTighten(event, deps, sfn.starter);
    expect(sfn.calls).toEqual([
      {
        name: expect.stringMatching(/^tgt-[0-9a-f]{24}$/),
        input: { target: { accountId: record().accountId, region: record().region, groupId: 'sg-0fedcba9876543210' } },
      },
    ]);
    expect(output).toMatchObject({
      outcome: 'dispatched',
      runs: [{ remediationId: REMEDIATED, copyGroupId: 'sg-0fedcba9876543210', findings: [0, 1] }],
      skipped: [{ groupId: 'sg-0123456789abcdef0', findings: [2] }],
    });
    expect(notices).toHaveLength(1);
    expect(notices[0]?.message).toContain('sg-0123456789abcdef0');
    expect(notices[0]?.message).toContain('never remediated');
    // The same event again (EventBridge or Lambda retrying): the same name, no second run.
    const again = await dispatchTighten(event, deps, sfn.starter);
    expect(sfn.calls[1]?.name).toBe(sfn.calls[0]?.name);
    expect(again.outcome === 'dispatched' && again.runs[0]?.alreadyStarted).toBe(true);
  });

  it.each([
    ['the ledger has no such remediation', [] as RemediationRecord[], /has no remediation/],
    ["the note names another group's remediation", [record({ groupId: 'sg-0aaaaaaaaaaaaaaaa' })], /another group/],
    ['the remediation is not finished', [record({ status: 'replacement-created' })], /not finished/],
    ['the remediation was rolled back (its note replaced)', [record()], /never remediated|rolled back/],
  ])('skips the group when %s: nothing started', async (name, records, reason) => {
    const sfn = fakeStepFunctions();
    const { deps, notices } = fakeDeps(records);
    const event = selected();
    event.detail.findings = [event.detail.findings[0]];
    if (name.includes('rolled back'))
      event.detail.findings[0].Note.Text = `default-sg-remediation ${REMEDIATED} was rolled back: the default group is as it was.`;
    const output = await dispatchTighten(event, deps, sfn.starter);
    expect(sfn.calls).toEqual([]);
    expect(output.outcome === 'dispatched' && output.skipped[0]?.reason).toMatch(reason);
    expect(notices).toHaveLength(1);
  });

  it('refuses a batch with one invalid finding: nothing started, one notice naming it', async () => {
    const sfn = fakeStepFunctions();
    const { deps, notices } = fakeDeps([record()]);
    const event = selected();
    event.detail.findings[1].AwsAccountId = 'not-an-account';
    const output = await dispatchTighten(event, deps, sfn.starter);
    expect(output.outcome).toBe('refused');
    expect(sfn.calls).toEqual([]);
    expect(notices).toHaveLength(1);
    expect(notices[0]?.message).toContain('detail.findings[1]');
  });

  it('refuses more than 20 findings, and an event that is not a custom action', async () => {
    const sfn = fakeStepFunctions();
    const { deps, notices } = fakeDeps([record()]);
    const many = selected();
    many.detail.findings = Array.from({ length: 21 }, () => structuredClone(many.detail.findings[0]));
    expect(await dispatchTighten(many, deps, sfn.starter)).toMatchObject({
      outcome: 'refused',
      reasons: [expect.stringContaining('over the 20')],
    });
    const imported = selected();
    imported['detail-type'] = 'Security Hub Findings - Imported';
    imported.detail.findings = [imported.detail.findings[0]];
    expect((await dispatchTighten(imported, deps, sfn.starter)).outcome).toBe('refused');
    expect(sfn.calls).toEqual([]);
    expect(notices).toHaveLength(2);
  });
});
