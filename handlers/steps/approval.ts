import * as z from 'zod';
import { describePlan } from '../core/messages.ts';
import { cleanSubject, composeNotice, linkHostLine, NO_LINKS_LINE, NOTICE_LIST_LIMIT } from '../core/notices.ts';
import type { Plan } from '../core/plan.ts';
import { snapshotKey } from '../core/snapshot.ts';
import { describeTightening, type TightenSnapshot, tightenSnapshotKey } from '../core/tighten.ts';
import { plainText } from '../core/untrusted.ts';
import type { Notification, TaskCallbacks } from '../ports.ts';
import { loadSnapshot, parseInput, replacementGroupIdSchema, runSchema } from './common.ts';
import type { Deps } from './deps.ts';
import { joinDigest } from './digest-window.ts';
import { loadTightenSnapshot } from './tighten.ts';

const requestSchema = runSchema.extend({
  taskToken: z.string().min(1).max(2048),
  replacementGroupId: replacementGroupIdSchema.nullish(),
});

/** Keeps the task token under a fresh opaque approval id, pending until it is decided or expires. */
async function storeApproval(
  deps: Deps,
  remediationId: string,
  taskToken: string,
): Promise<{ approvalId: string; expiresAt: number }> {
  const now = deps.now();
  const approvalId = deps.randomId();
  const expiresAt = Math.floor(now.getTime() / 1000) + deps.settings.approvalTimeoutSeconds;
  await deps.ledger.putApproval({
    approvalId,
    remediationId,
    taskToken,
    status: 'pending',
    expiresAt,
    createdAt: now.toISOString(),
  });
  return { approvalId, expiresAt };
}

/**
 * "Wait for approval": stores the task token under a fresh opaque approval id (links carry the id, never the
 * token), and sends the approval request. The state machine then waits until the decision sends the token back.
 */
export async function requestApproval(raw: unknown, deps: Deps): Promise<{ approvalId: string; expiresAt: number }> {
  const input = parseInput(requestSchema, raw);
  const { plan } = await loadSnapshot(deps, input.remediationId, input.target.groupId);
  const { approvalId, expiresAt } = await storeApproval(deps, input.remediationId, input.taskToken);
  // With digests on, the batch window's one notice asks for it (steps/digest.ts); else, or when it came late, this one.
  const inDigest = await joinDigest(deps, { kind: 'approval', remediationId: input.remediationId, approvalId });
  if (!inDigest)
    await deps.notifier.publish(approvalNotice(plan, { ...input, approvalId, expiresAt }, deps.settings.linkBaseUrl));
  deps.log.info('approval requested', { remediationId: input.remediationId, expiresAt, inDigest });
  return { approvalId, expiresAt };
}

/**
 * The approval request: the summary, then at once the link to the page and the host it goes to, the deadline; then
 * the plan in words with every list bounded — the page shows all of it (docs/decisions.md, "Notices").
 */
export function approvalNotice(
  plan: Plan,
  request: {
    remediationId: string;
    target: { findingId?: string | undefined };
    replacementGroupId?: string | null | undefined;
    approvalId: string;
    expiresAt: number;
  },
  linkBaseUrl: string | undefined,
): Notification {
  const deadline = new Date(request.expiresAt * 1000).toISOString();
  const links = decideLines(request.approvalId, linkBaseUrl);
  const where = linkBaseUrl
    ? 'the full plan is on the approval page'
    : `the full plan is in the snapshot ${snapshotKey(request.remediationId)}`;
  return {
    subject: cleanSubject(`Approve EC2.2 remediation of ${plan.defaultGroupId} (${plan.accountId} ${plan.region})`),
    message: composeNotice({
      head: [
        `Remediation ${request.remediationId} of ${plan.defaultGroupId} is waiting for your approval.`,
        ...links,
        `Reject it, or let it expire at ${deadline}, and everything is put back as it was.`,
        ...(request.target.findingId ? [`Finding: ${request.target.findingId}`] : []),
        request.replacementGroupId
          ? `Done so far (reversible): replacement group ${request.replacementGroupId} created, references added, interfaces moved.`
          : 'Nothing has been changed so far.',
      ],
      body: ['', ...describePlan(plan, { limit: NOTICE_LIST_LIMIT, where })],
      where,
    }),
  };
}

