import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { bundleSizes } from '../../cli/bench/bundles.ts';
import { costUsd } from '../../cli/bench/cost.ts';
import { lowerBound, pacingFloor } from '../../cli/bench/lower-bound.ts';
import { benchMixed } from '../../cli/bench/mixed.ts';
import { benchPlot } from '../../cli/bench/plot.ts';
import { benchSize } from '../../cli/bench/run.ts';
import { createLocalDeps } from '../../cli/deps.ts';
import { runMachine } from '../../cli/runner.ts';
import { Ec2Simulator } from '../../handlers/adapters/local/ec2-simulator.ts';
import { VirtualClock } from '../../handlers/adapters/local/virtual-clock.ts';
import { OWNER_MODULES } from '../../handlers/core/owners/index.ts';
import { planRemediation } from '../../handlers/core/plan.ts';
import { bucketOf } from '../../handlers/core/rate-limits.ts';
import { readInventory } from '../../handlers/steps/discover.ts';
import { STEP_SPECS } from '../../infra/steps.ts';
import { defaultGroupOf, generateVpc } from '../support/generate-vpc.ts';
import { remediateState, scenarioState } from '../support/harness.ts';

const repo = join(import.meta.dirname, '..', '..');

const SHAPE = [
  'interfaces',
  'references',
  'ec2Calls',
  'ec2CallsByAction',
  'lowerBoundCalls',
  'stateTransitions',
  'historyEvents',
  'lambdaInvocations',
  'simulatedSeconds',
  'floorSeconds',
  'failedExecutions',
  'maxPayloadBytes',
  'largestNoticeBytes',
  'costUsd',
  'verificationRan',
  'verifyCpuSeconds',
  'verifyPeakMb',
  'verifyBaselineMb',
];

describe('benchmark (smoke: shape and correctness, no timing)', () => {
  it('0 and 10 interfaces: remediated with no failure, within the bounds it reports', async () => {
    const empty = await benchSize(0);
    const ten = await benchSize(10);
    for (const size of [empty, ten]) {
      for (const key of SHAPE) expect(size).toHaveProperty(key);
      expect(size.failedExecutions).toBe(0);
      expect(size.ec2Calls).toBe(Object.values(size.ec2CallsByAction).reduce((sum, count) => sum + count, 0));
      expect(size.ec2Calls).toBeGreaterThanOrEqual(size.lowerBoundCalls);
      expect(size.simulatedSeconds).toBeGreaterThanOrEqual(size.floorSeconds);
      expect(size.historyEvents).toBeGreaterThan(size.stateTransitions);
      expect(size.costUsd).toBeGreaterThan(0);
      // Verify ran every check, the traffic model included; run again alone, it fits the deployed function.
      expect(size.verificationRan).toBe(true);
      expect(size.verifyCpuSeconds).toBeGreaterThanOrEqual(0);
      expect(size.verifyBaselineMb).toBeGreaterThan(0);
      expect(size.verifyPeakMb).toBeGreaterThanOrEqual(size.verifyBaselineMb as number);
      expect(size.verifyPeakMb).toBeLessThan(STEP_SPECS.Verify.memoryMb);
      // The approval request and the completion notice were measured, both within SNS's 256 KiB.
      expect(size.largestNoticeBytes).toBeGreaterThan(0);
      expect(size.largestNoticeBytes).toBeLessThan(262_144);
    }
    expect(empty.stateTransitions).toBeLessThan(20);
    expect(empty.ec2CallsByAction.ModifyNetworkInterfaceAttribute).toBeUndefined();
    expect(ten.ec2CallsByAction.ModifyNetworkInterfaceAttribute).toBe(10);
    expect(ten.references).toBe(1);
    // 10 moves fit in the half of ModifyNetworkInterfaceAttribute's 100-token burst the pacer may spend at once.
    expect(ten.floorSeconds).toBe(0);
  });

  it('prints exactly one JSON object with --json', () => {
    const run = spawnSync(
      'npx',
      ['tsx', 'cli/bench/run.ts', '--json', '--sizes', '0', '--org-accounts', '2', '--no-plot'],
      {
        cwd: repo,
        encoding: 'utf8',
      },
    );
    expect(run.status).toBe(0);
    const report = JSON.parse(run.stdout);
    expect(Object.keys(report).sort()).toEqual(['bundles', 'mixed', 'neighbour', 'org', 'sizes', 'verifyLambda']);
    expect(report.org).toMatchObject({ accounts: 2, regions: 17, groups: 34, failedExecutions: 0 });
    // The largest size again, without a neighbour and beside one spending half of each bucket (neighbour.ts).
    expect(report.neighbour.map((run: { share: number }) => run.share)).toEqual([0, 0.5]);
    for (const run of report.neighbour) {
      expect(Object.keys(run).sort()).toEqual(
        [
          'failedExecutions',
          'floorSeconds',
          'interfaces',
          'neighbourThrottlesAlone',
          'neighbourThrottlesWithRun',
          'outcome',
          'ratio',
          'runThrottles',
          'seconds',
          'share',
        ].sort(),
      );
      expect(run.failedExecutions).toBe(0);
    }
    expect(report.mixed.outcome).toBe('remediated');
    expect(report.verifyLambda).toEqual({
      memoryMb: STEP_SPECS.Verify.memoryMb,
      timeoutSeconds: STEP_SPECS.Verify.timeoutSeconds,
    });
    expect(report.sizes).toHaveLength(1);
    for (const key of SHAPE) expect(report.sizes[0]).toHaveProperty(key);
    expect(report.sizes[0].verificationRan).toBe(true);
  }, 60_000);

  it('refuses bad sizes', () => {
    const run = spawnSync('npx', ['tsx', 'cli/bench/run.ts', '--sizes', 'ten', '--no-plot'], {
      cwd: repo,
      encoding: 'utf8',
    });
    expect(run.status).toBe(2);
    expect(run.stderr).toMatch(/--sizes/);
  }, 60_000);

  it('keeps every Lambda bundle small (zod as a namespace, SDK from the runtime)', async () => {
    const sizes = await bundleSizes(repo);
    expect(Object.keys(sizes)).toContain('move-interfaces');
    expect(Object.keys(sizes)).toContain('links');
    for (const [name, bytes] of Object.entries(sizes)) expect([name, bytes < 256 * 1024]).toEqual([name, true]);
  }, 60_000);
});

