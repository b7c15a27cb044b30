/**
 * The organization benchmark (`npm run bench -- --org`): 1,000 accounts × 17 regions, one VPC default group each
 * (70 % empty, 25 % in use, 5 % blocked), audited through the real audit definition (state-machine/audit.asl.json)
 * and the local runner, each account/region its own EC2 simulator with EC2's throttling on, all on one discrete-event
 * virtual clock; then every failing group dispatched as the "Remediate EC2.2" custom action delivers them (20 findings
 * per event) through the real dispatcher step. docs/decisions.md ("The organization audit, deployed") says how each
 * number is counted and what the floor is.
 *
 * Cheap in memory: an account/region's simulator is built when the audit first reaches it and dropped once the audit
 * is past it; only its call counts are kept.
 */
import { Ec2Simulator } from '../../handlers/adapters/local/ec2-simulator.ts';
import { ServiceQuotasSimulator } from '../../handlers/adapters/local/service-quotas-simulator.ts';
import { ServiceSimulator } from '../../handlers/adapters/local/service-simulator.ts';
import { DEFAULT_ADAPTIVE_OPTIONS } from '../../handlers/core/adaptive-rate.ts';
import type { AuditSummary } from '../../handlers/core/audit.ts';
import { bucketOf } from '../../handlers/core/rate-limits.ts';
import type { Clock, Ec2Port, Ec2Target, ObjectStore } from '../../handlers/ports.ts';
import {
  AUDIT_PACING_SHARE,
  type AuditReport,
  auditReportKey,
  DEFAULT_AUDIT_REGIONS,
  PLACES_AT_ONCE,
} from '../../handlers/steps/audit.ts';
import type { Deps } from '../../handlers/steps/deps.ts';
import { dispatchFindings } from '../../handlers/steps/dispatch.ts';
import { pacedRate } from '../../handlers/steps/pacing.ts';
import { AUDIT_STEP_SPECS } from '../../infra/steps.ts';
import { mulberry32, StateBuilder } from '../../test/support/generate-vpc.ts';
import { createLocalDeps } from '../deps.ts';
import { loadDefinition, runMachine } from '../runner.ts';
import { costUsd, type Invocation } from './cost.ts';

export const ORG_ACCOUNTS = 1000;
export const ORG_REGIONS = DEFAULT_AUDIT_REGIONS.length;
/** Findings per "Remediate EC2.2" custom action event: Security Hub sends at most 20 selected findings in one. */
export const FINDINGS_PER_ACTION = 20;
/**
 * The approval digest's batch window: its notices go out once per window, epoch-aligned (handlers/core/digest.ts,
 * digestWindowStart), 5 minutes by default (infra/config.ts approvalDigestMinutes). The windows counted are those the
 * dispatched runs start in.
 */
export const BATCH_WINDOW_SECONDS = 5 * 60;
/**
 * The round trip of one EC2 Describe call from a function in the same Region, on the virtual clock. Assumed (EC2
 * documents no latency; tens to a few hundred milliseconds is what SDK traces show): without it an account/region's
 * few calls all fit in the pacer's burst, and the audit and its floor would both be 0 s — a ratio of nothing.
 */
export const EC2_CALL_LATENCY_MS = 100;
/** The dispatcher function's memory (infra/remediation-stack.ts DispatchFindings). */
const DISPATCH_MEMORY_MB = 256;

export type OrgGroupKind = 'empty' | 'in use' | 'blocked';

/**
 * The kind of the default group of place `index` (account × regions + region): exactly 70 / 25 / 5 in every 100
 * consecutive places (7,919 is prime to 100, so `index × 7919 mod 100` takes each value once per hundred).
 */
export function groupKindOf(index: number): OrgGroupKind {
  const slot = (index * 7919) % 100;
  return slot < 70 ? 'empty' : slot < 95 ? 'in use' : 'blocked';
}

export function accountIdOf(index: number): string {
  return String(100_000_000_000 + index);
}

