/**
 * The benchmark: generated VPCs of growing size remediated end to end — the real state machine definitions, the local
 * runner, the EC2 simulator with EC2's request throttling on — on a virtual clock, so an hour of paced API calls runs
 * in seconds. `npm run bench -- --json` prints one JSON object; without `--json`, a table. It also draws
 * docs/bench.svg (`--no-plot` leaves it alone). `--org` runs the organization benchmark alone (org.ts, docs/bench-org.svg;
 * `--org-accounts N` for fewer than 1,000 accounts). docs/decisions.md ("Benchmark") says how each number is counted.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ec2Simulator } from '../../handlers/adapters/local/ec2-simulator.ts';
import { VirtualClock } from '../../handlers/adapters/local/virtual-clock.ts';
import { openSnapshot, snapshotKey } from '../../handlers/core/snapshot.ts';
import { MAX_AUDIT_ACCOUNTS } from '../../handlers/steps/audit.ts';
import type { Settings } from '../../handlers/steps/deps.ts';
import type { StepName } from '../../handlers/steps/index.ts';
import { STEP_SPECS } from '../../infra/steps.ts';
import { defaultGroupOf, generateVpc, mulberry32 } from '../../test/support/generate-vpc.ts';
import { createLocalDeps } from '../deps.ts';
import { type ExecutionResult, runMachine } from '../runner.ts';
import { bundleSizes } from './bundles.ts';
import { costUsd } from './cost.ts';
import { instancesWithoutStackTag, lowerBound } from './lower-bound.ts';
import { benchMixed, type MixedReport } from './mixed.ts';
import { benchNeighbours, type NeighbourReport, neighbourTable } from './neighbour.ts';
import { benchOrg, ORG_ACCOUNTS, type OrgReport, orgPlot, orgTable } from './org.ts';
import { benchPlot } from './plot.ts';
import { measureVerify } from './verify-cost.ts';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const DEFAULT_SIZES = [0, 10, 100, 1000, 10000];
/**
 * The mixed-owner VPC: 1,000 instances and 5 resources of each owner service in the registry. With 20 of each of the
 * first six services the plan was blocked: core/durations.ts budgets each service move (and its move back) at its
 * worst case, and 120 of them exceeded the 48 h run allowance (docs/decisions.md, "Benchmark").
 */
export const MIXED_INSTANCES = 1000;
export const MIXED_PER_SERVICE = 5;

export interface SizeReport {
  interfaces: number;
  references: number;
  ec2Calls: number;
  ec2CallsByAction: Record<string, number>;
  lowerBoundCalls: number;
  stateTransitions: number;
  historyEvents: number;
  lambdaInvocations: number;
  simulatedSeconds: number;
  floorSeconds: number;
  failedExecutions: number;
  maxPayloadBytes: number;
  /** The largest notice (SNS message) the run sent, in UTF-8 bytes; SNS takes at most 262,144. */
  largestNoticeBytes: number;
  costUsd: number;
  /** Calls EC2 refused with RequestLimitExceeded (counted in ec2Calls too). */
  throttledCalls: number;
  /** Wall-clock seconds this size took to run here. */
  wallSeconds: number;
  /** "Verify the result" ran every check, the traffic model included (the run's result says so). */
  verificationRan: boolean;
  /** The Verify step run again alone in a child process (verify-cost.ts): CPU seconds, peak and baseline RSS in MB. */
  verifyCpuSeconds: number | null;
  verifyPeakMb: number | null;
  verifyBaselineMb: number | null;
}

export interface BenchReport {
  sizes: SizeReport[];
  /** The mixed-owner VPC (mixed.ts): instances plus every owner service, calls per service against their bounds. */
  mixed: MixedReport;
  /** The largest size again, without and beside a neighbour spending half of each bucket (neighbour.ts). */
  neighbour: NeighbourReport[];
  bundles: Record<string, number>;
  /** The deployed Verify function's settings (infra/steps.ts), which the verification columns must stay inside. */
  verifyLambda: { memoryMb: number; timeoutSeconds: number };
  /** The organization: 1,000 accounts × 17 regions audited, their failing groups dispatched (org.ts). */
  org: OrgReport;
}

