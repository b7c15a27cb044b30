/**
 * The "Tighten EC2.2 copy" custom action end to end, locally: the dispatcher (handlers/steps/dispatch-tighten.ts)
 * reads the action's event on a remediated group's finding, finds the copy through the note and the ledger, and the
 * Tighten machine it starts runs through the real definition (state-machine/tighten.asl.json) on that copy.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { ExecutionResult } from '../../cli/runner.ts';
import type { RemediationStarter } from '../../handlers/ports.ts';
import { dispatchTighten } from '../../handlers/steps/dispatch-tighten.ts';
import { createSession, disposeAll, firstDefaultGroupId } from '../support/harness.ts';
import { memoryFinder, tightenScenario } from '../support/tighten.ts';

afterEach(disposeAll);

const FIXTURE = join(import.meta.dirname, '../fixtures/events/ok-custom-action.json');

describe('the "Tighten EC2.2 copy" action through the dispatcher and the Tighten machine', () => {
  it("tightens the copy of the group's remediation, once for two findings of the group, then nothing for a retry", async () => {
    const scenario = tightenScenario();
    const s = createSession(scenario.state, { flowLogs: memoryFinder(scenario.lines) });
    const { accountId, region } = s.simulator;
    const defaultId = firstDefaultGroupId(scenario.state);
    await s.deps.ledger.putRemediation({
      remediationId: 'rem-action-1',
      accountId,
      region,
      groupId: defaultId,
      status: 'stripped',
      replacementGroupId: scenario.copyId,
      updatedAt: '2026-11-01T00:00:00Z',
    });
    // The sample custom action event, on this account's default group, after its remediation: PASSED, RESOLVED, noted.
    const text = JSON.stringify(JSON.parse(readFileSync(FIXTURE, 'utf8')).input)
      .replaceAll('111122223333', accountId)
      .replaceAll('us-east-1', region)
      .replaceAll('sg-07d2e3f4a5b6c7d8e', defaultId);
    const event = JSON.parse(text);
    const finding = event.detail.findings[0];
    finding.Compliance.Status = 'PASSED';
    finding.Workflow = { Status: 'RESOLVED' };
    finding.Note = {
      Text: 'Closed by default-sg-remediation rem-action-1: members moved to a copy, default group stripped.',
      UpdatedBy: 'default-sg-remediation',
      UpdatedAt: '2026-11-01T00:00:00Z',
    };
    event.detail.findings = [finding, structuredClone(finding)];

    const results: ExecutionResult[] = [];
    const names = new Set<string>();
    // Step Functions as the dispatcher sees it, each start running the Tighten machine locally on the input's group.
    const starter: RemediationStarter = {
      async start(name, input) {
        const executionArn = `arn:aws:states:${region}:${accountId}:execution:Tighten:${name}`;
        if (names.has(name)) return { executionArn, alreadyStarted: true };
        names.add(name);
        const target = (input as { target: { accountId: string; region: string; groupId: string } }).target;
        expect(target).toEqual({ accountId, region, groupId: scenario.copyId });
        results.push(await s.tighten(target.groupId));
        return { executionArn, alreadyStarted: false };
      },
    };
    const output = await dispatchTighten(event, s.deps, starter);
    expect(output).toMatchObject({ outcome: 'dispatched', skipped: [], runs: [{ findings: [0, 1] }] });
    expect(results).toHaveLength(1);
    expect(results[0]?.status, results[0]?.cause).toBe('SUCCEEDED');
    expect(results[0]?.output?.outcome).toBe('tightened');
    const retry = await dispatchTighten(event, s.deps, starter);
    expect(retry.outcome === 'dispatched' && retry.runs[0]?.alreadyStarted).toBe(true);
    expect(results).toHaveLength(1);
  });
});
