/**
 * `capture` (issue 12) as a person runs it against a real account, the account played by the simulator through
 * aws-sdk-client-mock (test/support/capture-mocks.ts): the file it writes must plan exactly as the account does (the
 * live plan: `plan --state` on the whole state), on the states real accounts have; the EC2-only file of the old `jq`
 * recipe does not (it blocks where the account is ready), so these comparisons can fail.
 */
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Ec2State } from '../../handlers/core/ec2-shapes.ts';
import { PAGE, type SimulatedAccount, simulatedAccount } from '../support/capture-mocks.ts';
import { runCli, tempDirPerTest } from '../support/cli.ts';
import { generateMixedVpc, generateVpc } from '../support/generate-vpc.ts';
import { firstDefaultGroupId, repoRoot, scenarioState } from '../support/harness.ts';
import { launchState } from '../support/launch-sources.ts';
import { mixedOwnersState } from '../support/owner-scenarios.ts';

const dir = tempDirPerTest('capture-');
let account: SimulatedAccount | undefined;

afterEach(() => {
  account?.restore();
  account = undefined;
});

/** The live plan, the captured file's plan, and the captured file. */
async function captureAndPlan(state: unknown, groupId: string, region = 'us-east-1') {
  const live = join(dir(), 'live.json');
  writeFileSync(live, JSON.stringify(state));
  const livePlan = await runCli('plan', '--state', live, '--group', groupId, '--json');
  account = simulatedAccount(state);
  const out = join(dir(), 'captured.json');
  const captured = await runCli('capture', '--group', groupId, '--region', region, '--out', out, '--json');
  account.restore();
  expect(captured.code, captured.stdout + captured.stderr).toBe(0);
  const capturedPlan = await runCli('plan', '--state', out, '--group', groupId, '--json');
  return {
    livePlan: livePlan.json,
    capturedPlan: capturedPlan.json,
    file: JSON.parse(readFileSync(out, 'utf8')) as Record<string, unknown[]> & Ec2State,
    answer: captured.json,
    calls: account.calls(),
  };
}

const FIXTURES = readdirSync(join(repoRoot, 'test', 'fixtures', 'states'))
  .filter((name) => name.endsWith('.state.json'))
  .map((name) => name.replace(/\.state\.json$/, ''));

