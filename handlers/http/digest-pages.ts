/**
 * The digest page (docs/decisions.md, "One decision per batch"): every run of one batch window, by account and region,
 * what each plan does in counts (and in words, folded), its blocked reasons, and — for the runs waiting — one form with
 * approve all, approve the selected (the rest rejected) and reject all. Pure, like pages.ts: every value from data goes
 * through the `html` tag, which escapes it.
 */
import {
  byPlace,
  type DigestLine,
  type DigestLineState,
  lineReasons,
  planCounts,
  planWords,
  STATE_WORDS,
  stateCounts,
} from '../core/digest.ts';
import type { DigestOutcome } from '../steps/digest.ts';
import { CSRF_FIELD } from './csrf.ts';
import { answer, type HttpAnswer, html, id, layout, message, note, para, SafeHtml, time } from './pages.ts';

/** The form field of a selected run: its index among the digest's entries (short, so a large batch fits the form). */
export const SELECT_FIELD = 'select';

const DIGEST_STYLE = `
.place{margin-top:1.5rem}
td.pick{width:3rem;text-align:center}
td.pick input{width:1.4rem;height:1.4rem}
details{margin-top:.35rem}
details pre{white-space:pre-wrap;overflow-wrap:anywhere;font-size:.85rem;background:var(--box);padding:.5rem;border-radius:6px}
.state-pending{color:var(--warn);font-weight:600}
.state-blocked,.state-expired,.state-rejected{color:var(--bad)}
.state-approved,.state-remediated,.state-remediated-without-approval{color:var(--ok)}
`;

export interface DigestView {
  /** The digest's lines, in the order of its entries (the checkbox values are their indexes). */
  lines: DigestLine[];
  now: number;
  csrfToken: string;
}

function stateCell(line: DigestLine, now: number): SafeHtml {
  const reasons = lineReasons(line);
  return html`<span class="state-${line.state}">${STATE_WORDS[line.state]}</span>${
    line.state === 'pending' && line.expiresAt !== undefined
      ? html`<br><span class="muted">until ${time(line.expiresAt, now)}</span>`
      : ''
  }${reasons.length > 0 ? html`<ul>${reasons.map((reason) => html`<li>${reason}</li>`)}</ul>` : ''}${
    line.rollbackUrl ? html`<br><a href="${line.rollbackUrl}" rel="noreferrer">Roll back this one</a>` : ''
  }`;
}

function row(line: DigestLine, index: number, now: number): SafeHtml {
  const pick =
    line.state === 'pending'
      ? html`<input type="checkbox" name="${SELECT_FIELD}" value="${String(index)}" id="pick-${String(index)}" checked aria-label="Approve ${line.groupId}">`
      : html`<span class="muted">—</span>`;
  const plan = line.plan;
  return html`<tr data-group="${line.groupId}"><td class="pick">${pick}</td><td><label for="pick-${String(index)}">${id(line.groupId)}</label><br><span class="muted">${plan?.vpcId ?? ''}</span></td><td>${
    plan
      ? html`${planCounts(plan)}<details><summary>The plan in words</summary><pre>${planWords(plan).map((line) => html`${line}\n`)}</pre></details>`
      : html`<span class="muted">The snapshot of this run cannot be read: decide it only after an operator checked it.</span>`
  }<br><span class="muted">Remediation <code>${line.entry.remediationId}</code></span></td><td>${stateCell(line, now)}</td></tr>`;
}

