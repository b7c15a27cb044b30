/**
 * Approval digests (docs/decisions.md, "One decision per batch"): the runs of one batch window — waiting for approval,
 * or done, blocked, rejected — reported in one notice that links to one page. Pure: the window a time falls in, the
 * lines by account and region, what a plan does in counts, and the notice. No I/O and no AWS SDK here.
 */
import type { DigestEntry, DigestOutcomeEvent, Notification } from '../ports.ts';
import { describePlan, OWNER_KIND_WORDS } from './messages.ts';
import { cleanSubject, composeNotice, countsByKind, linkHostLine, NO_LINKS_LINE } from './notices.ts';
import type { Plan } from './plan.ts';

/** The start (epoch seconds) of the window `nowEpochSeconds` falls in: windows are aligned on multiples of the length. */
export function digestWindowStart(nowEpochSeconds: number, windowSeconds: number): number {
  if (!Number.isInteger(windowSeconds) || windowSeconds <= 0) throw new RangeError('a digest window is ≥ 1 s');
  return Math.floor(nowEpochSeconds / windowSeconds) * windowSeconds;
}

/** Where a digest line stands now. */
export type DigestLineState =
  | 'pending'
  | 'approved'
  | 'rejected'
  | 'expired'
  | 'remediated-without-approval'
  | DigestOutcomeEvent;

/** One run of a digest, with what the ledger and the snapshot say about it. */
export interface DigestLine {
  entry: DigestEntry;
  accountId: string;
  region: string;
  groupId: string;
  /** Undefined when the snapshot cannot be read. */
  plan?: Plan;
  state: DigestLineState;
  /** For approvals: the deadline (epoch seconds). */
  expiresAt?: number;
  /** For a completion: the rollback page (deployed runs). */
  rollbackUrl?: string;
}

export interface DigestPlace {
  accountId: string;
  region: string;
  lines: DigestLine[];
}

/** The lines by account, then region, each place's lines by group id: the order of the page and the notice. */
export function byPlace(lines: readonly DigestLine[]): DigestPlace[] {
  const places = new Map<string, DigestPlace>();
  for (const line of lines) {
    const key = `${line.accountId}\u0000${line.region}`;
    const place = places.get(key) ?? { accountId: line.accountId, region: line.region, lines: [] };
    place.lines.push(line);
    places.set(key, place);
  }
  return [...places.values()]
    .sort((a, b) => a.accountId.localeCompare(b.accountId) || a.region.localeCompare(b.region))
    .map((place) => ({ ...place, lines: place.lines.sort((a, b) => a.groupId.localeCompare(b.groupId)) }));
}

/** "3 interface(s) (EC2 instance 2, Lambda function 1), 1 resource(s) through their service, 2 reference(s), 2 rule(s)". */
export function planCounts(plan: Plan): string {
  const outside = plan.references.filter((reference) => reference.groupId !== plan.defaultGroupId).length;
  const resources = plan.resourceMoves?.length ?? 0;
  const kinds =
    plan.moves.length > 0
      ? ` (${countsByKind(plan.moves, (move) => OWNER_KIND_WORDS[move.owner.kind] ?? move.owner.kind)})`
      : '';
  return [
    plan.moves.length + resources > 0 ? `${plan.moves.length} interface(s) moved to a copy${kinds}` : 'nothing uses it',
    ...(resources > 0 ? [`${resources} resource(s) moved through their own service`] : []),
    `${outside} reference(s) in other groups`,
    `${plan.defaultRules.length} rule(s) revoked`,
  ].join(', ');
}

/** The state of a line in words (the notice and the page). */
export const STATE_WORDS: Record<DigestLineState, string> = {
  pending: 'waiting for approval',
  approved: 'approved',
  rejected: 'rejected, put back as it was',
  expired: 'expired, put back as it was',
  'remediated-without-approval': 'done without approval (nothing used it)',
  remediated: 'done',
  blocked: 'blocked, nothing changed',
  'rolled-back': 'rolled back',
};