function executionsOf(result: ExecutionResult): ExecutionResult[] {
  return [result, ...result.children.flatMap(executionsOf)];
}

const round = (value: number, digits: number) => Number(value.toFixed(digits));

/** Where the benchmark's notices link to: a deployed run's notices carry links, so they are the ones measured. */
const BENCH_LINK_BASE_URL = 'https://a1b2c3d4e5.execute-api.us-east-1.amazonaws.com';

/** Remediates (approved at once) the default group of a generated VPC with `interfaces` interfaces. */
export async function benchSize(interfaces: number, settings: Partial<Settings> = {}): Promise<SizeReport> {
  const wallStart = performance.now();
  const state = generateVpc({ interfaces, seed: 1 });
  const clock = new VirtualClock();
  const simulator = Ec2Simulator.fromState(state, { throttling: { clock }, seed: 1 });
  const storeDir = mkdtempSync(join(tmpdir(), 'dsr-bench-'));
  try {
    let largestNoticeBytes = 0;
    const deps = createLocalDeps({
      simulator,
      storeDir,
      clock,
      notifier: {
        publish: async (notice) => {
          largestNoticeBytes = Math.max(largestNoticeBytes, Buffer.byteLength(notice.message, 'utf8'));
        },
      },
      settings: { linkBaseUrl: BENCH_LINK_BASE_URL, ...settings },
    });
    const started = clock.now();
    const result = await runMachine(
      'remediate',
      { accountId: simulator.accountId, region: simulator.region, groupId: defaultGroupOf(state) },
      { deps, clock, random: mulberry32(interfaces + 7), approver: async () => 'approved' },
    );
    const simulatedSeconds = (clock.now() - started) / 1000;
    const executions = executionsOf(result);
    const snapshotText = await deps.store.get(snapshotKey(result.executionName));
    if (snapshotText === undefined) throw new Error(`${interfaces} interfaces: no snapshot was saved`);
    const snapshot = openSnapshot(snapshotText, { remediationId: result.executionName });
    const bound = lowerBound(
      snapshot.plan,
      {
        referencingGroups: snapshot.inventory.referencingGroups.length,
        instancesWithoutStackTag: instancesWithoutStackTag(snapshot.inventory.members),
      },
      // The full-rate floor: the whole refill is free (no neighbour in these runs).
      1,
    );
    const invocations = executions.flatMap((execution) =>
      execution.metrics.invocations.map((call) => ({
        seconds: call.ms / 1000,
        memoryMb: STEP_SPECS[call.step as StepName]?.memoryMb ?? 512,
      })),
    );
    const verification = result.output?.verification as { verified?: boolean; checks?: string[] } | undefined;
    const verificationRan = verification?.verified === true && (verification.checks ?? []).includes('traffic');
    const verifyCost = verificationRan
      ? await measureVerify(ROOT, storeDir, simulator, {
          remediationId: result.executionName,
          target: { accountId: simulator.accountId, region: simulator.region, groupId: snapshot.plan.defaultGroupId },
          replacementGroupId: result.output?.replacementGroupId ?? null,
          snapshotRevision: (await deps.store.get(snapshotKey(result.executionName, 2))) === undefined ? 1 : 2,
        })
      : undefined;
    // Step Functions bills every state entered and every retry.
    const transitions = executions.reduce(
      (sum, execution) => sum + execution.transitions + execution.metrics.retries,
      0,
    );
    return {
      interfaces,
      references: snapshot.plan.references.filter((reference) => reference.groupId !== snapshot.plan.defaultGroupId)
        .length,
      ec2Calls: simulator.totalCalls(),
      ec2CallsByAction: simulator.callCounts(),
      lowerBoundCalls: bound.total,
      stateTransitions: transitions,
      historyEvents: result.metrics.historyEvents,
      lambdaInvocations: invocations.length,
      simulatedSeconds: round(simulatedSeconds, 1),
      floorSeconds: round(bound.floorSeconds, 1),
      failedExecutions: executions.filter((execution) => execution.status === 'FAILED').length,
      maxPayloadBytes: Math.max(...executions.map((execution) => execution.metrics.maxPayloadBytes)),
      largestNoticeBytes,
      costUsd: round(costUsd(transitions, invocations), 6),
      throttledCalls: Object.values(simulator.throttledCounts()).reduce((sum, count) => sum + count, 0),
      wallSeconds: round((performance.now() - wallStart) / 1000, 1),
      verificationRan,
      verifyCpuSeconds: verifyCost ? round(verifyCost.cpuSeconds, 2) : null,
      verifyPeakMb: verifyCost ? Math.round(verifyCost.peakMb) : null,
      verifyBaselineMb: verifyCost ? Math.round(verifyCost.baselineMb) : null,
    };
  } finally {
    rmSync(storeDir, { recursive: true, force: true });
  }
}