describe('capture: the file plans as the account does', () => {
  it('a VPC with Lambda, RDS, a load balancer, EFS, an endpoint and ElastiCache (managed-services)', async () => {
    const state = scenarioState('managed-services');
    const group = firstDefaultGroupId(state);
    const { livePlan, capturedPlan, file, answer } = await captureAndPlan(state, group);
    expect(livePlan.outcome).toBe('planned');
    expect(capturedPlan).toEqual(livePlan);
    for (const key of ['Functions', 'DBInstances', 'LoadBalancers', 'MountTargets', 'VpcEndpoints', 'CacheClusters'])
      expect(file[key]?.length, key).toBeGreaterThan(0);
    expect(answer).toMatchObject({ outcome: 'captured', groupId: group, region: 'us-east-1' });
  });

  it('the old jq recipe (EC2 only) blocks on that VPC: the comparison can fail', async () => {
    const state = scenarioState('managed-services') as Ec2State & Record<string, unknown>;
    const group = firstDefaultGroupId(state);
    const jq = join(dir(), 'jq.json');
    writeFileSync(
      jq,
      JSON.stringify({ SecurityGroups: state.SecurityGroups, NetworkInterfaces: state.NetworkInterfaces }),
    );
    const { livePlan } = await captureAndPlan(state, group);
    const jqPlan = await runCli('plan', '--state', jq, '--group', group, '--json');
    expect(jqPlan.json.outcome).toBe('blocked');
    expect(jqPlan.code).toBe(3);
    expect(jqPlan.json).not.toEqual(livePlan);
  });

  it('a VPC with a launch template used by Auto Scaling groups and a launch configuration', async () => {
    const { state, defaultGroup } = launchState();
    const { livePlan, capturedPlan, file } = await captureAndPlan(state, defaultGroup);
    expect(livePlan.plan.resourceMoves?.length ?? 0).toBeGreaterThan(0);
    expect(capturedPlan).toEqual(livePlan);
    expect(
      file.AutoScalingGroups?.map((g) => (g as { AutoScalingGroupName: string }).AutoScalingGroupName).sort(),
    ).toEqual(['batch-asg', 'legacy-asg', 'web-asg']);
  });

  it('every owner service the registry has, several of each, through every paging loop', async () => {
    const state = generateMixedVpc({ instances: 12, perService: 3 });
    const group = firstDefaultGroupId(state);
    const { livePlan, capturedPlan, calls } = await captureAndPlan(state, group);
    expect(capturedPlan).toEqual(livePlan);
    // Three of each in pages of PAGE: the lists were read past their first page.
    expect(PAGE).toBeLessThan(3);
    for (const command of [
      'ListFunctions',
      'DescribeDBInstances',
      'DescribeLoadBalancers',
      'DescribeComputeEnvironments',
    ])
      expect(calls[command], command).toBeGreaterThan(1);
  });

  it('ECS services and tasks, Redshift, DMS, CodeBuild and Batch (the fault sweep VPC)', async () => {
    const state = mixedOwnersState();
    const group = firstDefaultGroupId(state);
    const { livePlan, capturedPlan } = await captureAndPlan(state, group);
    expect(capturedPlan).toEqual(livePlan);
  });

  it.each(FIXTURES)('the repository fixture %s', async (name) => {
    const state = scenarioState(name);
    const group = firstDefaultGroupId(state);
    const { livePlan, capturedPlan } = await captureAndPlan(state, group);
    expect(capturedPlan).toEqual(livePlan);
  });

  it('a generated VPC of 400 interfaces and 40 references (EC2 lists read in pages)', async () => {
    const state = generateVpc({ interfaces: 400, references: 40, seed: 7 });
    const group = firstDefaultGroupId(state);
    const { livePlan, capturedPlan, calls } = await captureAndPlan(state, group);
    expect(livePlan.plan.moves).toHaveLength(400);
    expect(capturedPlan).toEqual(livePlan);
    expect(calls.DescribeNetworkInterfaces).toBeGreaterThan(1);
  });

  const ORG = join(repoRoot, 'test', 'fixtures', 'org');
  it.each(readdirSync(ORG).filter((name) => name.endsWith('.state.json')))(
    'every default group of the organization fixture %s',
    async (name) => {
      const state = JSON.parse(readFileSync(join(ORG, name), 'utf8')) as Ec2State;
      const [account, region] = [name.slice(0, 12), name.slice(13).replace(/\.state\.json$/, '')];
      const defaults = state.SecurityGroups.filter((g) => g.GroupName === 'default' && g.OwnerId === account);
      expect(defaults.length).toBeGreaterThan(0);
      for (const group of defaults) {
        const { livePlan, capturedPlan } = await captureAndPlan(state, group.GroupId ?? '', region);
        expect(capturedPlan, `${name} ${group.GroupId}`).toEqual(livePlan);
      }
    },
  );

  it('a peered VPC of another account: what the account cannot describe is kept as DescribeSecurityGroupReferences answered it', async () => {
    const state = scenarioState('peered-cross-account');
    const group = firstDefaultGroupId(state);
    const { livePlan, capturedPlan, file } = await captureAndPlan(state, group);
    expect(livePlan.outcome).toBe('blocked');
    expect(capturedPlan).toEqual(livePlan);
    // Nothing of the other account is in the file but the reference row.
    expect(file.SecurityGroups.every((g) => g.OwnerId === '111122223333')).toBe(true);
    expect(file.SecurityGroupReferences).toHaveLength(1);
  });

  it('only what is in the VPC or references it: the peer VPC’s own interfaces stay out', async () => {
    const state = scenarioState('peered-vpc');
    const group = firstDefaultGroupId(state);
    const vpc = state.SecurityGroups.find((g) => g.GroupId === group)?.VpcId;
    const { file } = await captureAndPlan(state, group);
    expect(file.NetworkInterfaces.length).toBeGreaterThan(0);
    expect(file.NetworkInterfaces.every((eni) => eni.VpcId === vpc)).toBe(true);
    expect(state.NetworkInterfaces.some((eni) => eni.VpcId !== vpc)).toBe(true);
    // The peer group referencing the default group is there.
    expect(file.SecurityGroups.some((g) => g.VpcId !== vpc)).toBe(true);
  });

  it('--vpc captures the same file as --group with the VPC’s default group', async () => {
    const state = scenarioState('managed-services');
    const group = firstDefaultGroupId(state);
    const vpc = state.SecurityGroups.find((g) => g.GroupId === group)?.VpcId ?? '';
    account = simulatedAccount(state);
    const byGroup = await runCli('capture', '--group', group, '--region', 'us-east-1');
    const byVpc = await runCli('capture', '--vpc', vpc, '--region', 'us-east-1');
    expect(byGroup.code).toBe(0);
    // Without --out the state is the whole of stdout (`> vpc.json`), what was read on stderr.
    expect(JSON.parse(byVpc.stdout)).toEqual(JSON.parse(byGroup.stdout));
    expect(byGroup.stderr).toContain(`Captured ${vpc}`);
  });
});