/** The reasons a line shows: a blocked plan's, or what its outcome reported. */
export function lineReasons(line: DigestLine): string[] {
  if (line.entry.kind === 'outcome' && line.entry.reasons) return line.entry.reasons;
  return line.plan?.status === 'blocked' ? line.plan.reasons : [];
}

/** How many lines are in each state, e.g. "3 waiting for approval, 1 done". */
export function stateCounts(lines: readonly DigestLine[]): Partial<Record<DigestLineState, number>> {
  const counts: Partial<Record<DigestLineState, number>> = {};
  for (const line of lines) counts[line.state] = (counts[line.state] ?? 0) + 1;
  return counts;
}

/** Lines of one run in a notice's body: its group, state and counts, then its reasons (bounded). */
function noticeLines(line: DigestLine, reasonsLimit: number): string[] {
  const what = line.plan ? ` — ${planCounts(line.plan)}` : '';
  const lines = [`  - ${line.groupId} (${line.plan?.vpcId ?? 'VPC unknown'}): ${STATE_WORDS[line.state]}${what}`];
  const reasons = lineReasons(line);
  for (const reason of reasons.slice(0, reasonsLimit)) lines.push(`      ${reason}`);
  if (reasons.length > reasonsLimit)
    lines.push(`      and ${reasons.length - reasonsLimit} more reason(s) on the page`);
  if (line.rollbackUrl) lines.push(`      Roll back: ${line.rollbackUrl}`);
  if (!line.rollbackUrl && (line.state === 'remediated' || line.state === 'remediated-without-approval'))
    lines.push(`      Roll back: npm run cli -- rollback --remediation ${line.entry.remediationId}`);
  return lines;
}

/**
 * The one notice of a window: the summary, the link to the digest page and its host, the first deadline; then the
 * runs by account and region, what each plan does in counts and its reasons (docs/decisions.md, "Notices": the head is
 * never cut, the body is bounded).
 */
export function digestNotice(
  lines: readonly DigestLine[],
  digest: { digestId: string; expiresAt: number },
  linkBaseUrl: string | undefined,
): Notification {
  const counts = stateCounts(lines);
  const waiting = counts.pending ?? 0;
  const places = byPlace(lines);
  const accounts = new Set(lines.map((line) => line.accountId)).size;
  const summary = Object.entries(counts)
    .map(([state, count]) => `${count} ${STATE_WORDS[state as DigestLineState]}`)
    .join(', ');
  const deadlines = lines.filter((line) => line.state === 'pending' && line.expiresAt !== undefined);
  const first = Math.min(...deadlines.map((line) => line.expiresAt as number));
  const where = linkBaseUrl ? 'every plan is on the digest page' : 'every plan is in its snapshot';
  const links = linkBaseUrl
    ? [
        `${waiting > 0 ? 'Review and decide' : 'Review'}: ${linkBaseUrl.replace(/\/$/, '')}/digests/${digest.digestId}`,
        linkHostLine(linkBaseUrl),
      ]
    : [
        'Review and decide: this local run is decided on the command line (--approve auto|reject|prompt|web).',
        NO_LINKS_LINE,
      ];
  return {
    subject: cleanSubject(
      waiting > 0
        ? `Approve ${waiting} EC2.2 remediation(s) in ${accounts} account(s) (${lines.length} group(s) in this batch)`
        : `EC2.2 batch: ${summary}`,
    ),
    message: composeNotice({
      head: [
        `${lines.length} default security group(s) of one batch, in ${accounts} account(s) and ${places.length} account-region(s): ${summary}.`,
        ...links,
        ...(deadlines.length > 0
          ? [
              `Approve all, some or none on one page. Each one not approved by its deadline (the first ${new Date(first * 1000).toISOString()}) is put back as it was.`,
            ]
          : []),
      ],
      body: places.flatMap((place) => [
        '',
        `Account ${place.accountId}, ${place.region} (${place.lines.length}):`,
        ...place.lines.flatMap((line) => noticeLines(line, 5)),
      ]),
      where,
    }),
  };
}

/** The plan in words, whole: what the page shows under each run. */
export function planWords(plan: Plan): string[] {
  return describePlan(plan, { where: 'the plan above' });
}