/** One account/region: a VPC whose default group is empty, used by two instances, or by a Lambda interface. */
function placeState(accountId: string, region: string, kind: OrgGroupKind) {
  const b = new StateBuilder({ accountId, region, salt: Number(accountId.slice(-6)) * 31 + region.length });
  const vpc = b.vpc({ cidr: '10.0.0.0/16' });
  if (kind === 'in use') {
    b.eni(vpc, { groups: [vpc.defaultGroupId] });
    b.eni(vpc, { groups: [vpc.defaultGroupId], subnet: 1 });
  } else if (kind === 'blocked') {
    // A Lambda interface whose function the service does not show: the planner cannot move it (blocked).
    b.eni(vpc, { groups: [vpc.defaultGroupId], kind: 'lambda', name: 'ingest' });
  }
  return b.build();
}

/**
 * A virtual clock whose sleepers wake in deadline order: time moves to the earliest deadline only once nothing else
 * can run (a `setImmediate` after the microtasks), so that many account/regions pacing side by side each wait exactly
 * their own time. Everything on it must be in memory (no file or network I/O), or time would move under it.
 */
export class EventClock implements Clock {
  private current: number;
  private readonly timers: { at: number; wake: () => void }[] = [];
  private scheduled = false;

  constructor(start = Date.UTC(2026, 0, 5, 6)) {
    this.current = start;
  }

  now(): number {
    return this.current;
  }

  sleep(ms: number): Promise<void> {
    if (!(ms > 0)) return Promise.resolve();
    return new Promise((wake) => {
      this.timers.push({ at: this.current + ms, wake });
      this.schedule();
    });
  }

  /** Step Functions' retry waits, which no handler sleeps through. */
  advance(ms: number): void {
    this.current += Math.max(0, ms);
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => this.fire());
  }

  private fire(): void {
    this.scheduled = false;
    if (this.timers.length === 0) return;
    let earliest = Number.POSITIVE_INFINITY;
    for (const timer of this.timers) earliest = Math.min(earliest, timer.at);
    this.current = Math.max(this.current, earliest);
    const due: (() => void)[] = [];
    for (let index = this.timers.length - 1; index >= 0; index--) {
      const timer = this.timers[index] as { at: number; wake: () => void };
      if (timer.at <= this.current) {
        due.push(timer.wake);
        this.timers.splice(index, 1);
      }
    }
    for (const wake of due) wake();
    if (this.timers.length > 0) this.schedule();
  }
}

function memoryStore(): ObjectStore & { objects: Map<string, string> } {
  const objects = new Map<string, string>();
  return {
    objects,
    async put(key, body) {
      objects.set(key, body);
    },
    async get(key) {
      return objects.get(key);
    },
  };
}

/**
 * The audit's floor for one account/region, as its pacer allows (handlers/steps/pacing.ts, core/adaptive-rate.ts):
 * on each describe bucket, the calls beyond the pacer's share of the burst spaced at the audit's share of the refill,
 * max(0, n − burstShare × capacity) / (share × refill); buckets are independent, so the busiest one's. The calls
 * of one account/region go one after the other, so no less than their round trips either (`latencyMs` each).
 */
export function placeFloorSeconds(calls: Record<string, number>, latencyMs = 0): number {
  const roundTrips = (Object.values(calls).reduce((sum, count) => sum + count, 0) * latencyMs) / 1000;
  const perBucket = new Map<string, { calls: number; burst: number; rate: number }>();
  for (const [action, count] of Object.entries(calls)) {
    const { key, limits } = bucketOf(action);
    const bucket = perBucket.get(key) ?? {
      calls: 0,
      burst: limits.capacity * DEFAULT_ADAPTIVE_OPTIONS.burstShare,
      rate: pacedRate(action, AUDIT_PACING_SHARE),
    };
    bucket.calls += count;
    perBucket.set(key, bucket);
  }
  return Math.max(
    roundTrips,
    ...[...perBucket.values()].map((bucket) => Math.max(0, bucket.calls - bucket.burst) / bucket.rate),
  );
}

/**
 * The makespan floor of jobs of these lengths on `workers` side by side: no schedule beats the longest job, nor the
 * total work spread evenly.
 */
export function makespanFloor(lengths: number[], workers: number): number {
  const total = lengths.reduce((sum, length) => sum + length, 0);
  return Math.max(0, ...lengths, total / workers);
}

