/**
 * Organization-wide runs: `plan --all-regions` audits every VPC default group the credentials (or the state files)
 * reach, read-only; `remediate --all-empty` strips the unused ones, each through the remediation state machine.
 *
 * Where the run reaches is an {@link OrgReach}: the simulator's state files here, AWS in ./org-aws.ts. Each group is
 * read with the Discover step's own `readInventory` and judged with the planner, so the audit and a remediation
 * never disagree about a group.
 */
import {
  AUDIT_STATUSES,
  type AuditedGroup,
  type AuditStatus,
  type AuditSummary,
  type Place,
  summarizeAudit,
} from '../handlers/core/audit.ts';
import { describeFailure } from '../handlers/core/failures.ts';
import type { Ec2Port, ServiceQuotasPort, ServicesPort } from '../handlers/ports.ts';
import type { Decision } from '../handlers/steps/approval.ts';
import {
  auditGroup,
  auditPlace,
  byLocation,
  mapBounded,
  pacedPort,
  reasonOf,
  unreachableRow,
} from '../handlers/steps/audit.ts';
import type { Deps, Settings } from '../handlers/steps/deps.ts';
import type { PlanSummary } from '../handlers/steps/discover.ts';
import type { Pace } from '../handlers/steps/pacing.ts';
import { type ExecutionResult, runMachine } from './runner.ts';

// The audit's rows and counts are core types (the reports render them); named here too for the command line's modules.
// The per-place audit is the deployed audit's too (handlers/steps/audit.ts).
export {
  AUDIT_STATUSES,
  type AuditedGroup,
  type AuditStatus,
  type AuditSummary,
  auditGroup,
  mapBounded,
  type Place,
  reasonOf,
  summarizeAudit,
};

/** An account and region to audit; `unreachable` says why it cannot be (access denied, region not enabled…). */
export interface PlaceAccess extends Place {
  unreachable?: string;
}

/** Where an organization-wide run reaches, and how its calls there are made and paced. */
export interface OrgReach {
  /** The account/region pairs in scope, the unreachable ones with their reason. */
  places(): Promise<PlaceAccess[]>;
  ec2(place: Place): Ec2Port;
  /** The services that own requester-managed interfaces (Lambda, RDS…), in the same account and region. */
  services(place: Place): ServicesPort;
  /** Service Quotas in the same account and region: the quotas the planner counts against. */
  serviceQuotas(place: Place): ServiceQuotasPort;
  /**
   * Waits before a call in this account and region; EC2 rate limits are per account and region, so each pair gets
   * its own budget.
   */
  pace(place: Place): Pace;
}

export interface AuditOptions {
  settings: Settings;
  /** Account/region pairs audited at once (each pair's own calls are sequential). */
  concurrency?: number;
  /** Called after each account/region: how many are done, of how many, and what was found there. */
  onPlace?: (done: number, total: number, place: PlaceAccess, rows: AuditedGroup[]) => void;
}

/** Audits every default group of every reachable account/region. Reads only. */
export async function auditOrganization(reach: OrgReach, options: AuditOptions): Promise<AuditedGroup[]> {
  const places = await reach.places();
  let done = 0;
  const perPlace = await mapBounded(places, options.concurrency ?? 4, async (place) => {
    const location = { accountId: place.accountId, region: place.region };
    const rows = place.unreachable
      ? [unreachableRow(location, place.unreachable)]
      : await auditPlace(
          () => ({
            ec2: pacedPort(reach.ec2(location), reach.pace(location)),
            services: reach.services(location),
            serviceQuotas: reach.serviceQuotas(location),
          }),
          location,
          options.settings,
        );
    options.onPlace?.(++done, places.length, place, rows);
    return rows;
  });
  return perPlace.flat().sort(byLocation);
}

// -----------------------------------------------------------------------------------------------------------------
// Bulk remediation of the empty groups

export type BulkResult = 'remediated' | 'skipped' | 'failed';

