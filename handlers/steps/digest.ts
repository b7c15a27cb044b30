/**
 * One decision per batch (docs/decisions.md, "One decision per batch"). With `digestWindowSeconds` > 0, a run that
 * waits for approval, and a run whose outcome a batch reports together (done, blocked, rejected), joins the batch
 * window its time falls in instead of sending its own notice. The digest sender — scheduled in the deployment, called
 * by the local runner's caller — closes each window once it has passed and sends ONE notice for it: a window with a
 * single run gets exactly the notice that run would have sent on its own; more get a digest linking to one page,
 * where the approver approves all, some or none. Every decision goes through `decideApproval`, the conditional path of
 * the single approval page: a run decided twice answers already-decided, an expired one expired.
 */
import { randomBytes } from 'node:crypto';
import { type DigestLine, type DigestLineState, digestNotice } from '../core/digest.ts';
import { approvalRequired } from '../core/plan.ts';
import { openSnapshot, snapshotKey } from '../core/snapshot.ts';
import { rollbackLinkUrl } from '../http/rollback-links.ts';
import { type DigestEntry, type DigestRecord, EXECUTION_ENDED, type TaskCallbacks } from '../ports.ts';
import { approvalNotice, type DecideOutcome, decideApproval } from './approval.ts';
import type { Deps } from './deps.ts';
import { outcomeNotice } from './report.ts';

const seconds = (date: Date) => Math.floor(date.getTime() / 1000);

/** A digest's lines as they stand now: each entry with its plan (from the snapshot) and its approval's state. */
export async function digestLines(deps: Deps, entries: readonly DigestEntry[]): Promise<DigestLine[]> {
  const now = seconds(deps.now());
  return Promise.all(
    entries.map(async (entry): Promise<DigestLine> => {
      const text = await deps.store.get(snapshotKey(entry.remediationId));
      let plan: DigestLine['plan'];
      try {
        plan = text === undefined ? undefined : openSnapshot(text, { remediationId: entry.remediationId }).plan;
      } catch (error) {
        deps.log.error('snapshot unreadable for a digest', {
          remediationId: entry.remediationId,
          error: error instanceof Error ? error.name : typeof error,
        });
      }
      if (entry.kind === 'outcome') {
        const link = entry.rollbackLinkId
          ? rollbackLinkUrl(deps.settings.linkBaseUrl, entry.rollbackLinkId)
          : undefined;
        const state: DigestLineState =
          entry.event === 'remediated' && plan && !approvalRequired(plan, deps.settings.approvalMode)
            ? 'remediated-without-approval'
            : entry.event;
        return {
          entry,
          accountId: entry.accountId,
          region: entry.region,
          groupId: entry.groupId,
          ...(plan ? { plan } : {}),
          state,
          ...(link ? { rollbackUrl: link } : {}),
        };
      }
      const approval = await deps.ledger.getApproval(entry.approvalId);
      const status = approval?.status ?? 'expired';
      const state: DigestLineState =
        status === 'pending' && (approval?.expiresAt ?? 0) < now ? 'expired' : (status as DigestLineState);
      return {
        entry,
        accountId: plan?.accountId ?? '?',
        region: plan?.region ?? '?',
        groupId: plan?.defaultGroupId ?? '?',
        ...(plan ? { plan } : {}),
        state,
        ...(approval ? { expiresAt: approval.expiresAt } : {}),
      };
    }),
  );
}

/** One entry per run: its approval, or its last outcome (a rejected run's "rejected" after its "rolled back"). */
export function latestPerRun(entries: readonly DigestEntry[]): DigestEntry[] {
  const byRun = new Map<string, DigestEntry>();
  for (const entry of entries) {
    const before = byRun.get(entry.remediationId);
    if (before?.kind === 'approval' && entry.kind === 'outcome') continue;
    byRun.set(entry.remediationId, entry);
  }
  return [...byRun.values()];
}

/** The notice a lone entry would have sent without digests. */
async function singleNotice(deps: Deps, entry: DigestEntry) {
  if (entry.kind === 'approval') {
    const approval = await deps.ledger.getApproval(entry.approvalId);
    const text = await deps.store.get(snapshotKey(entry.remediationId));
    if (!approval || text === undefined) return undefined;
    const { plan } = openSnapshot(text, { remediationId: entry.remediationId });
    const record = await deps.ledger.getRemediation(entry.remediationId);
    return approvalNotice(
      plan,
      {
        remediationId: entry.remediationId,
        target: { findingId: record?.findingId },
        replacementGroupId: record?.replacementGroupId ?? null,
        approvalId: entry.approvalId,
        expiresAt: approval.expiresAt,
      },
      deps.settings.linkBaseUrl,
    );
  }
  const link = entry.rollbackLinkId ? await deps.ledger.getRollbackLink(entry.rollbackLinkId) : undefined;
  const url = link ? rollbackLinkUrl(deps.settings.linkBaseUrl, link.linkId) : undefined;
  return outcomeNotice(
    deps,
    {
      remediationId: entry.remediationId,
      event: entry.event,
      target: { accountId: entry.accountId, region: entry.region, groupId: entry.groupId },
      reasons: entry.reasons ?? [],
    },
    link ? { expiresAt: link.expiresAt, ...(url ? { url } : {}) } : undefined,
  );
}

