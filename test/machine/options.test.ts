/** Deployment options that change the workflow's path: the opt-out tag and approval `when-in-use`. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Ec2State } from '../../handlers/core/ec2-shapes.ts';
import { canonicalJson } from '../../handlers/core/snapshot.ts';
import { disposeAll, firstDefaultGroupId, remediateState } from '../support/harness.ts';

const repo = join(import.meta.dirname, '..', '..');
const load = (path: string): Ec2State => JSON.parse(readFileSync(path, 'utf8'));
const sample = () => load(join(repo, 'cli', 'demo', 'web-app.state.json'));
const emptyDefault = () => load(join(repo, 'test', 'fixtures', 'states', 'empty-default.state.json'));
const TAG = 'default-sg-remediation:exclude';

afterEach(() => disposeAll());

describe('the opt-out tag', () => {
  it('on the default group: skipped, nothing changed', async () => {
    const state = sample();
    const group = state.SecurityGroups.find((candidate) => candidate.GroupId === firstDefaultGroupId(state));
    if (group) group.Tags = [{ Key: TAG, Value: 'owned by the network team' }];
    const run = await remediateState(state);
    expect(run.result.output).toMatchObject({ outcome: 'skipped' });
    expect(String(run.result.output?.reasons)).toMatch(/opt-out tag/);
    expect(run.session.mutatingCallCount()).toBe(0);
    expect(canonicalJson(run.after)).toBe(canonicalJson(run.before));
  });

  it('on the VPC (describe-vpcs records in the state file): skipped', async () => {
    const state = sample() as Ec2State & { Vpcs: unknown[] };
    state.Vpcs = [{ VpcId: 'vpc-07e1f2a3b4c5d6e7f', Tags: [{ Key: TAG, Value: '' }] }];
    const run = await remediateState(state);
    expect(run.result.output).toMatchObject({ outcome: 'skipped' });
    expect(String(run.result.output?.reasons)).toMatch(/vpc-07e1f2a3b4c5d6e7f carries the opt-out tag/);
    expect(run.session.mutatingCallCount()).toBe(0);
  });

  it('a different tag does not opt out', async () => {
    const run = await remediateState(sample(), { settings: { excludeTag: 'other-tag' } });
    expect(run.result.output).toMatchObject({ outcome: 'remediated' });
  });
});

describe('approval when-in-use', () => {
  it('an unused, unreferenced default group is stripped without waiting for approval', async () => {
    const run = await remediateState(emptyDefault(), { settings: { approvalMode: 'when-in-use' }, approve: 'never' });
    expect(run.result.output).toMatchObject({ outcome: 'remediated' });
    expect(run.session.trace.some((event) => event.kind === 'step' && event.step === 'RequestApproval')).toBe(false);
  });

  it('a group in use still waits for approval', async () => {
    const run = await remediateState(sample(), { settings: { approvalMode: 'when-in-use' }, approve: 'rejected' });
    expect(run.result.output).toMatchObject({ outcome: 'rejected' });
    expect(canonicalJson(run.after)).toBe(canonicalJson(run.before));
  });

  it('with approval always, even an unused group waits', async () => {
    const run = await remediateState(emptyDefault(), { approve: 'rejected' });
    expect(run.result.output).toMatchObject({ outcome: 'rejected' });
  });
});