export interface RemediatedGroup extends Place {
  vpcId?: string;
  groupId: string;
  result: BulkResult;
  /** The state machine's outcome (remediated, rejected, compliant, skipped, blocked, failed), when it ran. */
  outcome?: string;
  remediationId?: string;
  reasons: string[];
}

export interface BulkOptions {
  /** The dependencies for one account and region (its EC2, its pacer; store and ledger shared). */
  depsFor(place: Place): Deps;
  /** The batch's one decision, applied to every run's approval wait. */
  decision: Decision;
  /** Account/region pairs worked on at once; the groups of one pair go one after the other. */
  concurrency?: number;
  onGroup?: (done: number, total: number, result: RemediatedGroup) => void;
  /** Aborted when the process is ending (cli/endings.ts): the run in progress rolls back, no further group starts. */
  signal?: AbortSignal;
  /** Called when a group's run has ended, however it ended, before the next one starts (the ledger's ending). */
  afterRun?: (place: Place, groupId: string, execution: ExecutionResult) => Promise<void>;
}

function bulkResultOf(
  execution: ExecutionResult,
  guardReason: string | undefined,
): Omit<RemediatedGroup, keyof Place | 'groupId'> {
  const output = execution.output ?? {};
  const remediationId = String(output.remediationId ?? execution.executionName);
  if (execution.status !== 'SUCCEEDED') {
    return {
      result: 'failed',
      outcome: 'failed',
      remediationId,
      reasons: [
        `${execution.error}: ${describeFailure(execution.error, execution.cause).reasons.join(' ')}`.slice(0, 500),
      ],
    };
  }
  const outcome = String(output.outcome);
  if (outcome === 'remediated') return { result: 'remediated', outcome, remediationId, reasons: [] };
  const reasons = guardReason
    ? [guardReason]
    : Array.isArray(output.reasons)
      ? output.reasons.map(String)
      : outcome === 'rejected'
        ? ['The batch was rejected (--approve reject); everything was rolled back.']
        : [];
  return { result: 'skipped', outcome, remediationId, reasons };
}

/**
 * Strips the empty default groups, each through the remediation state machine (lock, snapshot, approval wait,
 * re-check, verify; rollback-able by its id). A group is re-audited just before its run and skipped unless still
 * empty; and if Discover, inside the run, finds interfaces on it after all, the run is rejected (and so rolled back
 * exactly) instead of approved: the bulk mode never migrates a group in use.
 */
export async function remediateEmptyGroups(rows: AuditedGroup[], options: BulkOptions): Promise<RemediatedGroup[]> {
  const empty = rows.filter((row) => row.status === 'empty' && row.groupId);
  const byPlace = new Map<string, AuditedGroup[]>();
  for (const row of empty) {
    const key = `${row.accountId}/${row.region}`;
    byPlace.set(key, [...(byPlace.get(key) ?? []), row]);
  }
  let done = 0;
  const report = (result: RemediatedGroup) => {
    options.onGroup?.(++done, empty.length, result);
    return result;
  };
  const perPlace = await mapBounded([...byPlace.values()], options.concurrency ?? 2, async (group) => {
    const results: RemediatedGroup[] = [];
    for (const row of group) {
      const place = { accountId: row.accountId, region: row.region };
      const groupId = row.groupId as string;
      const base = { ...place, vpcId: row.vpcId, groupId };
      if (options.signal?.aborted) {
        results.push(
          report({ ...base, result: 'skipped', reasons: ['Not started: the command line was interrupted.'] }),
        );
        continue;
      }
      const deps = options.depsFor(place);
      let fresh: AuditedGroup;
      try {
        const ports = { services: deps.services(place), serviceQuotas: deps.serviceQuotas(place) };
        fresh = await auditGroup(deps.ec2(place), ports, place, groupId, deps.settings);
      } catch (error) {
        results.push(report({ ...base, result: 'failed', reasons: [reasonOf(error)] }));
        continue;
      }
      if (fresh.status !== 'empty') {
        const reasons = [`Re-read before the run: now ${fresh.status}.`, ...fresh.reasons];
        results.push(report({ ...base, result: 'skipped', reasons }));
        continue;
      }
      let guardReason: string | undefined;
      let discovered: PlanSummary | undefined;
      const execution = await runMachine(
        'remediate',
        { ...place, groupId },
        {
          deps,
          ...(options.signal ? { signal: options.signal } : {}),
          onStep: (event) => {
            if (event.step === 'Discover' && event.output) discovered = event.output as PlanSummary;
          },
          approver: async () => {
            if (discovered && (discovered.members > 0 || discovered.replacementNeeded)) {
              guardReason = `Discover found the group in use during the run (${discovered.members} interface(s), or resources configured on it): rejected and rolled back, not migrated in bulk.`;
              return 'rejected';
            }
            return options.decision;
          },
        },
      );
      await options.afterRun?.(place, groupId, execution);
      results.push(report({ ...base, ...bulkResultOf(execution, guardReason) }));
    }
    return results;
  });
  return perPlace.flat();
}