describe('lower bound and pacing floor', () => {
  it('counts one call per interface, per group and direction, and three inventory reads', async () => {
    const state = generateVpc({ interfaces: 1200, references: 70 });
    const simulator = Ec2Simulator.fromState(state);
    const target = { accountId: simulator.accountId, region: simulator.region, groupId: defaultGroupOf(state) };
    const inventory = await readInventory(simulator, target);
    const plan = planRemediation(inventory, { remediationId: 'rem-1' });
    const bound = lowerBound(plan, { referencingGroups: inventory.referencingGroups.length }, 0.5);
    expect(bound.byAction.ModifyNetworkInterfaceAttribute).toBe(1200);
    expect(bound.byAction.CreateSecurityGroup).toBe(1);
    expect(bound.byAction.DescribeNetworkInterfaces).toBe(3 * 2); // 1,200 members: two pages of 1,000, three times
    expect(bound.byAction.DescribeSecurityGroupReferences).toBe(3);
    // Twins: 70 references over 2 groups, both directions; the default group's self-reference (ingress).
    expect(bound.byAction.AuthorizeSecurityGroupEgress).toBe(2);
    expect(bound.byAction.AuthorizeSecurityGroupIngress).toBe(1 + 2 + 1);
    expect(bound.total).toBe(Object.values(bound.byAction).reduce((sum, count) => sum + count, 0));
    // Half the 100-token burst at once, the other 1,150 at half the refill (the share free beside a neighbour).
    expect(bound.floorSeconds).toBeCloseTo(1150 / 2.5, 5);
  });

  it('counts one DescribeTags per 200 instances for their stacks, as many as Discover makes', async () => {
    const state = generateVpc({ interfaces: 1200, references: 0 });
    const simulator = Ec2Simulator.fromState(state);
    const target = { accountId: simulator.accountId, region: simulator.region, groupId: defaultGroupOf(state) };
    const inventory = await readInventory(simulator, target);
    const instances = new Set(inventory.members.flatMap((eni) => eni.Attachment?.InstanceId ?? [])).size;
    expect(instances).toBeGreaterThan(200);
    const plan = planRemediation(inventory, { remediationId: 'rem-1' });
    const bound = lowerBound(plan, { referencingGroups: 0, instancesWithoutStackTag: instances }, 0.5);
    expect(bound.byAction.DescribeTags).toBe(Math.ceil(instances / 200));
    expect(simulator.callCounts().DescribeTags).toBe(bound.byAction.DescribeTags);
  });

  it('is the busiest bucket past half its burst at the free rate, describes unpaced', () => {
    const calls = {
      ModifyNetworkInterfaceAttribute: 161,
      AuthorizeSecurityGroupIngress: 40,
      DescribeSecurityGroups: 999,
    };
    // ModifyNetworkInterfaceAttribute: 100 tokens, 5/s → (161 − 50) / 5; AuthorizeSecurityGroupIngress: 50, 5/s.
    expect(pacingFloor(calls, 1)).toBeCloseTo(111 / 5, 9);
    expect(pacingFloor(calls, 0.5)).toBeCloseTo(111 / 2.5, 9);
    expect(pacingFloor({ AuthorizeSecurityGroupIngress: 40 }, 1)).toBeCloseTo(15 / 5, 9);
    expect(pacingFloor({}, 0.5)).toBe(0);
  });

  it('prices transitions and GB-seconds at the us-east-1 list prices', () => {
    // 1,000 transitions = $0.025; 1 GB for 1,000 s = $0.0133334; 2 requests = $0.0000004.
    expect(
      costUsd(1000, [
        { seconds: 500, memoryMb: 1024 },
        { seconds: 1000, memoryMb: 512 },
      ]),
    ).toBeCloseTo(0.025 + 0.0133334 + 0.0000004, 9);
  });

  it('draws both panels of the plot', () => {
    const svg = benchPlot(
      [
        { interfaces: 0, ec2Calls: 19, lowerBoundCalls: 17, simulatedSeconds: 0, floorSeconds: 0 },
        { interfaces: 100, ec2Calls: 133, lowerBoundCalls: 125, simulatedSeconds: 41, floorSeconds: 39.6 },
      ],
      0.5,
    );
    expect(svg).toMatch(/^<svg/);
    expect(svg).toContain('Simulated time');
    expect(svg).toContain('EC2 API calls');
    expect(svg).toContain('floor (50 % of refill, past half the burst)');
    expect(svg).not.toContain('beside a neighbour');
    const run = {
      interfaces: 100,
      seconds: 21,
      floorSeconds: 20,
      ratio: 1.05,
      neighbourThrottlesAlone: 0,
      runThrottles: 1,
      failedExecutions: 0,
      outcome: 'remediated',
    };
    const beside = benchPlot([], 1, undefined, [
      { ...run, share: 0, neighbourThrottlesWithRun: 0 },
      { ...run, share: 0.5, neighbourThrottlesWithRun: 3 },
    ]);
    expect(beside).toContain('100 interfaces beside a neighbour');
    expect(beside).toContain('neighbour spending 50 % of each bucket');
    expect(beside).toContain('× 1.05 of the floor; neighbour refused 3 (alone 0)');
  });
});

