/** Closing steps: annotate the finding and tell people what happened. */
import * as z from 'zod';
import { describeFailure } from '../core/failures.ts';
import { describePlan } from '../core/messages.ts';
import { boundedList, cleanSubject, composeNotice, linkHostLine, NOTICE_LIST_LIMIT } from '../core/notices.ts';
import type { Plan } from '../core/plan.ts';
import { snapshotKey } from '../core/snapshot.ts';
import { describeTightening, openTightenSnapshot, type TightenSnapshot, tightenSnapshotKey } from '../core/tighten.ts';
import { plainText } from '../core/untrusted.ts';
import { createRollbackLink } from '../http/rollback-links.ts';
import type { DigestOutcomeEvent, Notification } from '../ports.ts';
import { parseInput, remediationIdSchema, replacementGroupIdSchema, targetSchema } from './common.ts';
import type { Deps } from './deps.ts';
import { joinDigest } from './digest-window.ts';
import { TIGHTEN_ACTION_NAME } from './dispatch-tighten.ts';

const findingSchema = z.object({
  remediationId: remediationIdSchema,
  target: targetSchema,
  event: z.enum(['remediated', 'compliant', 'rolled-back']),
});

const NOTES = {
  remediated: (id: string) =>
    `Closed by default-sg-remediation ${id}: members moved to a copy, default group stripped. Roll back with the "Roll back EC2.2" action or: npm run cli -- rollback --remediation ${id}`,
  compliant: (id: string) => `Checked by default-sg-remediation ${id}: the default group has no rules.`,
  'rolled-back': (id: string) => `default-sg-remediation ${id} was rolled back: the default group is as it was.`,
} as const;

/** "Resolve the finding" (or annotate it after a rollback). A direct run without a finding has nothing to update. */
export async function updateFinding(raw: unknown, deps: Deps): Promise<{ updated: boolean }> {
  const input = parseInput(findingSchema, raw);
  const { findingId, productArn } = input.target;
  if (!findingId || !productArn) return { updated: false };
  await deps.findings.update(
    { findingId, productArn, accountId: input.target.accountId },
    {
      workflowStatus: input.event === 'rolled-back' ? 'NEW' : 'RESOLVED',
      note: NOTES[input.event](input.remediationId),
    },
  );
  return { updated: true };
}

const notifySchema = z.object({
  remediationId: remediationIdSchema,
  target: targetSchema.partial().optional(),
  event: z.enum(['blocked', 'remediated', 'rolled-back', 'failed', 'rejected', 'tightened']),
  reasons: z.array(z.string()).optional(),
  /** The copy a remediation made: the completion notice says how to tighten it. */
  replacementGroupId: replacementGroupIdSchema.nullish(),
  error: z.object({ Error: z.string().optional(), Cause: z.string().optional() }).optional(),
});

const SUBJECTS = {
  blocked: 'EC2.2 remediation blocked, nothing changed',
  remediated: 'EC2.2 remediated',
  'rolled-back': 'EC2.2 remediation rolled back',
  failed: 'EC2.2 remediation failed',
  rejected: 'EC2.2 remediation rejected and rolled back',
  tightened: 'Copy tightened to least privilege',
} as const;

/** A tightening's notices (tighten): its own subjects, so that no one takes one for the migration's. */
const TIGHTEN_SUBJECTS = {
  blocked: 'Tightening blocked, nothing changed',
  remediated: 'Copy tightened to least privilege',
  tightened: 'Copy tightened to least privilege',
  'rolled-back': 'Tightening rolled back',
  failed: 'Tightening failed',
  rejected: 'Tightening rejected, nothing changed',
} as const;

/** Readable reasons from a Step Functions error (core/failures.ts), the first one naming the error. */
export function reasonsFromError(error: { Error?: string; Cause?: string } | undefined): string[] {
  if (!error) return [];
  const failure = describeFailure(error.Error, error.Cause);
  const [first = 'Unknown error.', ...rest] = failure.reasons;
  const name = failure.error ?? 'Error';
  return [first.includes(name) ? first : `${name}: ${first}`, ...rest];
}