/**
 * "Wait for approval of the tightening": as requestApproval, with the tightening's own notice. Its own approval id and
 * record: approving a migration never approves a tightening, nor the reverse.
 */
export async function requestTightening(raw: unknown, deps: Deps): Promise<{ approvalId: string; expiresAt: number }> {
  const input = parseInput(requestSchema, raw);
  const snapshot = await loadTightenSnapshot(deps, input.remediationId);
  const { approvalId, expiresAt } = await storeApproval(deps, input.remediationId, input.taskToken);
  await deps.notifier.publish(tightenApprovalNotice(snapshot, { approvalId, expiresAt }, deps.settings.linkBaseUrl));
  deps.log.info('approval requested', { remediationId: input.remediationId, expiresAt });
  return { approvalId, expiresAt };
}

/**
 * Where the approver decides: the approval page's link and the host it goes to, or — without a link base (a local run
 * that is not --approve web) — that the command line decides: said, not an invented link.
 */
function decideLines(approvalId: string, linkBaseUrl: string | undefined): string[] {
  return linkBaseUrl
    ? [`Review and decide: ${linkBaseUrl.replace(/\/$/, '')}/approvals/${approvalId}`, linkHostLine(linkBaseUrl)]
    : [
        'Review and decide: this local run is decided on the command line (--approve auto|reject|prompt|web).',
        NO_LINKS_LINE,
      ];
}

/**
 * The tightening's approval request: the summary, the link (deployed) or the command line (local), the deadline; then
 * the change in words and as a traffic-model diff — what will no longer be allowed, by peer and port — every list
 * bounded (the page shows all of it).
 */
export function tightenApprovalNotice(
  snapshot: TightenSnapshot,
  request: { approvalId: string; expiresAt: number },
  linkBaseUrl: string | undefined,
): Notification {
  const deadline = new Date(request.expiresAt * 1000).toISOString();
  const links = decideLines(request.approvalId, linkBaseUrl);
  const where = linkBaseUrl
    ? 'the full change is on the approval page'
    : `the full change is in the snapshot ${tightenSnapshotKey(snapshot.tightenId)}`;
  return {
    subject: cleanSubject(`Approve tightening ${snapshot.groupId} (${snapshot.accountId} ${snapshot.region})`),
    message: composeNotice({
      head: [
        `Tightening ${snapshot.tightenId} of ${snapshot.groupId} is waiting for your approval.`,
        ...links,
        `Reject it, or let it expire at ${deadline}, and nothing is changed. Nothing has been changed so far.`,
        'Once approved: the proposed rules are added first, the group is checked again, then the broad rules are revoked; any failure puts the rules back.',
      ],
      body: ['', ...describeTightening(snapshot, NOTICE_LIST_LIMIT).map((line) => plainText(line))],
      where,
    }),
  };
}

export type Decision = 'approved' | 'rejected';

export type DecideOutcome = 'approved' | 'rejected' | 'already-decided' | 'expired' | 'unknown';

/** Records a decision once (conditional update) and sends the task token back to Step Functions. */
export async function decideApproval(
  approvalId: string,
  decision: Decision,
  deps: Deps,
  callbacks: TaskCallbacks,
): Promise<{ outcome: DecideOutcome; remediationId?: string }> {
  const result = await deps.ledger.decideApproval(approvalId, decision, Math.floor(deps.now().getTime() / 1000));
  if (!result.decided) {
    if (!result.record) return { outcome: 'unknown' };
    return {
      outcome: result.record.status === 'expired' ? 'expired' : 'already-decided',
      remediationId: result.record.remediationId,
    };
  }
  const record = result.record;
  if (!record) return { outcome: 'unknown' };
  if (decision === 'approved')
    await callbacks.succeed(record.taskToken, { decision, decidedAt: deps.now().toISOString() });
  else await callbacks.fail(record.taskToken, 'Rejected', 'The approver rejected the remediation.');
  deps.log.info('approval decided', { remediationId: record.remediationId, decision });
  return { outcome: decision, remediationId: record.remediationId };
}