export async function runBench(
  sizes: number[] = DEFAULT_SIZES,
  options: { settings?: Partial<Settings>; onSize?: (report: SizeReport) => void; orgAccounts?: number } = {},
): Promise<BenchReport> {
  const reports: SizeReport[] = [];
  for (const size of sizes) {
    const report = await benchSize(size, options.settings);
    options.onSize?.(report);
    reports.push(report);
  }
  const verify = STEP_SPECS.Verify;
  const mixed = await benchMixed(MIXED_INSTANCES, MIXED_PER_SERVICE, options.settings);
  const neighbour = await benchNeighbours(Math.max(0, ...sizes));
  return {
    sizes: reports,
    mixed,
    neighbour,
    bundles: await bundleSizes(ROOT),
    verifyLambda: { memoryMb: verify.memoryMb, timeoutSeconds: verify.timeoutSeconds },
    org: await benchOrg(options.orgAccounts),
  };
}

function table(report: BenchReport): string {
  const columns: [string, (size: SizeReport) => string][] = [
    ['interfaces', (s) => String(s.interfaces)],
    ['refs', (s) => String(s.references)],
    ['EC2 calls', (s) => String(s.ec2Calls)],
    ['lower bound', (s) => String(s.lowerBoundCalls)],
    ['×', (s) => (s.lowerBoundCalls ? (s.ec2Calls / s.lowerBoundCalls).toFixed(3) : '-')],
    ['throttled', (s) => String(s.throttledCalls)],
    ['transitions', (s) => String(s.stateTransitions)],
    ['history', (s) => String(s.historyEvents)],
    ['Lambda', (s) => String(s.lambdaInvocations)],
    ['sim. s', (s) => s.simulatedSeconds.toFixed(1)],
    ['floor s', (s) => s.floorSeconds.toFixed(1)],
    ['failed', (s) => String(s.failedExecutions)],
    ['max payload B', (s) => String(s.maxPayloadBytes)],
    ['notice B', (s) => String(s.largestNoticeBytes)],
    ['cost USD', (s) => s.costUsd.toFixed(4)],
    ['verified', (s) => (s.verificationRan ? 'yes' : 'no')],
    ['verify CPU s', (s) => s.verifyCpuSeconds?.toFixed(2) ?? '-'],
    ['verify peak MB', (s) => String(s.verifyPeakMb ?? '-')],
    ['wall s', (s) => s.wallSeconds.toFixed(1)],
  ];
  const rows = [columns.map(([name]) => name), ...report.sizes.map((size) => columns.map(([, cell]) => cell(size)))];
  const widths = columns.map((_, index) => Math.max(...rows.map((row) => (row[index] ?? '').length)));
  const line = (row: string[]) => row.map((cell, index) => cell.padStart(widths[index] ?? 0)).join('  ');
  const bundles = Object.entries(report.bundles)
    .map(([name, bytes]) => `  ${name.padEnd(20)} ${(bytes / 1024).toFixed(1).padStart(7)} KiB`)
    .join('\n');
  const verify = report.verifyLambda;
  const mixed = report.mixed;
  const services = Object.entries(mixed.services)
    .map(
      ([service, row]) =>
        `  ${service.padEnd(14)} ${String(row.resources).padStart(4)} resources  ${String(row.calls).padStart(5)} calls  lower bound ${String(row.lowerBound).padStart(5)}  floor ${row.floorSeconds.toFixed(1)} s`,
    )
    .join('\n');
  const mixedText =
    `Mixed-owner VPC (${mixed.instances} instances, ${mixed.perService} per service): ${mixed.outcome}, ` +
    `EC2 ${mixed.ec2Calls} calls (lower bound ${mixed.ec2LowerBound}), ${mixed.simulatedSeconds.toFixed(1)} s simulated ` +
    `(floor ${mixed.floorSeconds.toFixed(1)} s)\n${services}\n\n`;
  return (
    `${rows.map(line).join('\n')}\n\nVerify function: ${verify.memoryMb} MB, ${verify.timeoutSeconds} s timeout ` +
    `(verify columns: the step alone in a child process, peak = its whole RSS)\n\n` +
    mixedText +
    neighbourTable(report.neighbour) +
    `Lambda bundles (minified, SDK from the runtime):\n${bundles}\n`
  );
}