/** The page behind a digest link. */
export function digestPage(view: DigestView): HttpAnswer {
  const indexed = view.lines.map((line, index) => ({ line, index }));
  const indexOf = new Map(indexed.map(({ line, index }) => [line, index]));
  const places = byPlace(view.lines);
  const counts = stateCounts(view.lines);
  const waiting = counts.pending ?? 0;
  const deadlines = view.lines.filter((line) => line.state === 'pending' && line.expiresAt !== undefined);
  const first = deadlines.length > 0 ? Math.min(...deadlines.map((line) => line.expiresAt as number)) : undefined;
  const summary = Object.entries(counts).map(
    ([state, count]) => html`<li>${String(count)} ${STATE_WORDS[state as DigestLineState]}</li>`,
  );
  const tables = places.map(
    (place) => html`<section class="place" data-account="${place.accountId}" data-region="${place.region}">
<h2>Account ${place.accountId} · ${place.region} (${String(place.lines.length)})</h2>
<div class="scroll"><table>
<thead><tr><th>Approve</th><th>Default group</th><th>What the plan does</th><th>State</th></tr></thead>
<tbody>${place.lines.map((line) => row(line, indexOf.get(line) ?? -1, view.now))}</tbody>
</table></div>
</section>`,
  );
  const body = html`<style>${new SafeHtml(DIGEST_STYLE)}</style>
<h1>${waiting > 0 ? `Approve ${waiting} EC2.2 remediation(s) of one batch?` : 'EC2.2 remediations of one batch'}</h1>
<p>${String(view.lines.length)} default security group(s) in ${String(new Set(view.lines.map((line) => line.accountId)).size)} account(s), ${String(places.length)} account-region(s):</p>
<ul>${summary}</ul>
${
  first !== undefined
    ? note(
        'warn',
        html`<strong>Decide by ${time(first, view.now)}</strong> (the first deadline). A run not approved by its deadline is put back as it was. Nothing is revoked before you decide.`,
      )
    : ''
}
${
  waiting > 0
    ? html`<form method="post">
<input type="hidden" name="${CSRF_FIELD}" value="${view.csrfToken}">
${tables}
<h2>Your decision</h2>
<p>Approving strips a default group after a fresh check of its live state; rejecting puts everything back as it was.</p>
<div class="buttons">
<button type="submit" class="go" name="decision" value="approve-all">Approve all ${String(waiting)}</button>
<button type="submit" class="go" name="decision" value="approve-selected">Approve the selected, reject the rest</button>
<button type="submit" class="stop" name="decision" value="reject-all">Reject all: put everything back</button>
</div>
</form>
<p class="muted">Opening this page changed nothing. Each run is decided once; a run decided or expired since is reported, not decided again.</p>`
    : html`${tables}<p class="muted">Nothing of this batch waits for a decision.</p>`
}`;
  return answer(200, layout('EC2.2 remediations of one batch', body));
}

const OUTCOME_WORDS: Record<DigestOutcome, string> = {
  approved: 'approved: stripped after a fresh check',
  rejected: 'rejected: being put back as it was',
  'already-decided': 'already decided before: not changed now',
  expired: 'expired before: not changed now',
  ended: 'no longer waiting (the run ended): not changed now',
  unknown: 'unknown: not changed now',
};

/** The answer after the digest's decisions: each run's outcome. 200 when one was decided now, else 409. */
export function digestDecidedPage(
  results: readonly { remediationId: string; groupId: string; outcome: DigestOutcome }[],
): HttpAnswer {
  const decided = results.filter((result) => result.outcome === 'approved' || result.outcome === 'rejected').length;
  const rows = results.map(
    (result) =>
      html`<tr data-remediation="${result.remediationId}"><td>${id(result.groupId)}</td><td><code>${result.remediationId}</code></td><td class="outcome">${OUTCOME_WORDS[result.outcome]}</td></tr>`,
  );
  return answer(
    decided > 0 ? 200 : 409,
    message(
      decided > 0 ? 'Decided' : 'Nothing was decided now',
      decided > 0 ? 'ok' : 'info',
      html`<strong>${String(decided)} of ${String(results.length)} run(s) decided now.</strong>`,
      html`<div class="scroll"><table><thead><tr><th>Default group</th><th>Remediation</th><th>Outcome</th></tr></thead><tbody>${rows}</tbody></table></div>`,
      para(html`Each run sends its outcome by email (in the next batch's digest when several end together).`),
    ),
  );
}
