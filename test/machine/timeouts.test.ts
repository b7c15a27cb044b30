/**
 * Time on AWS, on the virtual clock (issue 10 point 8): the local runner applies every Task's TimeoutSeconds (and
 * TimeoutSecondsPath, resolved against the state input) on the run's clock, as Step Functions does
 * (https://docs.aws.amazon.com/step-functions/latest/dg/state-task.html: past its timeout a Task fails with
 * States.Timeout); the rollback execution's timeout comes from the plan, so a rollback that takes more than an hour
 * of paced calls finishes.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createLocalDeps } from '../../cli/deps.ts';
import { type Approver, type ExecutionResult, runMachine } from '../../cli/runner.ts';
import { Ec2Simulator, type SimulatorHooks } from '../../handlers/adapters/local/ec2-simulator.ts';
import { VirtualClock } from '../../handlers/adapters/local/virtual-clock.ts';
import type { Ec2State } from '../../handlers/core/ec2-shapes.ts';
import type { Settings } from '../../handlers/steps/deps.ts';
import { defaultGroupOf, generateVpc, mulberry32 } from '../support/generate-vpc.ts';
import { examplePath, normalizeState, readJson } from '../support/harness.ts';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

interface ClockedRun {
  result: ExecutionResult;
  simulator: Ec2Simulator;
  clock: VirtualClock;
  before: Ec2State;
  /** Virtual seconds the whole execution took. */
  seconds: number;
}

/** A remediation of `state` on a virtual clock, EC2's throttling on, as the benchmark runs it. */
async function runClocked(
  state: Ec2State,
  options: {
    approver: (clock: VirtualClock) => Approver;
    settings?: Partial<Settings>;
    hooks?: SimulatorHooks;
    /** Another client spending this share of every EC2 bucket (core/rate-limits.ts). */
    neighbourShare?: number;
  },
): Promise<ClockedRun> {
  const clock = new VirtualClock();
  const neighbour = options.neighbourShare ? { neighbour: { share: options.neighbourShare } } : {};
  const simulator = Ec2Simulator.fromState(state, { throttling: { clock, ...neighbour }, seed: 1 });
  if (options.hooks) simulator.setHooks(options.hooks);
  const storeDir = mkdtempSync(join(tmpdir(), 'dsr-clock-'));
  dirs.push(storeDir);
  const deps = createLocalDeps({
    simulator,
    storeDir,
    clock,
    notifier: { publish: async () => {} },
    ...(options.settings ? { settings: options.settings } : {}),
  });
  const before = simulator.toState();
  const started = clock.now();
  const result = await runMachine(
    'remediate',
    { accountId: simulator.accountId, region: simulator.region, groupId: defaultGroupOf(state) },
    { deps, clock, random: mulberry32(7), approver: options.approver(clock) },
  );
  return { result, simulator, clock, before, seconds: (clock.now() - started) / 1000 };
}

const sampleState = () => readJson<Ec2State>(examplePath('web-app.state.json'));

describe('Task timeouts on the virtual clock', () => {
  it('a Task that runs past its TimeoutSeconds fails with States.Timeout, is retried, then fails the run unchanged', async () => {
    // DescribeSecurityGroupReferences answers after 400 s: Discover (TimeoutSeconds 300) times out on every attempt.
    let clock: VirtualClock | undefined;
    let discovers = 0;
    const run = await runClocked(sampleState(), {
      approver: (runClock) => {
        clock = runClock;
        return async () => 'approved';
      },
      hooks: {
        before(action) {
          if (action !== 'DescribeSecurityGroupReferences') return;
          discovers++;
          clock?.advance(400_000);
        },
      },
    });
    expect(run.result.status).toBe('FAILED');
    expect(run.result.error).toBe('States.Timeout');
    expect(run.result.cause).toMatch(/TimeoutSeconds \(300 s\)/);
    // The Retry of Discover lists States.Timeout: the first attempt and its 6 retries.
    expect(discovers).toBe(7);
    expect(normalizeState(run.simulator.toState())).toEqual(normalizeState(run.before));
  });

  it('the approval wait times out on the clock after TimeoutSecondsPath ($.approvalTimeoutSeconds): rolled back', async () => {
    const settings = { approvalTimeoutSeconds: 3600 };
    const late = await runClocked(sampleState(), {
      settings,
      approver: (clock) => async () => {
        clock.advance(3601_000);
        return 'approved';
      },
    });
    expect(late.result.status, JSON.stringify(late.result)).toBe('SUCCEEDED');
    expect(late.result.output?.outcome).toBe('rejected');
    expect(normalizeState(late.simulator.toState())).toEqual(normalizeState(late.before));

    const inTime = await runClocked(sampleState(), {
      settings,
      approver: (clock) => async () => {
        clock.advance(3599_000);
        return 'approved';
      },
    });
    expect(inTime.result.output?.outcome).toBe('remediated');
  });
});

describe('a rollback that takes more than an hour', () => {
  it('2,000 interfaces moved back beside a neighbour leaving a tenth of the EC2 refill rate (≈ 67 min) complete within the timeout from the plan', async () => {
    const state = generateVpc({ interfaces: 2000, seed: 3 });
    let approvalAt = 0;
    const run = await runClocked(state, {
      // A neighbour spends 90 % of every bucket: 0.5 interface moves per second are left, so 2,000 moves take about
      // 4,000 s each way; the time budgets count on that tenth (PACING_SHARE 0.1); batches of 200 stay within 900 s.
      neighbourShare: 0.9,
      settings: { pacingShare: 0.1, batchSize: 200 },
      approver: (clock) => async () => {
        approvalAt = clock.now();
        return 'rejected';
      },
    });
    expect(run.result.status, `${run.result.error} ${run.result.cause}`).toBe('SUCCEEDED');
    expect(run.result.output?.outcome).toBe('rejected');
    const [rollback] = run.result.children;
    expect(rollback?.status).toBe('SUCCEEDED');
    const rollbackSeconds = (run.clock.now() - approvalAt) / 1000;
    expect(rollbackSeconds).toBeGreaterThan(3600);
    expect(normalizeState(run.simulator.toState())).toEqual(normalizeState(run.before));
  }, 120_000);
});
