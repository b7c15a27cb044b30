/**
 * The dispatcher of the "Remediate EC2.2" custom action (handlers/steps/dispatch.ts): one remediation execution per
 * distinct group of the selected findings, each with a one-finding event that ParseFinding takes; the same event
 * delivered twice starts nothing new; a refused batch starts nothing and tells the team.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseRemediationInput } from '../../handlers/core/finding.ts';
import type { Notification, RemediationStarter } from '../../handlers/ports.ts';
import type { Deps } from '../../handlers/steps/deps.ts';
import { dispatchFindings } from '../../handlers/steps/dispatch.ts';

const FIXTURES = join(import.meta.dirname, '../fixtures/events');
// biome-ignore lint/suspicious/noExplicitAny: the tests build deep, untyped event JSON
const input = (name: string): any => JSON.parse(readFileSync(join(FIXTURES, name), 'utf8')).input;

/** Step Functions as far as the dispatcher sees it: a name starts once; a second start answers the first. */
function fakeStepFunctions() {
  const executions = new Map<string, unknown>();
  const calls: { name: string; input: unknown }[] = [];
  const starter: RemediationStarter = {
    async start(name, runInput) {
      calls.push({ name, input: runInput });
      const executionArn = `arn:aws:states:us-east-1:111122223333:execution:Remediation:${name}`;
      if (executions.has(name)) return { executionArn, alreadyStarted: true };
      executions.set(name, runInput);
      return { executionArn, alreadyStarted: false };
    },
  };
  return { starter, executions, calls };
}

function fakeDeps() {
  const notices: Notification[] = [];
  const log = { info: () => {}, warn: () => {}, error: () => {} };
  const deps = { notifier: { publish: async (n: Notification) => void notices.push(n) }, log } as unknown as Deps;
  return { deps, notices };
}

/** A custom action on the sample finding, on another group as well, and on the first group again. */
function threeSelected() {
  const event = input('ok-custom-action.json');
  const first = event.detail.findings[0];
  const other = structuredClone(first);
  other.Id = `${first.Id}-other`;
  other.Resources[0].Id = 'arn:aws:ec2:us-east-1:111122223333:security-group/sg-0123456789abcdef0';
  other.Resources[0].Details.AwsEc2SecurityGroup.GroupId = 'sg-0123456789abcdef0';
  event.detail.findings = [first, other, structuredClone(first)];
  return event;
}

describe('dispatchFindings', () => {
  it('starts one execution per distinct group, each with a one-finding event ParseFinding accepts', async () => {
    const sfn = fakeStepFunctions();
    const { deps, notices } = fakeDeps();
    const output = await dispatchFindings(threeSelected(), deps, sfn.starter);
    expect(output.outcome).toBe('dispatched');
    expect(sfn.calls).toHaveLength(2);
    const groups = sfn.calls.map(({ input: runInput }) => {
      const parsed = parseRemediationInput(runInput);
      return parsed.kind === 'target' ? [parsed.target.groupId, parsed.target.source] : parsed;
    });
    expect(groups).toEqual([
      ['sg-07d2e3f4a5b6c7d8e', 'custom-action'],
      ['sg-0123456789abcdef0', 'custom-action'],
    ]);
    expect(output.outcome === 'dispatched' && output.runs.map((run) => run.findings)).toEqual([[0, 2], [1]]);
    expect(sfn.calls.map((call) => call.name)).toEqual([
      expect.stringMatching(/^sg-07d2e3f4a5b6c7d8e-[0-9a-f]{24}$/),
      expect.stringMatching(/^sg-0123456789abcdef0-[0-9a-f]{24}$/),
    ]);
    expect(notices).toEqual([]);
  });

  it('the same event delivered twice starts no second run', async () => {
    const sfn = fakeStepFunctions();
    const { deps } = fakeDeps();
    const event = threeSelected();
    await dispatchFindings(event, deps, sfn.starter);
    const again = await dispatchFindings(structuredClone(event), deps, sfn.starter);
    expect(sfn.executions.size).toBe(2);
    expect(again.outcome === 'dispatched' && again.runs.every((run) => run.alreadyStarted)).toBe(true);
  });

  it('the action used again later (another event) starts new runs; the group locks keep them apart', async () => {
    const sfn = fakeStepFunctions();
    const { deps } = fakeDeps();
    await dispatchFindings(threeSelected(), deps, sfn.starter);
    await dispatchFindings({ ...threeSelected(), id: 'another-event-id' }, deps, sfn.starter);
    expect(sfn.executions.size).toBe(4);
  });

  it('a batch with an invalid finding starts nothing and tells the team which finding and why', async () => {
    const sfn = fakeStepFunctions();
    const { deps, notices } = fakeDeps();
    const event = threeSelected();
    event.detail.findings[1].Resources[0].Id = 'arn:aws:ec2:us-east-1:444455556666:security-group/sg-0123456789abcdef0';
    const output = await dispatchFindings(event, deps, sfn.starter);
    expect(output.outcome).toBe('refused');
    expect(sfn.calls).toEqual([]);
    expect(notices).toHaveLength(1);
    expect(notices[0]?.message).toContain('detail.findings[1].Resources[0].Id is in account 444455556666');
  });

  it('an OCSF finding is started as it came', async () => {
    const sfn = fakeStepFunctions();
    const { deps } = fakeDeps();
    await dispatchFindings(input('ok-ocsf-imported.json'), deps, sfn.starter);
    expect(sfn.calls).toHaveLength(1);
    expect(parseRemediationInput(sfn.calls[0]?.input)).toMatchObject({
      kind: 'target',
      target: { productArn: 'arn:aws:securityhub:us-east-1::productv2/aws/securityhub' },
    });
  });
});