describe('the runner on a virtual clock', () => {
  it('passes Step Functions retry waits on to the clock, with jitter within the retrier interval', async () => {
    const state = generateVpc({ interfaces: 2, references: 1 });
    const clock = new VirtualClock(0);
    const simulator = Ec2Simulator.fromState(state, { throttling: { clock } });
    let refused = false;
    simulator.setHooks({
      before(action) {
        if (action === 'ModifyNetworkInterfaceAttribute' && !refused) {
          refused = true;
          throw Object.assign(new Error('Request limit exceeded.'), { name: 'RequestLimitExceeded' });
        }
      },
    });
    const storeDir = mkdtempSync(join(tmpdir(), 'dsr-clock-'));
    try {
      const deps = createLocalDeps({ simulator, storeDir, clock, notifier: { publish: async () => {} } });
      const result = await runMachine(
        'remediate',
        { accountId: simulator.accountId, region: simulator.region, groupId: defaultGroupOf(state) },
        { deps, clock, random: () => 0.75, approver: async () => 'approved' },
      );
      expect(result.status).toBe('SUCCEEDED');
      expect(result.metrics.retries).toBe(1);
      // The move's retrier: IntervalSeconds 2, full jitter → 0.75 × 2 s. The pacer heard of the refusal too: it
      // waits for the bucket to hold half its burst and a bunch again (55 tokens at 5 per second, 11 s).
      expect(clock.now()).toBeGreaterThanOrEqual(11_000);
      expect(clock.now()).toBeLessThan(1500 + 11_000 + 1000);
      const moves = result.metrics.invocations.filter((call) => call.step === 'MoveInterfaces');
      expect(moves).toHaveLength(2);
    } finally {
      rmSync(storeDir, { recursive: true, force: true });
    }
  });
});