/** Under the summary: what the reasons are, by event. */
const REASONS_TITLES = {
  blocked: 'Why nothing was changed',
  remediated: 'Found during the approval wait',
  'rolled-back': 'Interfaces deleted since the remediation, so not moved back',
  failed: 'Why',
  rejected: 'Why',
  tightened: 'Notes',
} as const;

/** The outcomes a batch window folds into its digest; a failure is always mailed at once. */
const FOLDED_EVENTS: ReadonlySet<string> = new Set(['remediated', 'blocked', 'rejected', 'rolled-back']);

export type OutcomeEvent = z.infer<typeof notifySchema>['event'];

export interface Outcome {
  remediationId: string;
  event: OutcomeEvent;
  target?: { accountId?: string | undefined; region?: string | undefined; groupId?: string | undefined } | undefined;
  reasons: string[];
  /** The copy a remediation made: the completion notice says how to tighten it. */
  replacementGroupId?: string | null | undefined;
}

/**
 * "Send the … notice": one SNS message per outcome, or — with digests on — a line in the batch window's digest for
 * the outcomes a batch reports together (docs/decisions.md, "One decision per batch").
 */
export async function notify(raw: unknown, deps: Deps): Promise<{ sent: boolean; digest?: true }> {
  const input = parseInput(notifySchema, raw);
  const tightenText = await deps.store.get(tightenSnapshotKey(input.remediationId));
  if (tightenText !== undefined)
    return notifyTightening(input, openTightenSnapshot(tightenText, input.remediationId), deps);
  const outcome: Outcome = {
    remediationId: input.remediationId,
    event: input.event,
    target: input.target,
    reasons: [...(input.reasons ?? []), ...reasonsFromError(input.error)],
    replacementGroupId: input.replacementGroupId,
  };
  // Deployed, a completion carries a single-use rollback link; locally, the command that does the same.
  const link =
    input.event === 'remediated' && deps.settings.linkBaseUrl
      ? await createRollbackLink(deps, input.remediationId)
      : undefined;
  const { accountId, region, groupId } = input.target ?? {};
  if (FOLDED_EVENTS.has(input.event) && accountId && region && groupId) {
    const joined = await joinDigest(deps, {
      kind: 'outcome',
      event: input.event as DigestOutcomeEvent,
      remediationId: input.remediationId,
      accountId,
      region,
      groupId,
      ...(link ? { rollbackLinkId: link.linkId } : {}),
      ...(outcome.reasons.length > 0 ? { reasons: outcome.reasons.slice(0, NOTICE_LIST_LIMIT) } : {}),
    });
    if (joined) return { sent: false, digest: true };
  }
  await deps.notifier.publish(await outcomeNotice(deps, outcome, link));
  return { sent: true };
}

/**
 * The notice of one outcome. The summary, then (completion, deployed) the rollback link and its host, then the
 * reasons and the plan in words, every list bounded (docs/decisions.md, "Notices").
 */