describe('capture refuses bad input and never writes a partial file', () => {
  it.each([
    [[], 'exactly one of --group SG or --vpc VPC'],
    [['--group', 'sg-0123456789abcdef0', '--vpc', 'vpc-0123456789abcdef0'], 'exactly one of'],
    [['--group', 'default'], '--group must look like sg-'],
    [['--vpc', 'vpc-xyz'], '--vpc must look like vpc-'],
    [['--group', 'sg-0123456789abcdef0', '--region', 'mars'], '--region must look like'],
    [['--group', 'sg-0123456789abcdef0', '--state', 'x.json'], 'it takes no --state'],
    [['--group', 'sg-0123456789abcdef0', '--out', '/nonexistent-dir/x.json'], '--out /nonexistent-dir/x.json'],
  ])('%j: exit 2 naming the field', async (args, message) => {
    account = simulatedAccount(scenarioState('empty-default'));
    const run = await runCli('capture', '--region', 'us-east-1', ...args, '--json');
    expect(run.code).toBe(2);
    expect(run.json.error).toBe('InvalidInput');
    expect(run.json.reasons.join(' ')).toContain(message);
    expect(account.calls()).toEqual({});
  });

  it('--vpc is capture’s alone: plan refuses it rather than ignore it', async () => {
    const run = await runCli('plan', '--vpc', 'vpc-0123456789abcdef0', '--json');
    expect(run.code).toBe(2);
    expect(run.json.reasons.join(' ')).toContain('--vpc goes with capture');
  });

  it('a group the account does not have: exit 2 naming --group, no file', async () => {
    account = simulatedAccount(scenarioState('empty-default'));
    const out = join(dir(), 'x.json');
    const run = await runCli(
      'capture',
      '--group',
      'sg-0123456789abcdef0',
      '--region',
      'us-east-1',
      '--out',
      out,
      '--json',
    );
    expect(run.code).toBe(2);
    expect(run.json.reasons.join(' ')).toContain('--group sg-0123456789abcdef0: no such security group');
    expect(existsSync(out)).toBe(false);
  });

  it('a service refusing a describe half-way: exit 1 naming it, the old file untouched, no temporary file left', async () => {
    const state = scenarioState('managed-services');
    const error = Object.assign(new Error('User is not authorized to perform: rds:DescribeDBInstances'), {
      name: 'AccessDenied',
    });
    account = simulatedAccount(state, { fail: { command: 'DescribeDBInstances', error } });
    const out = join(dir(), 'vpc.json');
    writeFileSync(out, 'the previous capture\n');
    const run = await runCli(
      'capture',
      '--group',
      firstDefaultGroupId(state),
      '--region',
      'us-east-1',
      '--out',
      out,
      '--json',
    );
    expect(run.code).toBe(1);
    expect(run.json.reasons.join(' ')).toContain('Reading rds');
    expect(readFileSync(out, 'utf8')).toBe('the previous capture\n');
    expect(readdirSync(dir())).toEqual(['vpc.json']);
  });
});
