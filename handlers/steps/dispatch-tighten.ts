/**
 * The dispatcher of the "Tighten EC2.2 copy" custom action: on findings of default groups already remediated, it
 * starts the tighten state machine once per group, on the copy its latest remediation made. Which remediation is the
 * latest: the one whose id the finding's note carries — every remediation's UpdateFinding step overwrites the note
 * (`Closed by default-sg-remediation <id>: …`, handlers/steps/report.ts), and a rollback overwrites it again — checked
 * against the ledger (same account, Region and group, status `stripped`, a copy recorded), so a hand-edited note cannot
 * point at another group's copy. A group without such a note or record is skipped with the reason, in one notice.
 * An invalid batch starts nothing and tells the team, as the "Remediate EC2.2" dispatcher does.
 */
import { createHash } from 'node:crypto';
import { parseActionGroups, type RemediationTarget } from '../core/finding.ts';
import { boundedList, cleanSubject, composeNotice } from '../core/notices.ts';
import { quote } from '../core/untrusted.ts';
import type { RemediationStarter } from '../ports.ts';
import type { Deps } from './deps.ts';
import { oversizedEvent } from './dispatch.ts';

/** The custom action's name as Security Hub shows it (at most 20 characters: CreateActionTarget). */
export const TIGHTEN_ACTION_NAME = 'Tighten EC2.2 copy';

/** The note a remediation leaves on the finding it resolves: the remediation id is its fourth word. */
const REMEDIATED_NOTE = /^Closed by default-sg-remediation ([A-Za-z0-9-]{1,80}): /;

export interface TightenRun {
  accountId: string;
  region: string;
  /** The default group the findings name. */
  groupId: string;
  remediationId: string;
  /** The copy being tightened. */
  copyGroupId: string;
  executionName: string;
  executionArn: string;
  findings: number[];
  alreadyStarted: boolean;
}

export type TightenDispatchOutput =
  | { outcome: 'dispatched'; runs: TightenRun[]; skipped: { groupId: string; findings: number[]; reason: string }[] }
  | { outcome: 'refused'; reasons: string[] };

/**
 * `tgt-<24 hex digits of SHA-256(event id, account, Region, copy)>`: the same event delivered twice starts nothing
 * new; the action used again later is another event. The tighten machine's run id is its execution name.
 */
export function tightenExecutionName(
  input: unknown,
  copy: Pick<RemediationTarget, 'accountId' | 'region' | 'groupId'>,
) {
  const id = (input as { id?: unknown } | null)?.id;
  const batch = typeof id === 'string' && id !== '' ? `id:${id}` : `input:${JSON.stringify(input)}`;
  const digest = createHash('sha256')
    .update(`${batch}\n${copy.accountId}\n${copy.region}\n${copy.groupId}`)
    .digest('hex')
    .slice(0, 24);
  return `tgt-${digest}`;
}

/** The copy of the group's latest remediation, or why there is none to tighten. */
async function copyOf(
  deps: Deps,
  target: RemediationTarget,
  notes: readonly string[],
): Promise<{ remediationId: string; copyGroupId: string } | { reason: string }> {
  const remediationId = notes.map((note) => REMEDIATED_NOTE.exec(note)?.[1]).find((id) => id !== undefined);
  if (!remediationId)
    return {
      reason:
        'its finding carries no "Closed by default-sg-remediation" note: the group was never remediated by this tool, or its remediation was rolled back. Remediate it first.',
    };
  const record = await deps.ledger.getRemediation(remediationId);
  if (!record) return { reason: `the ledger has no remediation ${quote(remediationId)} (the note names it).` };
  if (record.accountId !== target.accountId || record.region !== target.region || record.groupId !== target.groupId)
    return { reason: `remediation ${quote(remediationId)} in the note is of another group: nothing started.` };
  if (record.status !== 'stripped' || !record.replacementGroupId)
    return {
      reason: `remediation ${quote(remediationId)} is ${quote(record.status)}, not finished (stripped): there is no copy to tighten yet.`,
    };
  return { remediationId, copyGroupId: record.replacementGroupId };
}

export async function dispatchTighten(
  input: unknown,
  deps: Deps,
  starter: RemediationStarter,
): Promise<TightenDispatchOutput> {
  const oversized = oversizedEvent(input);
  const parsed = oversized ? { kind: 'invalid' as const, reasons: [oversized] } : parseActionGroups(input);
  if (parsed.kind === 'invalid') {
    deps.log.warn('tighten batch refused, nothing started', { reasons: parsed.reasons.length });
    await deps.notifier.publish({
      subject: cleanSubject('Tightening refused, nothing started'),
      message: composeNotice({
        head: [`The "${TIGHTEN_ACTION_NAME}" action was refused: no tightening was started for any selected finding.`],
        body: ['', `Why (${parsed.reasons.length}):`, ...boundedList(parsed.reasons, 'the function log')],
        where: 'the function log',
      }),
    });
    return { outcome: 'refused', reasons: parsed.reasons };
  }
  const runs: TightenRun[] = [];
  const skipped: { groupId: string; findings: number[]; reason: string }[] = [];
  for (const group of parsed.groups) {
    const { accountId, region, groupId } = group.target;
    const copy = await copyOf(deps, group.target, group.notes);
    if ('reason' in copy) {
      skipped.push({ groupId, findings: group.findings, reason: copy.reason });
      continue;
    }
    const executionName = tightenExecutionName(input, { accountId, region, groupId: copy.copyGroupId });
    const started = await starter.start(executionName, {
      target: { accountId, region, groupId: copy.copyGroupId },
    });
    deps.log.info('tightening started for a group of the batch', {
      groupId,
      copyGroupId: copy.copyGroupId,
      executionName,
      alreadyStarted: started.alreadyStarted,
    });
    runs.push({ accountId, region, groupId, ...copy, executionName, findings: group.findings, ...started });
  }
  if (skipped.length > 0) {
    const lines = skipped.map(
      ({ groupId, findings, reason }) => `${groupId} (detail.findings[${findings.join('], [')}]): ${reason}`,
    );
    await deps.notifier.publish({
      subject: cleanSubject(`Tightening: ${skipped.length} group(s) skipped`),
      message: composeNotice({
        head: [
          `The "${TIGHTEN_ACTION_NAME}" action started ${runs.length} tightening(s) and skipped ${skipped.length} group(s).`,
        ],
        body: ['', `Skipped (${skipped.length}):`, ...boundedList(lines, 'the function log')],
        where: 'the function log',
      }),
    });
  }
  return { outcome: 'dispatched', runs, skipped };
}
