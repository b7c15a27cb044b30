/**
 * The benchmark beside a neighbour (issue 13, point 5): the same remediation as the sizes' runs, while another client
 * of the account spends `share` of every EC2 bucket the run draws from (the simulator's `Neighbour`,
 * core/rate-limits.ts), on the virtual clock. Measured: the run's time against the floor of what the neighbour leaves
 * (lower-bound.ts at the free share 1 − share), and the neighbour's refused calls with the run against the same
 * neighbour alone over the same time. docs/decisions.md ("Adaptive pacing") says how each number is counted.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Ec2Simulator } from '../../handlers/adapters/local/ec2-simulator.ts';
import { VirtualClock } from '../../handlers/adapters/local/virtual-clock.ts';
import { openSnapshot, snapshotKey } from '../../handlers/core/snapshot.ts';
import { defaultGroupOf, generateVpc, mulberry32 } from '../../test/support/generate-vpc.ts';
import { createLocalDeps } from '../deps.ts';
import { type ExecutionResult, runMachine } from '../runner.ts';
import { instancesWithoutStackTag, lowerBound } from './lower-bound.ts';

/** The neighbour shares the benchmark runs beside: none (the full-rate floor) and half of each bucket. */
export const NEIGHBOUR_SHARES = [0, 0.5];

export interface NeighbourReport {
  /** The share of each bucket's refill the neighbour spends (0: no neighbour). */
  share: number;
  interfaces: number;
  /** Simulated seconds of the run, and the floor of what the neighbour leaves; ratio = seconds / floorSeconds. */
  seconds: number;
  floorSeconds: number;
  ratio: number;
  /** The neighbour's calls EC2 refused: alone over the same time and buckets, and beside the run. */
  neighbourThrottlesAlone: number;
  neighbourThrottlesWithRun: number;
  /** The run's own calls refused (RequestLimitExceeded), its failed executions and its outcome. */
  runThrottles: number;
  failedExecutions: number;
  outcome: string;
}

function executionsOf(result: ExecutionResult): ExecutionResult[] {
  return [result, ...result.children.flatMap(executionsOf)];
}

const round = (value: number, digits: number) => Number(value.toFixed(digits));

/** Remediates (approved at once) a generated VPC of `interfaces` beside a neighbour spending `share` of each bucket. */
export async function benchNeighbour(interfaces: number, share: number): Promise<NeighbourReport> {
  const state = generateVpc({ interfaces, seed: 1 });
  const clock = new VirtualClock();
  const simulator = Ec2Simulator.fromState(state, {
    throttling: { clock, ...(share > 0 ? { neighbour: { share } } : {}) },
    seed: 1,
  });
  const storeDir = mkdtempSync(join(tmpdir(), 'dsr-bench-neighbour-'));
  try {
    const deps = createLocalDeps({ simulator, storeDir, clock, notifier: { publish: async () => {} } });
    const started = clock.now();
    const result = await runMachine(
      'remediate',
      { accountId: simulator.accountId, region: simulator.region, groupId: defaultGroupOf(state) },
      { deps, clock, random: mulberry32(interfaces + 7), approver: async () => 'approved' },
    );
    const seconds = (clock.now() - started) / 1000;
    const snapshotText = await deps.store.get(snapshotKey(result.executionName));
    if (snapshotText === undefined)
      throw new Error(`${interfaces} interfaces beside a neighbour: no snapshot was saved`);
    const snapshot = openSnapshot(snapshotText, { remediationId: result.executionName });
    const bound = lowerBound(
      snapshot.plan,
      {
        referencingGroups: snapshot.inventory.referencingGroups.length,
        instancesWithoutStackTag: instancesWithoutStackTag(snapshot.inventory.members),
      },
      1 - share,
    );
    const neighbour = simulator.neighbourThrottles();
    return {
      share,
      interfaces,
      seconds: round(seconds, 1),
      floorSeconds: round(bound.floorSeconds, 1),
      ratio: bound.floorSeconds > 0 ? round(seconds / bound.floorSeconds, 3) : 0,
      neighbourThrottlesAlone: neighbour.alone,
      neighbourThrottlesWithRun: neighbour.withRun,
      runThrottles: Object.values(simulator.throttledCounts()).reduce((sum, count) => sum + count, 0),
      failedExecutions: executionsOf(result).filter((execution) => execution.status === 'FAILED').length,
      outcome: String(result.output?.outcome ?? result.status),
    };
  } finally {
    rmSync(storeDir, { recursive: true, force: true });
  }
}