/**
 * The digest sender: closes every open window that has passed (each once, even with two senders at a time) and sends
 * its one notice. The deployment runs it every minute; the local runner's caller runs it when it wants the windows
 * sent. Answers how many windows it sent and how many notices.
 */
export async function sendDigests(_raw: unknown, deps: Deps): Promise<{ windows: number; notices: number }> {
  const windowSeconds = deps.settings.digestWindowSeconds;
  const now = seconds(deps.now());
  let windows = 0;
  let notices = 0;
  for (const start of await deps.ledger.openDigestWindows()) {
    // Without digests configured any more, every open window is flushed.
    if (windowSeconds > 0 && start + windowSeconds > now) continue;
    const entries = await deps.ledger.closeDigestWindow(start, now + deps.settings.approvalTimeoutSeconds);
    if (!entries || entries.length === 0) continue;
    windows++;
    // One run in the window (a rejection reports its rollback too): exactly the notices it sends without digests.
    if (new Set(entries.map((entry) => entry.remediationId)).size === 1) {
      for (const entry of entries) {
        const notice = await singleNotice(deps, entry);
        if (!notice) continue;
        await deps.notifier.publish(notice);
        notices++;
      }
      continue;
    }
    const lines = await digestLines(deps, latestPerRun(entries));
    const deadlines = lines.flatMap((line) => (line.expiresAt === undefined ? [] : [line.expiresAt]));
    const record: DigestRecord = {
      digestId: deps.randomId(),
      windowStart: start,
      entries,
      createdAt: deps.now().toISOString(),
      expiresAt: Math.max(now + deps.settings.linkExpiryDays * 86400, ...deadlines),
      csrfSecret: randomBytes(32).toString('base64url'),
    };
    await deps.ledger.putDigest(record);
    await deps.notifier.publish(digestNotice(lines, record, deps.settings.linkBaseUrl));
    notices++;
    deps.log.info('digest sent', { windowStart: start, entries: entries.length });
  }
  return { windows, notices };
}

/** What the page asks: approve every run, approve only the selected ones (the rest are rejected), or reject all. */
export type DigestChoice =
  | { decision: 'approve-all' | 'reject-all' }
  | { decision: 'approve-selected'; selected: string[] };

export type DigestOutcome = DecideOutcome | 'ended';

/**
 * Decides every waiting run of a digest, one at a time, each through `decideApproval` (one conditional write each):
 * the runs of `selected` are approved, the others rejected. Runs already decided or expired are answered as such.
 */
export async function decideDigest(
  deps: Deps,
  callbacks: TaskCallbacks,
  record: DigestRecord,
  choice: DigestChoice,
): Promise<{ remediationId: string; decision: 'approved' | 'rejected'; outcome: DigestOutcome }[]> {
  const selected = new Set(choice.decision === 'approve-selected' ? choice.selected : []);
  const results: { remediationId: string; decision: 'approved' | 'rejected'; outcome: DigestOutcome }[] = [];
  for (const entry of record.entries) {
    if (entry.kind !== 'approval') continue;
    const decision =
      choice.decision === 'approve-all' || (choice.decision === 'approve-selected' && selected.has(entry.remediationId))
        ? 'approved'
        : 'rejected';
    let outcome: DigestOutcome;
    try {
      ({ outcome } = await decideApproval(entry.approvalId, decision, deps, callbacks));
    } catch (error) {
      if ((error as Error).name !== EXECUTION_ENDED) throw error;
      // Recorded, but nothing waits for it: later visits say so rather than "approved".
      const approval = await deps.ledger.getApproval(entry.approvalId);
      if (approval) await deps.ledger.putApproval({ ...approval, status: 'expired' });
      outcome = 'ended';
    }
    results.push({ remediationId: entry.remediationId, decision, outcome });
  }
  deps.log.info('digest decided', {
    approved: results.filter((result) => result.outcome === 'approved').length,
    rejected: results.filter((result) => result.outcome === 'rejected').length,
    notDecided: results.filter((result) => result.outcome !== 'approved' && result.outcome !== 'rejected').length,
  });
  return results;
}
