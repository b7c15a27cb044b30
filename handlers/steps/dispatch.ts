/**
 * The dispatcher of the "Remediate EC2.2" custom action: Security Hub sends every finding selected (up to 20) in one
 * event; this starts one remediation execution per distinct default group (core/finding.ts parseRemediationBatch
 * folds findings naming the same group), each with a one-finding event that ParseFinding validates again. The
 * execution name comes from the event id and the group (core/finding.ts batchExecutionName), so the same event
 * delivered twice — EventBridge retries, Lambda's own retries — starts no second run; the group locks stop two runs of
 * the same group started from different events.
 */
import { batchExecutionName, parseRemediationBatch } from '../core/finding.ts';
import { boundedList, cleanSubject, composeNotice } from '../core/notices.ts';
import type { RemediationStarter } from '../ports.ts';
import type { Deps } from './deps.ts';
import { MAX_EVENT_BYTES } from './parse.ts';

export interface DispatchedRun {
  accountId: string;
  region: string;
  groupId: string;
  executionName: string;
  executionArn: string;
  /** Indexes in `detail.findings` of the findings naming this group (folded into this one run). */
  findings: number[];
  alreadyStarted: boolean;
}

export type DispatchOutput =
  | { outcome: 'dispatched'; runs: DispatchedRun[]; skipped: { index: number; reason: string }[] }
  | { outcome: 'refused'; reasons: string[] };

/** Why an event is too big to read (over what EventBridge delivers), or nothing: read before any parsing. */
export function oversizedEvent(input: unknown): string | undefined {
  const size = Buffer.byteLength(JSON.stringify(input) ?? '', 'utf8');
  if (size <= MAX_EVENT_BYTES) return undefined;
  return `The event is ${Math.ceil(size / 1024)} KiB, over 256 KiB, the largest EventBridge delivers.`;
}

/** One run per distinct group of the event, started in order; a refused batch starts nothing and tells the team. */
export async function dispatchFindings(
  input: unknown,
  deps: Deps,
  starter: RemediationStarter,
): Promise<DispatchOutput> {
  const oversized = oversizedEvent(input);
  const parsed = oversized ? { kind: 'invalid' as const, reasons: [oversized] } : parseRemediationBatch(input);
  if (parsed.kind === 'invalid') {
    deps.log.warn('batch refused, nothing started', { reasons: parsed.reasons.length });
    await deps.notifier.publish({
      subject: cleanSubject('EC2.2 remediation refused, nothing started'),
      message: composeNotice({
        head: [
          'The "Remediate EC2.2" action was refused: no remediation was started for any of the selected findings.',
        ],
        body: ['', `Why (${parsed.reasons.length}):`, ...boundedList(parsed.reasons, 'the function log')],
        where: 'the function log',
      }),
    });
    return { outcome: 'refused', reasons: parsed.reasons };
  }
  const event = input as { id?: unknown; detail?: { findings?: unknown[] } };
  const runs: DispatchedRun[] = [];
  for (const run of parsed.runs) {
    const { accountId, region, groupId } = run.target;
    const executionName = batchExecutionName(input, run.target);
    const first = run.findings[0] as number;
    // The run's own input: the event with only its group's first finding, read again by ParseFinding; a direct input
    // (no findings) is passed as it is.
    const runInput = Array.isArray(event.detail?.findings)
      ? { ...event, detail: { ...event.detail, findings: [event.detail.findings[first]] } }
      : input;
    const started = await starter.start(executionName, runInput);
    deps.log.info('remediation started for a group of the batch', {
      groupId,
      executionName,
      folded: run.findings.length - 1,
      alreadyStarted: started.alreadyStarted,
    });
    runs.push({ accountId, region, groupId, executionName, findings: run.findings, ...started });
  }
  for (const skip of parsed.skipped)
    deps.log.info('finding needs no action', { index: skip.index, reason: skip.reason });
  return { outcome: 'dispatched', runs, skipped: parsed.skipped };
}
