/** The command-line side of organization runs: `plan --all-regions` and `remediate --all-empty`. */
import { mkdir } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { createInterface } from 'node:readline/promises';
import { systemClock } from '../handlers/adapters/clock.ts';
import { InvalidInputError } from '../handlers/core/errors.ts';
import type { Decision } from '../handlers/steps/approval.ts';
import { DEFAULT_SETTINGS } from '../handlers/steps/deps.ts';
import { DEFAULT_PACING_SHARE, noPacing, type Pace, pacer } from '../handlers/steps/pacing.ts';
import { createLocalDeps } from './deps.ts';
import { PROGRAM } from './help.ts';
import type { CliResult, Io } from './main.ts';
import {
  type AuditedGroup,
  auditOrganization,
  auditSummaryLine,
  auditTable,
  bulkTable,
  type OrgReach,
  type Place,
  progressReporter,
  remediateEmptyGroups,
  summarizeAudit,
  summarizeBulk,
} from './org.ts';
import { awsReach } from './org-aws.ts';
import { loadStateFiles, type Scope, type StateFile, simulatedReach } from './org-states.ts';
import { prepareReportDir, writeReports } from './report-files.ts';
import { commandLine, currentOwner, RunLedger } from './run-ledger.ts';
import type { ExecutionResult } from './runner.ts';

export interface OrgFlags {
  state?: string[];
  accounts?: string;
  regions?: string;
  store?: string;
  out?: string;
  approve?: string;
  json?: boolean;
  group?: string;
  finding?: string;
  region?: string;
  /** plan --all-regions: the directory for the CSV and HTML reports. */
  report?: string;
}

const ACCOUNT_ID = /^\d{12}$/;
const REGION = /^[a-z]{2}(-[a-z]+)+-\d+$/;

function listFlag(value: string | undefined, flag: string, pattern: RegExp, what: string): string[] | undefined {
  if (value === undefined) return undefined;
  const items = [...new Set(value.split(',').map((item) => item.trim()))];
  const bad = items.filter((item) => !pattern.test(item));
  if (bad.length > 0 || items.length === 0)
    throw new InvalidInputError([
      `${flag} must be a comma-separated list of ${what}; not: ${bad.map((item) => `"${item.slice(0, 40)}"`).join(', ')}.`,
    ]);
  return items;
}

function scopeOf(flags: OrgFlags, mode: string): Scope {
  const reasons: string[] = [];
  if (flags.group) reasons.push(`${mode} covers every default group; it does not take --group.`);
  if (flags.finding) reasons.push(`${mode} does not take --finding.`);
  if (flags.region) reasons.push(`${mode} takes --regions (a list), not --region.`);
  if (reasons.length > 0) throw new InvalidInputError(reasons);
  const accounts = listFlag(flags.accounts, '--accounts', ACCOUNT_ID, '12-digit account ids');
  const regions = listFlag(flags.regions, '--regions', REGION, 'regions like us-east-1');
  return { ...(accounts ? { accounts } : {}), ...(regions ? { regions } : {}) };
}

/** `--accounts` / `--regions` belong to the organization modes only. */
export function refuseOrgFlags(flags: OrgFlags): void {
  const used = (['accounts', 'regions'] as const).filter((flag) => flags[flag] !== undefined);
  if (used.length > 0)
    throw new InvalidInputError([
      `${used.map((flag) => `--${flag}`).join(' and ')} go with plan --all-regions or remediate --all-empty.`,
    ]);
  refuseReport(flags);
}

/** The audit's report is written by `plan --all-regions` only. */
export function refuseReport(flags: OrgFlags): void {
  if (flags.report !== undefined) throw new InvalidInputError(['--report goes with plan --all-regions.']);
}

