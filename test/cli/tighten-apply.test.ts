/**
 * `tighten --approve …` through the command line's entry point, on the README's sample (a generated VPC after a plain
 * copy, 30 days of its flow logs): approved, the copy is tightened with its own id and `rollback --remediation` undoes
 * it exactly; rejected, nothing changes; the state files say so.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SAMPLE_END, writeSample } from '../../cli/sample-flow-logs.ts';
import type { Ec2State } from '../../handlers/core/ec2-shapes.ts';
import { rulesOf } from '../../handlers/core/rules.ts';
import { runCli, tempDirPerTest } from '../support/cli.ts';
import { normalizeState } from '../support/harness.ts';

const dir = tempDirPerTest('tighten-apply-');

const read = (path: string) => JSON.parse(readFileSync(path, 'utf8')) as Ec2State;

describe('tighten --approve', () => {
  it('approved: tightened with its own id, the --out state holds exactly the proposal, and rollback --remediation restores the state before', async () => {
    const sample = await writeSample(dir(), 4000);
    const store = join(dir(), 'store');
    const out = join(dir(), 'tightened.json');
    const args = ['--group', sample.groupId, '--flow-logs', sample.log, '--end', SAMPLE_END];
    const run = await runCli(
      'tighten',
      '--state',
      sample.state,
      ...args,
      '--approve',
      'auto',
      '--store',
      store,
      '--out',
      out,
      '--json',
    );
    expect(run.code, run.stdout).toBe(0);
    expect(run.json).toMatchObject({ outcome: 'tightened', groupId: sample.groupId });
    expect(run.json.remediationId).toMatch(/^tgt-/);
    expect(run.json.rollbackCommand).toContain(`rollback --remediation ${run.json.remediationId}`);
    expect(run.json.observedConnectionsKept).toBeGreaterThan(0);
    expect(run.json.noLongerAllowed.length).toBeGreaterThan(0);
    const copy = read(out).SecurityGroups.find((g) => g.GroupId === sample.groupId);
    expect(rulesOf(copy ?? {}).length).toBe(run.json.rules.length);
    expect(run.json.revoke).toEqual([
      `inbound all traffic from ${sample.groupId}`,
      'outbound all traffic to 0.0.0.0/0',
    ]);

    const back = join(dir(), 'back.json');
    const rollback = await runCli(
      'rollback',
      '--remediation',
      run.json.remediationId,
      '--state',
      out,
      '--store',
      store,
      '--out',
      back,
      '--json',
    );
    expect(rollback.code, rollback.stdout).toBe(0);
    expect(rollback.json).toMatchObject({ outcome: 'rolled-back', remediationId: run.json.remediationId });
    expect(normalizeState(read(back))).toEqual(normalizeState(read(sample.state)));
  });

  it('rejected: nothing is changed', async () => {
    const sample = await writeSample(dir(), 2000);
    const out = join(dir(), 'out.json');
    const run = await runCli(
      'tighten',
      '--state',
      sample.state,
      '--group',
      sample.groupId,
      '--flow-logs',
      sample.log,
      '--end',
      SAMPLE_END,
      '--approve',
      'reject',
      '--store',
      join(dir(), 'store'),
      '--out',
      out,
      '--json',
    );
    expect(run.code).toBe(0);
    expect(run.json.outcome).toBe('rejected');
    expect(normalizeState(read(out))).toEqual(normalizeState(read(sample.state)));
  });

  it('in words: each step, the rules the copy keeps, what is no longer allowed and how to undo it', async () => {
    const sample = await writeSample(dir(), 2000);
    const run = await runCli(
      'tighten',
      '--state',
      sample.state,
      '--group',
      sample.groupId,
      '--flow-logs',
      sample.log,
      '--end',
      SAMPLE_END,
      '--approve',
      'auto',
      '--store',
      join(dir(), 'store'),
      '--out',
      join(dir(), 'out.json'),
    );
    expect(run.code).toBe(0);
    for (const state of ['Add the proposed rules', 'Re-check the group before revoking', 'Revoke the broad rules'])
      expect(run.stdout).toContain(`✓ ${state}`);
    expect(run.stdout).toContain('Outcome: tightened');
    expect(run.stdout).toContain('No longer allowed (traffic model):');
    expect(run.stdout).toMatch(/Undo it with: .* rollback --remediation tgt-/);
  });
});