/** `--org`: the organization run alone, `{ org }` with `--json`, and its plot docs/bench-org.svg. */
async function mainOrg(json: boolean, plot: boolean, accounts: number): Promise<void> {
  const org = await benchOrg(accounts);
  if (plot) writeFileSync(join(ROOT, 'docs', 'bench-org.svg'), orgPlot(org));
  process.stdout.write(json ? `${JSON.stringify({ org })}\n` : orgTable(org));
}

async function main(argv: string[]): Promise<void> {
  const json = argv.includes('--json');
  const accountsFlag = argv.indexOf('--org-accounts');
  const orgAccounts = accountsFlag >= 0 ? Number(argv[accountsFlag + 1]) : ORG_ACCOUNTS;
  if (!Number.isInteger(orgAccounts) || orgAccounts < 1 || orgAccounts > MAX_AUDIT_ACCOUNTS) {
    process.stderr.write(
      `--org-accounts takes a whole number from 1 to ${MAX_AUDIT_ACCOUNTS}, e.g. --org-accounts 100\n`,
    );
    process.exitCode = 2;
    return;
  }
  if (argv.includes('--org')) {
    await mainOrg(json, !argv.includes('--no-plot'), orgAccounts);
    return;
  }
  const sizesFlag = argv.indexOf('--sizes');
  const sizes =
    sizesFlag >= 0 ? (argv[sizesFlag + 1] ?? '').split(',').map((value) => Number.parseInt(value, 10)) : DEFAULT_SIZES;
  if (sizes.some((size) => !Number.isInteger(size) || size < 0)) {
    process.stderr.write('--sizes takes non-negative integers separated by commas, e.g. --sizes 0,10,100\n');
    process.exitCode = 2;
    return;
  }
  const started = performance.now();
  const report = await runBench(sizes, {
    orgAccounts,
    onSize: (size) => {
      if (!json) process.stderr.write(`  ${size.interfaces} interfaces: ${size.wallSeconds} s\n`);
    },
  });
  if (!argv.includes('--no-plot')) {
    writeFileSync(join(ROOT, 'docs', 'bench.svg'), benchPlot(report.sizes, 1, report.mixed, report.neighbour));
    writeFileSync(join(ROOT, 'docs', 'bench-org.svg'), orgPlot(report.org));
  }
  if (json) {
    process.stdout.write(`${JSON.stringify(report)}\n`);
  } else {
    process.stdout.write(table(report));
    process.stdout.write(`\n${orgTable(report.org)}`);
    process.stdout.write(`\nRan in ${((performance.now() - started) / 1000).toFixed(1)} s; plot: docs/bench.svg\n`);
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  await main(process.argv.slice(2));
}