export async function benchNeighbours(interfaces: number, shares = NEIGHBOUR_SHARES): Promise<NeighbourReport[]> {
  const reports: NeighbourReport[] = [];
  for (const share of shares) reports.push(await benchNeighbour(interfaces, share));
  return reports;
}

/** The table's lines for the neighbour runs. */
export function neighbourTable(reports: NeighbourReport[]): string {
  const lines = reports.map(
    (r) =>
      `  ${r.share === 0 ? 'no neighbour      ' : `neighbour at ${String(Math.round(r.share * 100)).padStart(3)} %`}  ` +
      `${r.interfaces} interfaces  ${r.seconds.toFixed(1)} s  floor ${r.floorSeconds.toFixed(1)} s  × ${r.ratio.toFixed(3)}  ` +
      `neighbour refused ${r.neighbourThrottlesWithRun} (alone ${r.neighbourThrottlesAlone})  run refused ${r.runThrottles}  failed ${r.failedExecutions}`,
  );
  return `Beside a neighbour (adaptive pacing; floor = what the neighbour leaves, past half the burst):\n${lines.join('\n')}\n\n`;
}

export const NEIGHBOUR_PANEL_HEIGHT = 200;

/**
 * The plot's neighbour panel (plot.ts draws it under the others, from `top`): per run, the simulated time (solid)
 * against the floor of what the neighbour leaves (dashed), labelled with the ratio and the neighbour's refusals.
 */
export function neighbourPanel(reports: NeighbourReport[], top: number, left: number, width: number): string {
  const height = NEIGHBOUR_PANEL_HEIGHT - 90;
  const max = Math.max(1, ...reports.flatMap((r) => [r.seconds, r.floorSeconds]));
  const slot = width / Math.max(1, reports.length);
  const bar = Math.min(40, slot / 4);
  const y = (value: number) => top + height - (value / max) * height;
  const bars = reports
    .map((r, index) => {
      const x = left + index * slot + slot / 2 - bar;
      const label = r.share === 0 ? 'no neighbour' : `neighbour spending ${Math.round(r.share * 100)} % of each bucket`;
      const detail = `× ${r.ratio.toFixed(2)} of the floor; neighbour refused ${r.neighbourThrottlesWithRun} (alone ${r.neighbourThrottlesAlone})`;
      return `<rect x="${x.toFixed(1)}" y="${y(r.seconds).toFixed(1)}" width="${bar.toFixed(1)}" height="${(top + height - y(r.seconds)).toFixed(1)}" fill="#1f77b4"/>
<rect x="${(x + bar).toFixed(1)}" y="${y(r.floorSeconds).toFixed(1)}" width="${bar.toFixed(1)}" height="${(top + height - y(r.floorSeconds)).toFixed(1)}" fill="none" stroke="#555" stroke-dasharray="4 3"/>
<text x="${(x + bar).toFixed(1)}" y="${(y(r.seconds) - 4).toFixed(1)}" text-anchor="middle" font-size="11">${r.seconds.toFixed(0)} s</text>
<text x="${(x + bar).toFixed(1)}" y="${top + height + 16}" text-anchor="middle" font-size="11">${label}</text>
<text x="${(x + bar).toFixed(1)}" y="${top + height + 30}" text-anchor="middle" font-size="11">${detail}</text>`;
    })
    .join('\n');
  const interfaces = reports[0]?.interfaces ?? 0;
  const title = `${interfaces.toLocaleString('en-US')} interfaces beside a neighbour: simulated time vs the floor of what it leaves (dashed)`;
  return `<text x="${left}" y="${top - 30}" font-weight="bold">${title}</text>
<line x1="${left}" y1="${top + height}" x2="${left + width}" y2="${top + height}" stroke="#333"/>
${bars}`;
}
