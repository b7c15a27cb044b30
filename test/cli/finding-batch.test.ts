/**
 * `--finding` with several findings (issue 13, point 2, the command line): a "Remediate EC2.2" custom action event
 * carrying several selected findings (Security Hub sends up to 20 in one event,
 * https://docs.aws.amazon.com/securityhub/latest/userguide/securityhub-cwe-integration-types.html) is planned or
 * remediated group by group, one after the other, duplicates folded, with one summary at the end; one invalid finding
 * refuses the whole batch (exit 2, naming `detail.findings[i]`) and nothing runs. Driven as a person would: files in,
 * the commands, the ledger and the simulated state read back.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Ec2State } from '../../handlers/core/ec2-shapes.ts';
import { runCli, tempDirPerTest } from '../support/cli.ts';
import { eventFixture, scenarioState } from '../support/harness.ts';
import { inTerminal } from '../support/terminal.ts';

const dir = tempDirPerTest('finding-batch-');

/** Two VPCs of account 111122223333 in us-east-1, each with its default group in use. */
const STATE = scenarioState('peered-vpc');
const [FIRST, SECOND] = STATE.SecurityGroups.filter((group) => group.GroupName === 'default').map(
  (group) => group.GroupId ?? '',
) as [string, string];

// biome-ignore lint/suspicious/noExplicitAny: the tests edit deep, untyped event JSON.
type Json = any;

/** The custom-action fixture's finding, on `groupId`. */
function findingOn(groupId: string): Json {
  const finding = structuredClone((eventFixture('ok-custom-action') as Json).detail.findings[0]);
  finding.Id = `arn:aws:securityhub:us-east-1:111122223333:security-control/EC2.2/finding/${groupId}`;
  finding.Resources[0].Id = `arn:aws:ec2:us-east-1:111122223333:security-group/${groupId}`;
  delete finding.Resources[0].Details;
  return finding;
}

function customAction(findings: Json[]): Json {
  const event = structuredClone(eventFixture('ok-custom-action') as Json);
  event.detail.findings = findings;
  return event;
}

function files(event: Json) {
  const state = join(dir(), 'vpc.json');
  const finding = join(dir(), 'event.json');
  writeFileSync(state, JSON.stringify(STATE));
  writeFileSync(finding, JSON.stringify(event));
  return { state, finding, out: join(dir(), 'after.json'), store: join(dir(), 'store') };
}

const defaultRules = (state: Ec2State, groupId: string) => {
  const group = state.SecurityGroups.find((g) => g.GroupId === groupId);
  return (group?.IpPermissions?.length ?? 0) + (group?.IpPermissionsEgress?.length ?? 0);
};

/** Both groups, the first named twice, and one finding that needs no action. */
function mixedBatch(): Json {
  const passed = findingOn(SECOND);
  passed.Compliance.Status = 'PASSED';
  return customAction([findingOn(FIRST), findingOn(SECOND), findingOn(FIRST), passed]);
}

describe('plan --finding with several findings', () => {
  it('plans each group once, says which findings were folded or skipped, one JSON object', async () => {
    const { state, finding } = files(mixedBatch());
    const run = await runCli('plan', '--state', state, '--finding', finding, '--json');
    expect(run.code, run.stdout).toBe(0);
    expect(run.json.outcome).toBe('planned');
    expect(run.json.runs.map((r: Json) => [r.groupId, r.outcome, r.findings])).toEqual([
      [FIRST, 'planned', [0, 2]],
      [SECOND, 'planned', [1]],
    ]);
    expect(run.json.skipped).toEqual([{ index: 3, reason: expect.stringContaining('PASSED') }]);
  });

  it('in words: each plan under its group, then the summary', async () => {
    const { state, finding } = files(mixedBatch());
    const run = await runCli('plan', '--state', state, '--finding', finding);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(`== ${FIRST} (111122223333 us-east-1) ==`);
    expect(run.stdout).toContain(`== ${SECOND} (111122223333 us-east-1) ==`);
    expect(run.stdout).toContain('Outcome: planned (2 group(s) from one event)');
    expect(run.stdout).toContain('findings [0], [2] name this group: one run');
    expect(run.stdout).toContain('detail.findings[3]: skipped');
  });
});