async function reachOf(flags: OrgFlags, scope: Scope): Promise<{ reach: OrgReach; files?: StateFile[] }> {
  if (flags.state && flags.state.length > 0) {
    const files = await loadStateFiles(flags.state);
    return { reach: simulatedReach(files, scope), files };
  }
  return { reach: await awsReach(scope) };
}

function callsOf(files: StateFile[] | undefined): Record<string, number> | undefined {
  if (!files) return undefined;
  const total: Record<string, number> = {};
  for (const { simulator } of files)
    for (const [action, count] of Object.entries(simulator.callCounts())) total[action] = (total[action] ?? 0) + count;
  return total;
}

async function audit(reach: OrgReach, io: Io): Promise<AuditedGroup[]> {
  const progress = progressReporter(io.stderr, Boolean(io.stderrTty));
  return auditOrganization(reach, {
    settings: DEFAULT_SETTINGS,
    onPlace: (done, total, place, rows) => {
      const found = place.unreachable ? 'unreachable' : `${rows.length} default group(s)`;
      progress.update(done, total, `audited ${place.accountId} ${place.region}: ${found}`);
    },
  });
}

/** `plan --all-regions`: every default group in scope, read-only, as a table or one JSON object. */
export async function planAllRegions(flags: OrgFlags, io: Io): Promise<CliResult> {
  const scope = scopeOf(flags, 'plan --all-regions');
  if (flags.out) throw new InvalidInputError(['plan --all-regions reads only; it takes no --out.']);
  if (flags.approve) throw new InvalidInputError(['plan --all-regions reads only; it takes no --approve.']);
  // Checked (and made) before the audit: a report that cannot be written is known before anything is read.
  const reportDir = flags.report === undefined ? undefined : await prepareReportDir(flags.report);
  const { reach, files } = await reachOf(flags, scope);
  const groups = await audit(reach, io);
  const summary = summarizeAudit(groups);
  // Written even when nothing was reached: the report then says why, account by account.
  const report = reportDir ? await writeReports(reportDir, { groups, summary }, new Date()) : undefined;
  if (!flags.json) {
    const lines = [...auditTable(groups), '', auditSummaryLine(summary)];
    if (report) lines.push(`Report: ${report.html} and ${report.csv}`);
    io.stdout(`${lines.join('\n')}\n`);
  }
  const ec2Calls = callsOf(files);
  const unread = nothingReached(groups);
  return {
    outcome: unread ? 'failed' : 'planned',
    ...(unread ? { error: 'Unreachable', reasons: unread } : {}),
    groups,
    summary,
    ...(report ? { report } : {}),
    ...(ec2Calls ? { ec2Calls } : {}),
  };
}

/**
 * When no account/region in scope could be read, the audit found nothing and says why (exit 1): an audit that
 * reached nothing is not a clean bill. The distinct reasons, the most common first.
 */
function nothingReached(groups: AuditedGroup[]): string[] | undefined {
  if (groups.length === 0 || groups.some((group) => group.status !== 'unreachable')) return undefined;
  const counts = new Map<string, number>();
  for (const reason of groups.flatMap((group) => group.reasons)) counts.set(reason, (counts.get(reason) ?? 0) + 1);
  const reasons = [...counts]
    .sort((a, b) => b[1] - a[1])
    .map(([reason, count]) => `${reason} (${count} account/region(s))`);
  return [`No account/region in scope could be read (${groups.length}):`, ...reasons.slice(0, 5)];
}

async function batchDecision(flags: OrgFlags, io: Io): Promise<Decision | 'prompt'> {
  const mode = flags.approve ?? (io.interactive ? 'prompt' : undefined);
  if (mode === 'auto') return 'approved';
  if (mode === 'reject') return 'rejected';
  if (mode === 'prompt') {
    if (!io.interactive) throw new InvalidInputError(['--approve prompt needs a terminal.']);
    return 'prompt';
  }
  if (mode === undefined) throw new InvalidInputError(['--approve auto|reject is required when not on a terminal.']);
  throw new InvalidInputError([
    `remediate --all-empty takes --approve auto, reject or prompt (one decision for the batch), not "${mode.slice(0, 40)}".`,
  ]);
}