export async function outcomeNotice(
  deps: Deps,
  input: Outcome,
  link: { url?: string; expiresAt: number } | undefined,
): Promise<Notification> {
  const groupId = input.target?.groupId ?? 'the default group';
  const reasons = input.reasons;
  const text = await deps.store.get(snapshotKey(input.remediationId));
  const plan = text === undefined ? undefined : (JSON.parse(text) as { plan: Plan }).plan;
  const head = [
    `${SUBJECTS[input.event]}: ${groupId}${input.target?.accountId ? ` in ${input.target.accountId} ${input.target.region}` : ''}.`,
  ];
  let where = plan ? `the full plan is in the snapshot ${snapshotKey(input.remediationId)}` : 'no snapshot was stored';
  if (input.event === 'remediated') {
    const { linkBaseUrl } = deps.settings;
    if (linkBaseUrl && link?.url) {
      head.push(
        `Roll back with one click (link valid until ${new Date(link.expiresAt * 1000).toISOString()}): ${link.url}`,
        linkHostLine(linkBaseUrl),
      );
      where = 'the full plan is on the rollback page';
    } else {
      head.push(
        `To undo it: npm run cli -- rollback --remediation ${input.remediationId} (or the "Roll back EC2.2" action).`,
        'This message has no links: a local run is rolled back from the command line.',
      );
    }
  }
  if (input.event === 'remediated' && input.replacementGroupId && input.target?.accountId)
    head.push(...tightenTheCopy(input.replacementGroupId, input.target, Boolean(deps.settings.linkBaseUrl)));
  head.push(`Remediation id: ${input.remediationId}`);
  // A blocked plan's reasons are the notice's reasons: listed once, first.
  const body = [
    ...(reasons.length > 0
      ? ['', `${REASONS_TITLES[input.event]} (${reasons.length}):`, ...boundedList(reasons, where)]
      : []),
    ...(plan
      ? [
          '',
          ...describePlan(plan, {
            limit: NOTICE_LIST_LIMIT,
            where,
            withoutReasons: input.event === 'blocked' && reasons.length > 0,
          }),
        ]
      : []),
  ];
  return {
    subject: cleanSubject(`${SUBJECTS[input.event]}: ${groupId}`),
    message: composeNotice({ head, body, where }),
  };
}

/**
 * The completion notice's way to the next step of CIS 5.4: tighten the copy to what its flow logs show. Deployed, the
 * custom action (handlers/steps/dispatch-tighten.ts) and the tighten state machine's input; locally, the command.
 */
function tightenTheCopy(
  copyId: string,
  target: { accountId?: string | undefined; region?: string | undefined },
  deployed: boolean,
): string[] {
  const input = JSON.stringify({ target: { accountId: target.accountId, region: target.region, groupId: copyId } });
  return [
    deployed
      ? `Tighten the copy to least privilege from its flow logs: the "${TIGHTEN_ACTION_NAME}" action on this finding in Security Hub, or start this deployment's Tighten state machine with ${input} (either asks for approval first).`
      : `Tighten the copy to least privilege from its flow logs: npm run cli -- tighten --group ${copyId} --state STATE --flow-logs FILE… --approve prompt`,
  ];
}

/** A tightening's notice: its own subject, the change in words and as a traffic diff, the way to roll it back. */
async function notifyTightening(
  input: z.infer<typeof notifySchema>,
  snapshot: TightenSnapshot,
  deps: Deps,
): Promise<{ sent: true }> {
  const reasons = [...(input.reasons ?? []), ...reasonsFromError(input.error)];
  const where = `the full change is in the snapshot ${tightenSnapshotKey(snapshot.tightenId)}`;
  const head = [`${TIGHTEN_SUBJECTS[input.event]}: ${snapshot.groupId} in ${snapshot.accountId} ${snapshot.region}.`];
  if (input.event === 'tightened')
    head.push(
      `To undo it: npm run cli -- rollback --remediation ${snapshot.tightenId} (or start the rollback state machine with {"remediationId": "${snapshot.tightenId}"}).`,
    );
  head.push(`Tightening id: ${snapshot.tightenId}`);
  const body = [
    ...(reasons.length > 0
      ? ['', `${REASONS_TITLES[input.event]} (${reasons.length}):`, ...boundedList(reasons, where)]
      : []),
    '',
    ...describeTightening(snapshot, NOTICE_LIST_LIMIT).map((line) => plainText(line)),
  ];
  await deps.notifier.publish({
    subject: cleanSubject(`${TIGHTEN_SUBJECTS[input.event]}: ${snapshot.groupId}`),
    message: composeNotice({ head, body, where }),
  });
  return { sent: true };
}