export interface OrgReport {
  accounts: number;
  regions: number;
  groups: number;
  /** The audit's statuses as the report counts them. */
  statuses: AuditSummary;
  /** Simulated seconds from the audit's start to its report and notice. */
  auditSeconds: number;
  /** The floor (docs/decisions.md): per account/region paced describes, accounts 40 at a time. */
  auditFloorSeconds: number;
  /** Audit executions plus the remediation executions the dispatcher started. */
  executions: number;
  remediationExecutions: number;
  /** The audit's and the dispatcher's. */
  lambdaInvocations: number;
  /** "Remediate EC2.2" custom action events (20 findings each) the failing groups took. */
  actionEvents: number;
  /** Digest batch windows the dispatched runs fall in ({@link BATCH_WINDOW_SECONDS}). */
  batches: number;
  /** Notices: the audit's summary, the dispatcher's (a refused batch), one digest per batch window (assumed). */
  notices: number;
  auditNotices: number;
  dispatchNotices: number;
  /** EC2 calls of the audit, and how many EC2 refused with RequestLimitExceeded. */
  ec2Calls: number;
  throttledCalls: number;
  failedExecutions: number;
  maxPayloadBytes: number;
  historyEvents: number;
  stateTransitions: number;
  /** The audit's and the dispatch's Step Functions and Lambda cost (the remediations' own are the size benchmark's). */
  costUsd: number;
  reportBytes: { json: number; csv: number; html: number };
  wallSeconds: number;
  /** Simulated seconds at which each batch (account) finished, for the plot. */
  batchDoneSeconds: number[];
}

/** The audit's Map: how many batches side by side (the definition's own MaxConcurrency). */
function mapConcurrency(): number {
  const map = loadDefinition('audit').States['Audit the accounts, a batch at a time'] as { MaxConcurrency?: number };
  return map.MaxConcurrency ?? 40;
}