describe('fewest calls', () => {
  it('never draws from the unfiltered buckets, and reads each group set once per step', async () => {
    const buckets: string[] = [];
    const run = await remediateState(scenarioState('busy'), {
      hooks: { before: (action, input) => void buckets.push(bucketOf(action, input).key) },
    });
    expect(run.result.output?.outcome).toBe('remediated');
    // Discover, Re-check and Verify read the inventory in 3 describes each (the default group with its members'
    // groups and the after-approval extras; the groups referencing it by ingress; by egress); Create the replacement
    // group looks for the copy and reads it back; Add references and Strip read their groups once.
    expect(run.simulator.callCounts().DescribeSecurityGroups).toBe(3 * 3 + 2 + 1 + 1);
    run.simulator.resetCallCounts();
    const rollback = await run.rollback();
    expect(rollback.result.status).toBe('SUCCEEDED');
    // Load (find the copy), restore, remove, verify (find the copy, then the groups): one describe each.
    expect(run.simulator.callCounts().DescribeSecurityGroups).toBe(5);
    expect(buckets.filter((key) => key.endsWith(':unfiltered'))).toEqual([]);
  });
});

describe('the mixed-owner VPC', () => {
  it('moves every owner service through its own bucket, each at or above its lower bound, and plots it', async () => {
    const mixed = await benchMixed(30, 3);
    expect(mixed.outcome).toBe('remediated');
    // Every service of the registry, however many it has: one the generator lacks fails here (and in tsc).
    expect(Object.keys(mixed.services).sort()).toEqual(OWNER_MODULES.map((module) => module.service).sort());
    for (const [service, row] of Object.entries(mixed.services)) {
      expect([service, row.resources]).toEqual([service, 3]);
      expect(row.calls, service).toBeGreaterThanOrEqual(row.lowerBound);
    }
    expect(mixed.ec2Calls).toBeGreaterThanOrEqual(mixed.ec2LowerBound);
    // The run's floor is its slowest bucket's past half its burst — with 3 per service, the services whose bucket is
    // assumed at 1 call per second (ECS among them), not ModifyVpcEndpoint's 0.3/s, whose 4-token burst takes 2 of 3
    // moves at once; the run cannot beat it.
    const floors = Object.values(mixed.services).map((row) => row.floorSeconds);
    expect(mixed.floorSeconds).toBe(Math.max(...floors));
    expect(mixed.floorSeconds).toBe(mixed.services.ecs.floorSeconds);
    expect(mixed.services['vpc-endpoints'].floorSeconds).toBeCloseTo(1 / 0.3, 1);
    // ECS: per service the read, UpdateService and at least one read of its deployment.
    expect(mixed.services.ecs.calls).toBeGreaterThanOrEqual(3 * 3);
    expect(mixed.simulatedSeconds).toBeGreaterThanOrEqual(mixed.floorSeconds);
    const svg = benchPlot([], 0.5, mixed);
    expect(svg).toContain('Mixed-owner VPC (30 instances, 3 per service)');
    expect(svg).toContain('>vpc-endpoints</text>');
  }, 120_000);
});