async function askOnce(count: number, io: Io): Promise<Decision> {
  const prompt = createInterface({ input: process.stdin, output: process.stderr });
  try {
    const answer = await prompt.question(
      `\nStrip the rules of the ${count} unused default group(s) above, each through the remediation workflow? Type "approve": `,
    );
    return answer.trim().toLowerCase() === 'approve' ? 'approved' : 'rejected';
  } finally {
    prompt.close();
    io.stderr('\n');
  }
}

/**
 * The batch's ledger, one owner per account and region (its state file and where its final state goes), so each
 * group's lock says who holds it and each run's ending is recorded on its remediation as a single run's is
 * (cli/run-ledger.ts): remediated, rejected, or failed and rolled back, with what interrupted it.
 */
function batchLedgers(store: string, command: string, files: StateFile[] | undefined, out: string | undefined) {
  const byPlace = new Map<string, { ledger: RunLedger; rollbackState?: string }>();
  const of = (place: Place) => {
    const key = `${place.accountId}/${place.region}`;
    let found = byPlace.get(key);
    if (!found) {
      const file = files?.find(
        ({ simulator }) => simulator.accountId === place.accountId && simulator.region === place.region,
      );
      const stateFile = file ? resolve(file.path) : undefined;
      const outFile = file && out ? resolve(out, basename(file.path)) : undefined;
      found = {
        ledger: new RunLedger(store, currentOwner(command, { stateFile, outFile })),
        ...((outFile ?? stateFile) ? { rollbackState: outFile ?? stateFile } : {}),
      };
      byPlace.set(key, found);
    }
    return found;
  };
  return {
    of,
    async recordEnding(place: Place, groupId: string, execution: ExecutionResult, cause: string | undefined) {
      const { ledger, rollbackState } = of(place);
      const succeeded = execution.status === 'SUCCEEDED';
      const output = execution.output ?? {};
      const remediationId = String((succeeded && output.remediationId) || execution.executionName);
      await ledger.recordEnding(
        remediationId,
        {
          machine: 'remediate',
          outcome: succeeded ? String(output.outcome) : 'failed',
          executionName: execution.executionName,
          ...(execution.error ? { error: execution.error } : {}),
          ...(cause ? { interruptedBy: cause } : {}),
          ...(succeeded ? {} : { rolledBack: execution.children.some((child) => child.status === 'SUCCEEDED') }),
          ...(rollbackState ? { stateFile: rollbackState } : {}),
        },
        { ...place, groupId },
      );
    },
  };
}

/**
 * `remediate --all-empty`: audits, then strips every `empty` default group through the remediation state machine,
 * one batch decision applied to each run's approval wait. With several state files, `--out DIR` writes each final
 * state as DIR/<its file name>.
 */