export async function benchOrg(accounts = ORG_ACCOUNTS, regionCount = ORG_REGIONS): Promise<OrgReport> {
  const wallStart = performance.now();
  const clock = new EventClock();
  const regions = DEFAULT_AUDIT_REGIONS.slice(0, regionCount);
  const accountIds = Array.from({ length: accounts }, (_, index) => accountIdOf(index));
  const kindOf = (target: Ec2Target) =>
    groupKindOf(accountIds.indexOf(target.accountId) * regions.length + regions.indexOf(target.region));
  const store = memoryStore();
  let auditNotices = 0;
  const base = createLocalDeps({ storeDir: '/nonexistent-bench-store', clock });
  // Per account/region: its simulator while the audit is on it, its calls by action for good.
  const live = new Map<string, { simulator: Ec2Simulator; ports: number }>();
  const calls = new Map<string, Record<string, number>>();
  let throttled = 0;
  const simulatorFor = (target: Ec2Target, release: boolean): Ec2Simulator => {
    const key = `${target.accountId}/${target.region}`;
    let entry = live.get(key);
    if (!entry) {
      const state = placeState(target.accountId, target.region, kindOf(target));
      entry = { simulator: Ec2Simulator.fromState(state, { throttling: { clock }, seed: 1 }), ports: 0 };
      live.set(key, entry);
    }
    // The audit asks for EC2, the services and the quotas once each (handlers/steps/audit.ts): drop it after the last.
    if (release && ++entry.ports >= 3) live.delete(key);
    return entry.simulator;
  };
  const counted = (target: Ec2Target, simulator: Ec2Simulator): Ec2Port => {
    const key = `${target.accountId}/${target.region}`;
    const counts: Record<string, number> = {};
    calls.set(key, counts);
    return new Proxy(simulator as unknown as Ec2Port, {
      get(port, method: string) {
        const call = Reflect.get(port, method) as (input: unknown) => Promise<unknown>;
        if (typeof call !== 'function') return call;
        const action = method.replace(/^./, (first) => first.toUpperCase());
        return async (input: unknown) => {
          counts[action] = (counts[action] ?? 0) + 1;
          await clock.sleep(EC2_CALL_LATENCY_MS);
          try {
            return await call.call(port, input);
          } catch (error) {
            if ((error as Error).name === 'RequestLimitExceeded') throttled++;
            throw error;
          }
        };
      },
    });
  };
  const deps: Deps = {
    ...base,
    store,
    notifier: {
      publish: async () => {
        auditNotices++;
      },
    },
    ec2: (target) => counted(target, simulatorFor(target, true)),
    services: (target) => new ServiceSimulator(simulatorFor(target, true)),
    serviceQuotas: (target) => new ServiceQuotasSimulator(simulatorFor(target, true)),
  };

  const started = clock.now();
  const batchDone: number[] = [];
  const result = await runMachine(
    'audit',
    { accounts: accountIds, regions },
    {
      deps,
      clock,
      random: mulberry32(13),
      executionName: 'audit-bench',
      onStep: (event) => {
        if (event.step === 'AuditAccounts' && event.output) batchDone.push((clock.now() - started) / 1000);
      },
    },
  );
  const auditSeconds = (clock.now() - started) / 1000;
  if (result.status !== 'SUCCEEDED') throw new Error(`The audit failed: ${result.error} ${result.cause}`);
  const reportText = store.objects.get(auditReportKey('audit-bench', 'json')) ?? '{}';
  const report = JSON.parse(reportText) as AuditReport;

  // The floor: each account/region's paced describes; an account's regions side by side (PLACES_AT_ONCE of them),
  // the accounts 40 at a time.
  const placeFloors = new Map<string, number>();
  for (const [key, counts] of calls) placeFloors.set(key, placeFloorSeconds(counts, EC2_CALL_LATENCY_MS));
  const accountFloors = accountIds.map((accountId) =>
    makespanFloor(
      regions.map((region) => placeFloors.get(`${accountId}/${region}`) ?? 0),
      PLACES_AT_ONCE,
    ),
  );
  const auditFloorSeconds = makespanFloor(accountFloors, mapConcurrency());

  // The dispatch: every failing group, 20 findings per custom action event, through the real dispatcher.
  const failing = report.groups.filter(
    (row) => row.groupId && (row.status === 'empty' || row.status === 'in use' || row.status === 'blocked'),
  );
  let remediationExecutions = 0;
  let dispatchNotices = 0;
  const dispatchInvocations: Invocation[] = [];
  const dispatchDeps: Deps = {
    ...deps,
    notifier: {
      publish: async () => {
        dispatchNotices++;
      },
    },
  };
  const windows = new Set<number>();
  const starter = {
    start: async (name: string) => {
      remediationExecutions++;
      windows.add(Math.floor(clock.now() / 1000 / BATCH_WINDOW_SECONDS));
      return {
        executionArn: `arn:aws:states:us-east-1:123456789012:execution:Remediation:${name}`,
        alreadyStarted: false,
      };
    },
  };
  for (let first = 0; first < failing.length; first += FINDINGS_PER_ACTION) {
    const event = customActionEvent(failing.slice(first, first + FINDINGS_PER_ACTION), first);
    const startedAt = performance.now();
    const outcome = await dispatchFindings(event, dispatchDeps, starter);
    dispatchInvocations.push({ seconds: (performance.now() - startedAt) / 1000, memoryMb: DISPATCH_MEMORY_MB });
    if (outcome.outcome !== 'dispatched') throw new Error(`A dispatch was refused: ${outcome.reasons.join(' ')}`);
  }

  const auditInvocations: Invocation[] = result.metrics.invocations.map((call) => ({
    seconds: call.ms / 1000,
    memoryMb: AUDIT_STEP_SPECS[call.step as keyof typeof AUDIT_STEP_SPECS]?.memoryMb ?? 1024,
  }));
  const transitions = result.transitions + result.metrics.retries;
  const ec2Calls = [...calls.values()].reduce(
    (sum, counts) => sum + Object.values(counts).reduce((total, count) => total + count, 0),
    0,
  );
  const size = (format: 'json' | 'csv' | 'html') =>
    Buffer.byteLength(store.objects.get(auditReportKey('audit-bench', format)) ?? '', 'utf8');
  const batches = windows.size;
  return {
    accounts,
    regions: regions.length,
    groups: report.summary.groups,
    statuses: report.summary,
    auditSeconds: round(auditSeconds, 1),
    auditFloorSeconds: round(auditFloorSeconds, 1),
    executions: 1 + remediationExecutions,
    remediationExecutions,
    lambdaInvocations: auditInvocations.length + dispatchInvocations.length,
    actionEvents: dispatchInvocations.length,
    batches,
    // One digest per batch window: the digest's design (one notice per window), not measured here.
    notices: auditNotices + dispatchNotices + batches,
    auditNotices,
    dispatchNotices,
    ec2Calls,
    throttledCalls: throttled,
    failedExecutions: result.status === 'SUCCEEDED' ? 0 : 1,
    maxPayloadBytes: result.metrics.maxPayloadBytes,
    historyEvents: result.metrics.historyEvents,
    stateTransitions: transitions,
    costUsd: round(costUsd(transitions, [...auditInvocations, ...dispatchInvocations]), 4),
    reportBytes: { json: size('json'), csv: size('csv'), html: size('html') },
    wallSeconds: round((performance.now() - wallStart) / 1000, 1),
    batchDoneSeconds: batchDone.map((seconds) => round(seconds, 2)),
  };
}