export function summarizeBulk(results: RemediatedGroup[]): Record<BulkResult, number> {
  return {
    remediated: results.filter((row) => row.result === 'remediated').length,
    skipped: results.filter((row) => row.result === 'skipped').length,
    failed: results.filter((row) => row.result === 'failed').length,
  };
}

// -----------------------------------------------------------------------------------------------------------------
// Words for people: progress and tables

/** A progress line on stderr: redrawn in place on a terminal, one plain line per step otherwise. */
export function progressReporter(write: (text: string) => void, tty: boolean) {
  const width = 24;
  return {
    update(done: number, total: number, label: string) {
      if (!tty) {
        write(`[${done}/${total}] ${label}\n`);
        return;
      }
      const filled = total === 0 ? width : Math.round((done / total) * width);
      write(`\r[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done}/${total} ${label}\x1b[K`);
      if (done === total) write('\n');
    },
  };
}

/** Fixed-width columns; the last column is not padded. */
export function table(header: string[], rows: string[][]): string[] {
  const widths = header.map((title, column) =>
    Math.max(title.length, ...rows.map((row) => (row[column] ?? '').length)),
  );
  const line = (cells: string[]) =>
    cells
      .map((cell, column) => (column === cells.length - 1 ? cell : cell.padEnd(widths[column] ?? 0)))
      .join('  ')
      .trimEnd();
  const rule = widths.map((width, column) =>
    '-'.repeat(column === widths.length - 1 ? (header[column] ?? '').length : width),
  );
  return [line(header), line(rule), ...rows.map(line)];
}

export function auditTable(rows: AuditedGroup[]): string[] {
  return table(
    ['ACCOUNT', 'REGION', 'VPC', 'GROUP', 'STATUS', 'MEMBERS', 'REFS', 'RULES', 'REASON'],
    rows.map((row) => [
      row.accountId,
      row.region,
      row.vpcId ?? '-',
      row.groupId ?? '-',
      row.status,
      row.groupId ? String(row.members) : '-',
      row.groupId ? String(row.references) : '-',
      row.groupId ? String(row.rules) : '-',
      row.reasons.join(' '),
    ]),
  );
}

export function auditSummaryLine(summary: AuditSummary): string {
  const counts = AUDIT_STATUSES.map((status) => `${summary[status]} ${status}`).join(', ');
  return `${summary.groups} default group(s) in ${summary.accounts} account(s), ${summary.regions} region(s): ${counts}.`;
}

export function bulkTable(results: RemediatedGroup[]): string[] {
  return table(
    ['ACCOUNT', 'REGION', 'VPC', 'GROUP', 'RESULT', 'REMEDIATION', 'REASON'],
    results.map((row) => [
      row.accountId,
      row.region,
      row.vpcId ?? '-',
      row.groupId,
      row.outcome && row.outcome !== row.result ? `${row.result} (${row.outcome})` : row.result,
      row.remediationId ?? '-',
      row.reasons.join(' '),
    ]),
  );
}