export async function remediateAllEmpty(flags: OrgFlags, io: Io): Promise<CliResult> {
  const scope = scopeOf(flags, 'remediate --all-empty');
  refuseReport(flags);
  const decision = await batchDecision(flags, io);
  const simulated = Boolean(flags.state && flags.state.length > 0);
  if (flags.out && !simulated) throw new InvalidInputError(['--out needs --state (it writes the simulated states).']);
  const { reach, files } = await reachOf(flags, scope);
  const groups = await audit(reach, io);
  const audited = summarizeAudit(groups);
  const unread = nothingReached(groups);
  if (unread) {
    if (!flags.json) io.stdout(`${auditSummaryLine(audited)}\n`);
    return {
      outcome: 'failed',
      error: 'Unreachable',
      reasons: unread,
      groups: [],
      summary: { remediated: 0, skipped: 0, failed: 0 },
      audit: audited,
    };
  }
  const empty = groups.filter((group) => group.status === 'empty');
  if (!flags.json) {
    io.stdout(`${auditSummaryLine(audited)}\n`);
    if (empty.length > 0)
      io.stdout(
        `${['Unused default groups to strip:', ...empty.map((group) => `  ${group.accountId} ${group.region} ${group.vpcId} ${group.groupId} (${group.rules} rule(s))`)].join('\n')}\n`,
      );
  }
  if (decision === 'prompt' && empty.length > 0 && (await askOnce(empty.length, io)) === 'rejected') {
    // Declined at the prompt: nothing runs (with --approve reject, each run is started and rejected instead).
    return {
      outcome: 'not-approved',
      reasons: [`The batch was not approved: nothing was changed (${empty.length} group(s) left as they are).`],
      groups: empty.map((group) => ({
        ...group,
        groupId: group.groupId as string,
        result: 'skipped',
        reasons: ['The batch was not approved.'],
      })),
      summary: { remediated: 0, skipped: empty.length, failed: 0 },
      audit: audited,
    };
  }

  const store = resolve(flags.store ?? '.remediation');
  const base = createLocalDeps({ storeDir: store, notifier: { publish: async () => {} } });
  const ledgers = batchLedgers(store, commandLine('remediate', { ...flags }), files, flags.out);
  const mutatingPacers = new Map<string, Pace>();
  // Each bucket's share per account and region, as in the Lambda handlers (PACING_SHARE, docs/decisions.md).
  const pacingShare = Number(process.env.PACING_SHARE) || DEFAULT_PACING_SHARE;
  const depsFor = (place: Place) => {
    const key = `${place.accountId}/${place.region}`;
    let pace = mutatingPacers.get(key);
    if (!pace) {
      pace = simulated ? noPacing : pacer(systemClock, pacingShare);
      mutatingPacers.set(key, pace);
    }
    return {
      ...base,
      ledger: ledgers.of(place).ledger,
      ec2: reach.ec2,
      services: reach.services,
      serviceQuotas: reach.serviceQuotas,
      pace,
    };
  };
  const progress = progressReporter(io.stderr, Boolean(io.stderrTty));
  let results: Awaited<ReturnType<typeof remediateEmptyGroups>>;
  try {
    const run = () =>
      remediateEmptyGroups(groups, {
        depsFor,
        decision: decision === 'prompt' ? 'approved' : decision,
        ...(io.endings ? { signal: io.endings.signal } : {}),
        afterRun: (place, groupId, execution) => ledgers.recordEnding(place, groupId, execution, io.endings?.cause()),
        onGroup: (done, total, row) =>
          progress.update(done, total, `${row.groupId} (${row.accountId} ${row.region}): ${row.outcome ?? row.result}`),
      });
    results = io.endings ? await io.endings.holding(run) : await run();
  } finally {
    if (files && flags.out) {
      await mkdir(flags.out, { recursive: true });
      for (const file of files) await file.simulator.toFile(join(flags.out, basename(file.path)));
    }
  }
  const summary = summarizeBulk(results);
  if (!flags.json) {
    const lines = results.length > 0 ? [...bulkTable(results), ''] : ['No unused default group to strip.', ''];
    lines.push(`${summary.remediated} remediated, ${summary.skipped} skipped, ${summary.failed} failed.`);
    if (summary.remediated > 0)
      lines.push(
        `Roll one back with: ${PROGRAM} rollback --remediation <REMEDIATION>${simulated ? ` --state ${flags.out ? `${flags.out}/<its state file>` : '<its state file>'}` : ''} --store ${flags.store ?? '.remediation'}`,
      );
    io.stdout(`${lines.join('\n')}\n`);
  }
  const ec2Calls = callsOf(files);
  return {
    outcome: summary.failed > 0 ? 'failed' : 'remediated',
    groups: results,
    summary,
    audit: audited,
    ...(ec2Calls ? { ec2Calls } : {}),
  };
}