const round = (value: number, digits: number) => Number(value.toFixed(digits));

/**
 * A "Security Hub Findings - Custom Action" event carrying these groups' EC2.2 findings (ASFF, consolidated controls),
 * as Security Hub sends the findings selected for "Remediate EC2.2"
 * (https://docs.aws.amazon.com/securityhub/latest/userguide/securityhub-cwe-integration-types.html).
 */
function customActionEvent(groups: { accountId: string; region: string; groupId?: string }[], first: number) {
  return {
    version: '0',
    id: `bench-action-${first}`,
    'detail-type': 'Security Hub Findings - Custom Action',
    source: 'aws.securityhub',
    account: '123456789012',
    time: '2026-01-05T06:00:00Z',
    region: 'us-east-1',
    resources: ['arn:aws:securityhub:us-east-1:123456789012:action/custom/RemediateEC22'],
    detail: {
      actionName: 'Remediate EC2.2',
      actionDescription: 'Move what uses the default group to a copy, then strip it',
      findings: groups.map(({ accountId, region, groupId }) => ({
        SchemaVersion: '2018-10-08',
        Id: `arn:aws:securityhub:${region}:${accountId}:security-control/EC2.2/finding/${groupId}`,
        ProductArn: `arn:aws:securityhub:${region}::product/aws/securityhub`,
        GeneratorId: 'security-control/EC2.2',
        AwsAccountId: accountId,
        Region: region,
        Types: ['Software and Configuration Checks/Industry and Regulatory Standards'],
        CreatedAt: '2026-01-05T05:00:00Z',
        UpdatedAt: '2026-01-05T05:00:00Z',
        Severity: { Label: 'HIGH' },
        Title: 'VPC default security groups should not allow inbound or outbound traffic',
        Description: 'EC2.2',
        Compliance: { Status: 'FAILED', SecurityControlId: 'EC2.2' },
        Workflow: { Status: 'NEW' },
        RecordState: 'ACTIVE',
        Resources: [
          {
            Type: 'AwsEc2SecurityGroup',
            Id: `arn:aws:ec2:${region}:${accountId}:security-group/${groupId}`,
            Partition: 'aws',
            Region: region,
          },
        ],
      })),
    },
  };
}

/** "× 1.03", or why there is no ratio: both are 0 when every call fits the pacer's burst (no wait to simulate). */
function ratioText(report: OrgReport): string {
  if (report.auditFloorSeconds > 0) return `× ${(report.auditSeconds / report.auditFloorSeconds).toFixed(2)}`;
  return report.auditSeconds === 0 ? 'no pacing wait: every call within the burst' : 'floor 0';
}

function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/**
 * The plot (docs/bench-org.svg): accounts audited against simulated time, the audit's floor as a dashed vertical
 * line and the floor's even pace (the floor's accounts per second) as a dashed diagonal.
 */
