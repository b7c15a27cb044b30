/**
 * `--finding` with several findings (issue 13, point 2): a "Remediate EC2.2" custom action event carries every finding
 * selected (up to 20). Read as the deployed dispatcher reads it (handlers/steps/dispatch.ts): `parseRemediationBatch`
 * folds the findings naming the same group into one run, refuses the whole batch when one finding is invalid (exit 2,
 * naming `detail.findings[i]…`, nothing run), and each run gets the event reduced to its group's first finding, which
 * the run's ParseFinding validates again. The command line then plans or remediates the runs one after the other and
 * ends with one summary.
 */
import { InvalidInputError } from '../handlers/core/errors.ts';
import { parseRemediationBatch, type RemediationTarget } from '../handlers/core/finding.ts';
import { plainText } from '../handlers/core/untrusted.ts';
import { MAX_EVENT_BYTES } from '../handlers/steps/parse.ts';
import type { CliResult, Outcome } from './main.ts';

export interface FindingRun {
  target: RemediationTarget;
  /** The event with only this group's first finding: what one execution takes. */
  input: unknown;
  /** Indexes in `detail.findings` of the findings naming this group. */
  findings: number[];
}

export interface FindingBatch {
  runs: FindingRun[];
  skipped: { index: number; reason: string }[];
}

/**
 * The runs of an event with several findings; undefined for any other input (one finding, a direct input), which the
 * commands take as before. An invalid batch is refused as a whole.
 */
export function findingBatchOf(event: unknown): FindingBatch | undefined {
  const findings = (event as { detail?: { findings?: unknown } } | null)?.detail?.findings;
  if (!Array.isArray(findings) || findings.length < 2) return undefined;
  const size = Buffer.byteLength(JSON.stringify(event) ?? '', 'utf8');
  if (size > MAX_EVENT_BYTES)
    throw new InvalidInputError([
      `--finding: the event is ${Math.ceil(size / 1024)} KiB, over 256 KiB, the largest EventBridge delivers.`,
    ]);
  const parsed = parseRemediationBatch(event);
  if (parsed.kind === 'invalid')
    throw new InvalidInputError(parsed.reasons.map((reason) => `--finding: ${reason} Nothing was run.`));
  const whole = event as { detail: Record<string, unknown> };
  return {
    runs: parsed.runs.map((run) => ({
      target: run.target,
      input: { ...whole, detail: { ...whole.detail, findings: [findings[run.findings[0] as number]] } },
      findings: run.findings,
    })),
    skipped: parsed.skipped,
  };
}

/** Which outcome a batch is reported as: the first of these any of its runs had. */
const BATCH_PRECEDENCE: Outcome[] = [
  'failed',
  'blocked',
  'rejected',
  'not-approved',
  'rolled-back',
  'remediated',
  'planned',
  'compliant',
  'skipped',
];

/** One result for the whole batch: its outcome, and per group the run's outcome, reasons and rollback command. */
export function batchResult(batch: FindingBatch, results: CliResult[], notStarted: FindingRun[]): CliResult {
  const outcomes = new Set(results.map((result) => result.outcome));
  const outcome =
    BATCH_PRECEDENCE.find((candidate) => outcomes.has(candidate)) ?? (notStarted.length > 0 ? 'failed' : 'skipped');
  return {
    outcome,
    runs: results.map((result, index) => {
      const run = batch.runs[index] as FindingRun;
      const { plan: _plan, ec2Calls: _calls, ...rest } = result;
      return {
        ...rest,
        accountId: run.target.accountId,
        region: run.target.region,
        groupId: run.target.groupId,
        findings: run.findings,
      };
    }),
    ...(batch.skipped.length > 0 ? { skipped: batch.skipped } : {}),
    ...(notStarted.length > 0
      ? { notStarted: notStarted.map((run) => ({ groupId: run.target.groupId, findings: run.findings })) }
      : {}),
  };
}

/** The summary at the end: one line per group (outcome, reasons, how to undo), the skipped findings, what did not run. */
export function batchSummary(result: CliResult): string[] {
  const runs = (result.runs ?? []) as CliResult[];
  const lines = [`\nOutcome: ${result.outcome} (${runs.length} group(s) from one event)`];
  for (const run of runs) {
    lines.push(
      `  ${run.groupId} (${run.accountId} ${run.region}): ${run.outcome}${run.remediationId ? ` (remediation ${run.remediationId})` : ''}`,
    );
    for (const reason of run.reasons ?? []) lines.push(`      - ${plainText(reason)}`);
    if (typeof run.rollbackCommand === 'string') lines.push(`      Undo it with: ${plainText(run.rollbackCommand)}`);
    if (Array.isArray(run.findings) && run.findings.length > 1)
      lines.push(`      findings ${run.findings.map((i) => `[${i}]`).join(', ')} name this group: one run`);
  }
  for (const skip of (result.skipped ?? []) as { index: number; reason: string }[])
    lines.push(`  detail.findings[${skip.index}]: skipped, ${plainText(skip.reason)}`);
  for (const run of (result.notStarted ?? []) as { groupId: string }[])
    lines.push(`  ${run.groupId}: not started (the process was ending)`);
  return lines;
}