describe('remediate --finding with several findings', () => {
  it('runs each group once, one after the other; one summary with each rollback command, which works', async () => {
    const { state, finding, out, store } = files(mixedBatch());
    const run = await runCli(
      'remediate',
      '--state',
      state,
      '--finding',
      finding,
      '--approve',
      'auto',
      '--store',
      store,
      '--out',
      out,
      '--json',
    );
    expect(run.code, run.stdout).toBe(0);
    expect(run.json.outcome).toBe('remediated');
    expect(run.json.runs.map((r: Json) => [r.groupId, r.outcome])).toEqual([
      [FIRST, 'remediated'],
      [SECOND, 'remediated'],
    ]);
    const after = JSON.parse(readFileSync(out, 'utf8')) as Ec2State;
    expect(defaultRules(after, FIRST)).toBe(0);
    expect(defaultRules(after, SECOND)).toBe(0);
    // The group named twice ran once: two remediations in the ledger.
    const list = await runCli('list', '--store', store, '--json');
    expect(list.json.remediations.map((r: Json) => r.groupId).sort()).toEqual([FIRST, SECOND].sort());
    // The summary's rollback command, typed as printed, puts the first group back.
    const command: string = run.json.runs[0].rollbackCommand;
    expect(command).toContain(`--state ${out}`);
    const args = command.replace(/^npx default-sg-remediation /, '').split(' ');
    const rollback = await runCli(...args, '--out', join(dir(), 'restored.json'), '--json');
    expect(rollback.json.outcome, JSON.stringify(rollback.json)).toBe('rolled-back');
    const restored = JSON.parse(readFileSync(join(dir(), 'restored.json'), 'utf8')) as Ec2State;
    expect(defaultRules(restored, FIRST)).toBe(defaultRules(STATE, FIRST));
    expect(defaultRules(restored, SECOND)).toBe(0);
  });

  it('in words: the summary names each group, its outcome and how to undo it', async () => {
    const { state, finding, out, store } = files(customAction([findingOn(FIRST), findingOn(SECOND)]));
    const run = await runCli(
      'remediate',
      '--state',
      state,
      '--finding',
      finding,
      '--approve',
      'auto',
      '--store',
      store,
      '--out',
      out,
    );
    expect(run.code).toBe(0);
    const summary = run.stdout.slice(run.stdout.lastIndexOf('Outcome:'));
    expect(summary).toContain('Outcome: remediated (2 group(s) from one event)');
    expect(summary).toMatch(new RegExp(`${FIRST} \\(111122223333 us-east-1\\): remediated \\(remediation rem-`));
    expect(summary.match(/Undo it with: npx default-sg-remediation rollback --remediation rem-/g)).toHaveLength(2);
  });

  it('a batch naming only one group twice runs it once', async () => {
    const { state, finding, out, store } = files(customAction([findingOn(FIRST), findingOn(FIRST)]));
    const run = await runCli(
      'remediate',
      '--state',
      state,
      '--finding',
      finding,
      '--approve',
      'auto',
      '--store',
      store,
      '--out',
      out,
      '--json',
    );
    expect(run.json.runs).toHaveLength(1);
    expect(run.json.runs[0]).toMatchObject({ groupId: FIRST, outcome: 'remediated', findings: [0, 1] });
    const list = await runCli('list', '--store', store, '--json');
    expect(list.json.remediations).toHaveLength(1);
  });

  it('one invalid finding refuses the batch: exit 2 naming detail.findings[i], nothing run, nothing written', async () => {
    const bad = findingOn(SECOND);
    bad.Resources[0].Id = 'arn:aws:ec2:us-east-1:111122223333:security-group/sg-NOT-A-GROUP';
    const { state, finding, out, store } = files(customAction([findingOn(FIRST), bad]));
    for (const command of ['plan', 'remediate']) {
      const run = await runCli(
        command,
        '--state',
        state,
        '--finding',
        finding,
        ...(command === 'remediate' ? ['--approve', 'auto', '--store', store, '--out', out] : []),
        '--json',
      );
      expect(run.code, command).toBe(2);
      expect(run.json.error).toBe('InvalidInput');
      expect(run.json.reasons.join(' ')).toContain('detail.findings[1]');
    }
    expect(existsSync(out)).toBe(false);
    expect(existsSync(store)).toBe(false);
    expect(JSON.parse(readFileSync(state, 'utf8'))).toEqual(STATE);
  });

  it('more findings than Security Hub sends (20) is refused', async () => {
    const { state, finding } = files(customAction(Array.from({ length: 21 }, () => findingOn(FIRST))));
    const run = await runCli('plan', '--state', state, '--finding', finding, '--json');
    expect(run.code).toBe(2);
    expect(run.json.reasons.join(' ')).toContain('over the 20');
  });
});

describe('a batch in a terminal', () => {
  it('the first group approved at its prompt, Ctrl-C at the second: that one rolled back, the summary says both', async () => {
    const { state, finding, out, store } = files(customAction([findingOn(FIRST), findingOn(SECOND)]));
    const session = inTerminal([
      'remediate',
      '--state',
      state,
      '--finding',
      finding,
      '--approve',
      'prompt',
      '--store',
      store,
      '--out',
      out,
    ]);
    await session.waitFor('Type "approve"');
    session.type('approve\r');
    await session.waitFor(`== ${SECOND}`);
    await session.waitFor(/Type "approve"[\s\S]*Type "approve"/);
    session.type('\x03');
    expect(await session.exited()).toBe(130);
    const summary = session.screen().slice(session.screen().lastIndexOf('Outcome:'));
    expect(summary).toMatch(new RegExp(`${FIRST} \\(111122223333 us-east-1\\): remediated`));
    expect(summary).toMatch(new RegExp(`${SECOND} \\(111122223333 us-east-1\\): failed`));
    const after = JSON.parse(readFileSync(out, 'utf8')) as Ec2State;
    expect(defaultRules(after, FIRST)).toBe(0);
    expect(defaultRules(after, SECOND)).toBe(defaultRules(STATE, SECOND));
    const ledger = JSON.parse(readFileSync(join(store, 'ledger.json'), 'utf8'));
    expect(ledger.locks).toEqual({});
  });

  it('Ctrl-C at the first prompt: that group rolled back, the second not started', async () => {
    const { state, finding, out, store } = files(customAction([findingOn(FIRST), findingOn(SECOND)]));
    const session = inTerminal([
      'remediate',
      '--state',
      state,
      '--finding',
      finding,
      '--approve',
      'prompt',
      '--store',
      store,
      '--out',
      out,
    ]);
    await session.waitFor('Type "approve"');
    session.type('\x03');
    expect(await session.exited()).toBe(130);
    expect(session.screen()).toContain(`${SECOND}: not started (the process was ending)`);
    expect(session.screen()).not.toContain(`== ${SECOND}`);
    expect(JSON.parse(readFileSync(out, 'utf8'))).toEqual(STATE);
    const ledger = JSON.parse(readFileSync(join(store, 'ledger.json'), 'utf8'));
    expect(Object.keys(ledger.remediations)).toHaveLength(1);
    expect(ledger.locks).toEqual({});
  });
});