export function orgPlot(report: OrgReport): string {
  const width = 720;
  const height = 320;
  const box = { left: 70, top: 50, width: 600, height: 210 };
  const done = [...report.batchDoneSeconds].sort((a, b) => a - b);
  const maxX = Math.max(report.auditSeconds, report.auditFloorSeconds, 1) * 1.05;
  const maxY = Math.max(done.length, 1);
  const x = (seconds: number) => box.left + (seconds / maxX) * box.width;
  const y = (count: number) => box.top + box.height - (count / maxY) * box.height;
  const steps = done.map((seconds, index) => `${x(seconds).toFixed(1)},${y(index + 1).toFixed(1)}`).join(' ');
  const ticks = [0, 0.25, 0.5, 0.75, 1].map((share) => share * maxX);
  const title = `Organization audit: ${report.accounts} accounts × ${report.regions} regions (${report.groups} default groups), simulated ${report.auditSeconds.toFixed(1)} s, floor ${report.auditFloorSeconds.toFixed(1)} s (${ratioText(report)})`;
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="11">
<rect width="100%" height="100%" fill="white"/>
<text x="${width / 2}" y="22" text-anchor="middle" font-size="12">${escapeXml(title)}</text>
<line x1="${box.left}" y1="${box.top + box.height}" x2="${box.left + box.width}" y2="${box.top + box.height}" stroke="black"/>
<line x1="${box.left}" y1="${box.top}" x2="${box.left}" y2="${box.top + box.height}" stroke="black"/>
${ticks.map((tick) => `<text x="${x(tick).toFixed(1)}" y="${box.top + box.height + 16}" text-anchor="middle">${tick.toFixed(0)}</text>`).join('\n')}
<text x="${box.left + box.width / 2}" y="${height - 18}" text-anchor="middle">simulated seconds</text>
<text x="${box.left - 8}" y="${box.top + 4}" text-anchor="end">${maxY}</text>
<text x="${box.left - 8}" y="${box.top + box.height}" text-anchor="end">0</text>
<text x="20" y="${box.top + box.height / 2}" transform="rotate(-90 20 ${box.top + box.height / 2})" text-anchor="middle">accounts audited</text>
<line x1="${x(0)}" y1="${y(0)}" x2="${x(report.auditFloorSeconds).toFixed(1)}" y2="${y(maxY)}" stroke="#999" stroke-dasharray="4 3"/>
<line x1="${x(report.auditFloorSeconds).toFixed(1)}" y1="${box.top}" x2="${x(report.auditFloorSeconds).toFixed(1)}" y2="${box.top + box.height}" stroke="#c33" stroke-dasharray="6 3"/>
<text x="${(x(report.auditFloorSeconds) - 4).toFixed(1)}" y="${box.top - 6}" text-anchor="end" fill="#c33">floor</text>
<polyline points="${x(0)},${y(0)} ${steps}" fill="none" stroke="#2a6ebb" stroke-width="1.5"/>
</svg>
`;
}

/** The organization run in words, for the bench's table output. */
export function orgTable(report: OrgReport): string {
  const s = report.statuses;
  return [
    `Organization: ${report.accounts} accounts × ${report.regions} regions, ${report.groups} default groups (${s.empty} empty, ${s['in use']} in use, ${s.blocked} blocked, ${s.unreachable} unreachable)`,
    `  audit ${report.auditSeconds.toFixed(1)} s simulated, floor ${report.auditFloorSeconds.toFixed(1)} s (${ratioText(report)}); ${report.ec2Calls} EC2 calls, ${report.throttledCalls} throttled`,
    `  executions ${report.executions} (1 audit, ${report.remediationExecutions} remediations from ${report.actionEvents} custom action events), Lambda invocations ${report.lambdaInvocations}`,
    `  notices ${report.notices} (audit ${report.auditNotices}, dispatch ${report.dispatchNotices}, one digest per batch window: ${report.batches} window(s) of ${BATCH_WINDOW_SECONDS / 60} min)`,
    `  history ${report.historyEvents} events, largest payload ${report.maxPayloadBytes} B, cost $${report.costUsd.toFixed(4)}, report JSON ${report.reportBytes.json} B / CSV ${report.reportBytes.csv} B / HTML ${report.reportBytes.html} B, wall ${report.wallSeconds.toFixed(1)} s`,
    '',
  ].join('\n');
}
