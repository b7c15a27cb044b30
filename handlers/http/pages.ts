/**
 * The approval and rollback pages: pure functions from what the ledger and the snapshot say to an HTTP answer
 * (status, headers, self-contained HTML). No I/O and no AWS SDK here.
 *
 * Every value that comes from data (rule descriptions, interface descriptions, group names, ids) goes through the
 * `html` template tag, which escapes it (markup, and control and bidi characters); only fragments built by this
 * module are inserted as markup. The pages show the whole plan: no list is cut here, unlike in the notices.
 */

import { describeRule as describeProposedRule } from '../core/flow-logs/propose.ts';
import { escapeHtml, html, SafeHtml } from '../core/html.ts';
import { describeRule } from '../core/messages.ts';
import type { Plan } from '../core/plan.ts';
import { stackTemplateChange } from '../core/stacks.ts';
import type { TightenSnapshot } from '../core/tighten.ts';
import { quote } from '../core/untrusted.ts';
import type { RemediationRecord } from '../ports.ts';
import { CSRF_FIELD } from './csrf.ts';

// The escaping tag lives in core (the audit report uses it too); the pages' callers and tests import it from here.
export { escapeHtml, html, SafeHtml };

// ---------------------------------------------------------------------------------------------------------------
// Answers

/** An API Gateway HTTP API (payload format 2.0) answer. */
export interface HttpAnswer {
  statusCode: number;
  headers: Record<string, string>;
  body: string;
  isBase64Encoded: false;
}

export const CONTENT_SECURITY_POLICY =
  "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'";

/** Headers on every answer: nothing loads, nothing frames the page, nothing caches it, no Referer leaks the link. */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'content-type': 'text/html; charset=utf-8',
  'content-security-policy': CONTENT_SECURITY_POLICY,
  'cache-control': 'no-store',
  'referrer-policy': 'no-referrer',
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'x-robots-tag': 'noindex, nofollow',
};

export function answer(statusCode: number, page: SafeHtml, extraHeaders: Record<string, string> = {}): HttpAnswer {
  return { statusCode, headers: { ...SECURITY_HEADERS, ...extraHeaders }, body: page.value, isBase64Encoded: false };
}

// ---------------------------------------------------------------------------------------------------------------
// Layout

const STYLE = `
:root{color-scheme:light dark;--fg:#1b1f24;--muted:#57606a;--bg:#fff;--box:#f6f8fa;--line:#d0d7de;--ok:#1a7f37;--warn:#9a6700;--bad:#cf222e;--go:#0969da}
@media (prefers-color-scheme:dark){:root{--fg:#e6edf3;--muted:#9198a1;--bg:#0d1117;--box:#161b22;--line:#30363d;--ok:#3fb950;--warn:#d29922;--bad:#f85149;--go:#4493f8}}
*{box-sizing:border-box}
body{margin:0;background:var(--bg);color:var(--fg);font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif}
main{max-width:52rem;margin:0 auto;padding:1rem}
h1{font-size:1.45rem;line-height:1.25;margin:.5rem 0 1rem}
h2{font-size:1.1rem;margin:1.75rem 0 .5rem;padding-bottom:.25rem;border-bottom:1px solid var(--line)}
p,ul,ol{margin:.5rem 0}
li{margin:.2rem 0}
code,.id{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:.9em;overflow-wrap:anywhere}
.muted{color:var(--muted)}
.note{padding:.75rem 1rem;border-radius:6px;background:var(--box);border-left:4px solid var(--line)}
.note.ok{border-left-color:var(--ok)}.note.warn{border-left-color:var(--warn)}.note.bad{border-left-color:var(--bad)}
.note>:first-child{margin-top:0}.note>:last-child{margin-bottom:0}
dl{display:grid;grid-template-columns:max-content 1fr;gap:.25rem 1rem;margin:.5rem 0}
dt{color:var(--muted)}dd{margin:0;overflow-wrap:anywhere}
.scroll{overflow-x:auto}
table{border-collapse:collapse;width:100%;font-size:.95rem}
th,td{text-align:left;vertical-align:top;padding:.4rem .5rem;border-bottom:1px solid var(--line)}
th{color:var(--muted);font-weight:600}
.cols{display:grid;grid-template-columns:1fr 1fr;gap:1rem}
@media (max-width:40rem){main{padding:.75rem 1rem}h1{font-size:1.3rem}.cols{grid-template-columns:1fr}dl{grid-template-columns:1fr;gap:0}dt{margin-top:.5rem;font-size:.8rem;text-transform:uppercase;letter-spacing:.03em}dt:first-child{margin-top:0}}
.col{background:var(--box);border-radius:6px;padding:.5rem .75rem}
.col h3{font-size:1rem;margin:.25rem 0}
form{margin:1.5rem 0}
.buttons{display:flex;flex-wrap:wrap;gap:.75rem}
button{font:inherit;font-weight:600;min-height:3rem;padding:.6rem 1.25rem;border-radius:6px;cursor:pointer;flex:1 1 14rem}
button.go{background:var(--go);color:#fff;border:1px solid var(--go)}
button.stop{background:transparent;color:var(--bad);border:2px solid var(--bad)}
footer{margin:2rem 0 1rem;padding-top:.75rem;border-top:1px solid var(--line);font-size:.85rem;color:var(--muted)}
`;

export function layout(title: string, body: SafeHtml): SafeHtml {
  return html`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex, nofollow">
<title>${title}</title>
<style>${new SafeHtml(STYLE)}</style>
</head>
<body>
<main>
${body}
<footer>default-sg-remediation · Security Hub control EC2.2 · Anyone who has this link can use it: do not forward it.</footer>
</main>
</body>
</html>
`;
}

// ---------------------------------------------------------------------------------------------------------------
// Pieces

/** "2024-05-01 12:00 UTC". */
export function formatTime(epochSeconds: number): string {
  return new Date(epochSeconds * 1000)
    .toISOString()
    .replace('T', ' ')
    .replace(/:\d\d\.\d+Z$/, ' UTC');
}

/** "in 2 days 3 hours", "in 40 minutes", "2 hours ago". */
export function relativeTime(epochSeconds: number, nowEpochSeconds: number): string {
  const delta = epochSeconds - nowEpochSeconds;
  const seconds = Math.abs(delta);
  const plural = (count: number, unit: string) => `${count} ${unit}${count === 1 ? '' : 's'}`;
  const days = Math.floor(seconds / 86400);
  const hours = Math.floor((seconds % 86400) / 3600);
  const minutes = Math.floor((seconds % 3600) / 60);
  const text =
    days > 0
      ? `${plural(days, 'day')}${hours > 0 ? ` ${plural(hours, 'hour')}` : ''}`
      : hours > 0
        ? `${plural(hours, 'hour')}${minutes > 0 ? ` ${plural(minutes, 'minute')}` : ''}`
        : plural(Math.max(minutes, 1), 'minute');
  return delta >= 0 ? `in ${text}` : `${text} ago`;
}

export function time(epochSeconds: number, nowEpochSeconds: number): SafeHtml {
  const iso = new Date(epochSeconds * 1000).toISOString();
  return html`<time datetime="${iso}">${formatTime(epochSeconds)}</time> (${relativeTime(epochSeconds, nowEpochSeconds)})`;
}

export function id(value: string | undefined): SafeHtml {
  return value ? html`<code>${value}</code>` : html`<span class="muted">—</span>`;
}

export function note(tone: 'ok' | 'warn' | 'bad' | 'info', body: SafeHtml): SafeHtml {
  return tone === 'info' ? html`<div class="note">${body}</div>` : html`<div class="note ${tone}">${body}</div>`;
}

/** What the plan does that is not obvious (interfaces left on the default group, quotas read as the defaults). */
function planNotes(plan: Plan): SafeHtml | string {
  const notes = plan.notes ?? [];
  if (notes.length === 0) return '';
  return html`
<h2>Notes (${notes.length})</h2>
<ul>${notes.map((text) => html`<li>${text}</li>`)}</ul>
`;
}

function groupNames(plan: Plan): Record<string, string> {
  const names: Record<string, string> = { [plan.defaultGroupId]: 'default' };
  for (const reference of plan.references) names[reference.groupId] = reference.groupName ?? reference.groupId;
  return names;
}

function outsideReferences(plan: Plan) {
  return plan.references.filter((reference) => reference.groupId !== plan.defaultGroupId);
}

function ruleList(plan: Plan, empty: string): SafeHtml {
  if (plan.defaultRules.length === 0) return html`<p class="muted">${empty}</p>`;
  const names = groupNames(plan);
  return html`<ul>${plan.defaultRules.map((rule) => html`<li>${describeRule(rule, names)}</li>`)}</ul>`;
}

function findingFacts(plan: Plan, record: RemediationRecord | undefined): SafeHtml {
  return html`<dl>
<dt>Account</dt><dd>${id(plan.accountId)}</dd>
<dt>Region</dt><dd>${id(plan.region)}</dd>
<dt>VPC</dt><dd>${id(plan.vpcId)}</dd>
<dt>Default security group</dt><dd>${id(plan.defaultGroupId)}</dd>
${record?.findingId ? html`<dt>Finding</dt><dd>${id(record.findingId)}</dd>` : ''}
<dt>Remediation</dt><dd>${id(plan.remediationId)}</dd>
</dl>`;
}

function interfacesTable(plan: Plan, columns: 'owner' | 'owner-and-groups'): SafeHtml {
  if (plan.moves.length === 0) return html`<p class="muted">No network interface uses the default group.</p>`;
  const rows = plan.moves.map(
    (move) =>
      html`<tr><td>${id(move.networkInterfaceId)}</td><td>${move.owner.label}</td>${
        columns === 'owner-and-groups' ? html`<td>${move.groupsBefore.map((group) => html`${id(group)} `)}</td>` : ''
      }</tr>`,
  );
  return html`<div class="scroll"><table>
<thead><tr><th>Network interface</th><th>Owner</th>${columns === 'owner-and-groups' ? html`<th>Groups to restore</th>` : ''}</tr></thead>
<tbody>${rows}</tbody>
</table></div>`;
}

/** Resources moved through their own service (Lambda, RDS, load balancers, …): the approver sees what will move. */
function resourcesTable(plan: Plan): SafeHtml {
  const moves = plan.resourceMoves ?? [];
  if (moves.length === 0) return html``;
  const rows = moves.map(
    (move) =>
      html`<tr><td>${move.label}</td><td>${move.groupsBefore.map((group) => html`${id(group)} `)}</td><td>${move.interfaceIds.map((eni) => html`${id(eni)} `)}</td></tr>`,
  );
  return html`<h3>Moved through their own service (${moves.length})</h3>
<p class="muted">EC2 does not let anyone change these interfaces' groups: the owning resource's group list is changed instead, the default group swapped for the replacement, and its interfaces follow.</p>
<div class="scroll"><table>
<thead><tr><th>Resource</th><th>Groups before</th><th>Its interfaces</th></tr></thead>
<tbody>${rows}</tbody>
</table></div>`;
}

/** The CloudFormation stacks that manage what moved: their templates name the default group (core/stacks.ts). */
function stacksSection(plan: Plan): SafeHtml | string {
  const stacks = plan.stacks ?? [];
  if (stacks.length === 0) return '';
  const [change, until] = stackTemplateChange(plan.defaultGroupId, plan.replacementName);
  const rows = stacks.map(
    (use) =>
      html`<tr><td>${quote(use.stackName, 128)}</td><td>${[...use.interfaces.map((item) => `EC2 ${item}`), ...use.resources, ...use.groups.map((groupId) => `security group ${groupId} (rule referencing the default group)`)].map((item) => html`${item}<br>`)}</td></tr>`,
  );
  return html`<h2>CloudFormation stacks that name the default group (${stacks.length})</h2>
${note('warn', html`${until}`)}
<p>${change}</p>
<div class="scroll"><table>
<thead><tr><th>Stack</th><th>What of it moves</th></tr></thead>
<tbody>${rows}</tbody>
</table></div>`;
}

function referencesTable(plan: Plan): SafeHtml {
  const outside = outsideReferences(plan);
  if (outside.length === 0)
    return html`<p class="muted">No rule in another security group references the default group.</p>`;
  const names = groupNames(plan);
  const rows = outside.map(
    (reference) =>
      html`<tr><td>${id(reference.groupId)}${reference.groupName ? html` <span class="muted">${quote(reference.groupName, 255)}</span>` : ''}</td><td>${describeRule(reference.rule, names)}</td></tr>`,
  );
  return html`<div class="scroll"><table>
<thead><tr><th>Security group</th><th>Rule</th></tr></thead>
<tbody>${rows}</tbody>
</table></div>`;
}

function replacementId(plan: Plan, record: RemediationRecord | undefined): SafeHtml {
  return record?.replacementGroupId
    ? html`${id(record.replacementGroupId)} (<code>${plan.replacementName}</code>)`
    : html`<code>${plan.replacementName}</code>`;
}

// ---------------------------------------------------------------------------------------------------------------
// Approval pages

export interface ApprovalView {
  plan: Plan;
  record?: RemediationRecord;
  expiresAt: number;
  now: number;
  csrfToken: string;
}

/** The page behind an approval link: the plan, what is done, what approval does, and the two buttons. */
export function approvalPage(view: ApprovalView): HttpAnswer {
  const { plan, record } = view;
  const outside = outsideReferences(plan);
  const done = plan.replacementNeeded
    ? html`<ul>
<li>Created the replacement group ${replacementId(plan, record)} in ${id(plan.vpcId)} with the same rules.</li>
<li>Added a twin rule referencing it next to each of the ${plan.references.length} rule(s) that reference the default group.</li>
<li>Moved ${plan.moves.length} network interface(s) from the default group to the replacement, in ${plan.batches.length} batch(es).</li>
</ul>`
    : html`<p>Nothing: no network interface uses the default group, so no replacement is needed.</p>`;
  const body = html`<h1>Approve stripping the default security group?</h1>
<p>A Security Hub EC2.2 finding is being remediated. ${
    plan.replacementNeeded
      ? 'What used the default group has been moved to a copy of it; approving removes the default group’s rules.'
      : 'Nothing uses the default group; approving removes its rules.'
  } Nothing is revoked before you decide.</p>
${findingFacts(plan, record)}
${note('warn', html`<strong>Decide by ${time(view.expiresAt, view.now)}.</strong> Without a decision by then, everything is put back as it was.`)}

<h2>Already done (all reversible)</h2>
${done}

<h2>What approval will do</h2>
<p>After a fresh check that the live state still matches this plan:</p>
<ul>
<li>revoke the default group's ${plan.defaultRules.length} rule(s);</li>
${plan.replacementNeeded ? html`<li>revoke the rules that reference the default group and now have a twin referencing the replacement.</li>` : ''}
</ul>
<p>If something changed in the meantime, a change that can be undone exactly (a new member, a new reference) is recorded and moved to the copy too; anything else stops the run and rolls it back before anything is revoked.</p>

<h2>The default group's rules</h2>
<div class="cols">
<div class="col"><h3>Before</h3>${ruleList(plan, 'No rules.')}</div>
<div class="col"><h3>After approval</h3><p>No inbound and no outbound rules: the control passes.</p></div>
</div>

<h2>Network interfaces using the default group (${plan.moves.length})</h2>
${interfacesTable(plan, 'owner')}
${resourcesTable(plan)}

<h2>References from other security groups (${outside.length})</h2>
${referencesTable(plan)}
${stacksSection(plan)}
${planNotes(plan)}
<h2>Your decision</h2>
<form method="post">
<input type="hidden" name="${CSRF_FIELD}" value="${view.csrfToken}">
<div class="buttons">
<button type="submit" class="go" name="decision" value="approve">Approve: strip the default group</button>
<button type="submit" class="stop" name="decision" value="reject">Reject: put everything back</button>
</div>
</form>
<p class="muted">Opening this page changed nothing. The decision counts once; the link cannot be used again after it.</p>`;
  return answer(200, layout('Approve EC2.2 remediation', body));
}

export interface TightenApprovalView {
  snapshot: TightenSnapshot;
  expiresAt: number;
  now: number;
  csrfToken: string;
}

/**
 * The page behind a tightening's approval link (issue 14): the copy, the flow log window and what it covers, the
 * rules before and after, what will no longer be allowed (the traffic model's diff, by peer and port), the warnings,
 * and the two buttons. Nothing has been changed before the decision. Every list in full.
 */
export function tightenApprovalPage(view: TightenApprovalView): HttpAnswer {
  const { snapshot } = view;
  const { proposal } = snapshot;
  const w = proposal.window;
  const list = (items: string[], empty: string) =>
    items.length === 0
      ? html`<p class="muted">${empty}</p>`
      : html`<ul>${items.map((item) => html`<li>${item}</li>`)}</ul>`;
  const before = snapshot.rulesBefore.map((rule) => describeProposedRule({ rule }));
  const shrink = snapshot.portSpace.before > 0 ? (1 - snapshot.portSpace.after / snapshot.portSpace.before) * 100 : 0;
  const body = html`<h1>Approve tightening the copy to least privilege?</h1>
<p>The copy of the default group that a remediation made still allows everything the default group allowed. Its flow logs show what its ${snapshot.members.length} member interface(s) actually use; approving replaces the copy's rules with those. <strong>Nothing has been changed so far.</strong></p>
<dl>
<dt>Account</dt><dd>${id(snapshot.accountId)}</dd>
<dt>Region</dt><dd>${id(snapshot.region)}</dd>
<dt>VPC</dt><dd>${id(snapshot.vpcId)}</dd>
<dt>Group (the copy)</dt><dd>${id(snapshot.groupId)}</dd>
<dt>Tightening</dt><dd>${id(snapshot.tightenId)}</dd>
<dt>Flow logs</dt><dd>${w.from} to ${w.to}: ${w.days} days, ${w.coveredDays} covered</dd>
</dl>
${note('warn', html`<strong>Decide by ${time(view.expiresAt, view.now)}.</strong> Without a decision by then, nothing is changed.`)}

<h2>What approval will do</h2>
<ol>
<li>add the ${proposal.add.length} proposed rule(s) first, so that no moment allows less than the end state;</li>
<li>check again that the copy's rules and members are as the proposal saw them (if not, put the added rules back and stop);</li>
<li>revoke the ${proposal.revoke.length} broad rule(s);</li>
<li>verify on the live state that every one of the ${snapshot.connections.length} observed connections is still allowed, else put everything back.</li>
</ol>

<h2>The copy's rules</h2>
<div class="cols">
<div class="col"><h3>Before (${before.length})</h3>${list(before, 'No rules.')}</div>
<div class="col"><h3>After approval (${proposal.rules.length})</h3>${list(
    proposal.rules.map((rule) => describeProposedRule(rule)),
    'No rules.',
  )}</div>
</div>

<h2>No longer allowed (traffic model, by peer and port)</h2>
${list(snapshot.noLongerAllowed, 'Nothing.')}
<p>The allowed port space between interfaces shrinks by ${(Math.floor(shrink * 100) / 100).toFixed(2)} % (rounded down).</p>

<h2>Warnings (${proposal.warnings.length})</h2>
${list(proposal.warnings, 'None.')}

<h2>Your decision</h2>
<form method="post">
<input type="hidden" name="${CSRF_FIELD}" value="${view.csrfToken}">
<div class="buttons">
<button type="submit" class="go" name="decision" value="approve">Approve: tighten the copy</button>
<button type="submit" class="stop" name="decision" value="reject">Reject: change nothing</button>
</div>
</form>
<p class="muted">Opening this page changed nothing. The decision counts once; the link cannot be used again after it.</p>`;
  return answer(200, layout('Approve tightening', body));
}

export type ApprovalState = 'approved' | 'rejected' | 'expired' | 'unknown' | 'ended';

const DECIDED_TEXT = {
  approved: 'approved: the default group is stripped after a fresh check',
  rejected: 'rejected: everything is put back as it was',
} as const;

/** "2024-05-01 12:00:00 UTC" from an ISO timestamp. */
function formatIso(iso: string): string {
  return iso.replace('T', ' ').replace(/\.\d+Z$/, ' UTC');
}

/**
 * A page for an approval that cannot be decided (any more). A decided approval is a plain 200 page when opened, and
 * 409 when a decision is posted again; expired and ended are 410, unknown 404.
 */
export function approvalStatePage(
  state: ApprovalState,
  detail: { method: 'GET' | 'POST'; decidedAt?: string; expiresAt?: number; now: number },
): HttpAnswer {
  switch (state) {
    case 'approved':
    case 'rejected':
      return answer(
        detail.method === 'GET' ? 200 : 409,
        message(
          `Already ${state}`,
          'info',
          html`This remediation was already ${DECIDED_TEXT[state]}${detail.decidedAt ? ` (decided ${formatIso(detail.decidedAt)})` : ''}.`,
          para(html`An approval link decides once; nothing was changed now.`),
        ),
      );
    case 'expired':
      return answer(
        410,
        message(
          detail.expiresAt !== undefined && detail.expiresAt >= detail.now
            ? 'This approval is closed'
            : 'This approval has expired',
          'warn',
          detail.expiresAt === undefined
            ? html`Its deadline has passed. Nothing was decided now.`
            : detail.expiresAt < detail.now
              ? html`Its deadline was ${time(detail.expiresAt, detail.now)}. Nothing was decided now.`
              : html`The workflow stopped waiting for a decision before its deadline (${time(detail.expiresAt, detail.now)}). Nothing was decided now.`,
          para(
            html`When an approval expires, the workflow puts everything back as it was. To remediate again, start the remediation again: a new approval request will be sent.`,
          ),
        ),
      );
    case 'ended':
      return answer(
        410,
        message(
          'The workflow is no longer waiting for a decision',
          'warn',
          html`The remediation ended before this decision reached it: it timed out, failed or was stopped. Your click changed nothing.`,
          para(
            html`Without an approval, the workflow puts everything back as it was; its notice by email says how it ended.`,
          ),
        ),
      );
    case 'unknown':
      return unknownLink();
  }
}

/** The answer after a decision was recorded and sent to the workflow. */
export function decidedPage(
  decision: 'approved' | 'rejected',
  kind: 'migration' | 'tighten' = 'migration',
): HttpAnswer {
  if (kind === 'tighten')
    return answer(
      200,
      decision === 'approved'
        ? message(
            'Approved',
            'ok',
            html`<strong>Approved: the copy will be tightened.</strong>`,
            para(
              html`The workflow adds the proposed rules, checks the copy again, then revokes the broad rules and verifies that every observed connection is still allowed. A notice is sent by email when it is done.`,
            ),
          )
        : message(
            'Rejected',
            'ok',
            html`<strong>Rejected: nothing was changed.</strong>`,
            para(html`The copy keeps its rules. A notice is sent by email.`),
          ),
    );
  return decision === 'approved'
    ? answer(
        200,
        message(
          'Approved',
          'ok',
          html`<strong>Approved: the default group will be stripped after a fresh check.</strong>`,
          para(
            html`The workflow re-checks the live state against the plan, then revokes the default group's rules. A notice is sent by email when it is done, with a link to roll it back.`,
          ),
        ),
      )
    : answer(
        200,
        message(
          'Rejected',
          'ok',
          html`<strong>Rejected: everything is being restored.</strong>`,
          para(
            html`The workflow moves the interfaces back, removes the twin references and deletes the replacement group. A notice is sent by email when it is done.`,
          ),
        ),
      );
}

/** The decision is in the ledger, but Step Functions did not confirm that it reached the workflow. */
export function decisionNotDeliveredPage(): HttpAnswer {
  return answer(
    502,
    message(
      'The decision was recorded but not confirmed',
      'bad',
      html`Your decision is recorded, but Step Functions did not confirm that the workflow received it.`,
      para(
        html`If the workflow does not continue, it times out at the deadline and puts everything back. An operator can check the execution in the Step Functions console.`,
      ),
    ),
  );
}

// ---------------------------------------------------------------------------------------------------------------
// Rollback pages

export interface RollbackView {
  plan: Plan;
  record?: RemediationRecord;
  expiresAt: number;
  now: number;
  csrfToken: string;
}

/** The page behind a rollback link: what rollback restores, and the button. */
export function rollbackPage(view: RollbackView): HttpAnswer {
  const { plan, record } = view;
  const outside = outsideReferences(plan);
  const body = html`<h1>Roll back the EC2.2 remediation?</h1>
<p>This puts the default security group and everything around it back as the snapshot taken before the remediation
has it. The EC2.2 finding will fail again.</p>
${findingFacts(plan, record)}
${record ? html`<p class="muted">Remediation state: <code>${record.status}</code>, last updated ${formatIso(record.updatedAt)}.</p>` : ''}
${note('info', html`This link works once, until ${time(view.expiresAt, view.now)}.`)}

<h2>Rules restored on the default group (${plan.defaultRules.length})</h2>
${ruleList(plan, 'None: the default group had no rules.')}

<h2>References restored in other security groups (${outside.length})</h2>
${referencesTable(plan)}

<h2>Network interfaces moved back to the default group (${plan.moves.length})</h2>
${interfacesTable(plan, 'owner-and-groups')}
${resourcesTable(plan)}
<p class="muted">Interfaces deleted since the remediation are reported, not errors.</p>

<h2>Removed</h2>
${
  plan.replacementNeeded
    ? html`<p>The replacement group ${replacementId(plan, record)} and the twin rules that reference it, once nothing uses it.</p>`
    : html`<p>Nothing: this remediation created no replacement group.</p>`
}

<h2>Roll back</h2>
<form method="post">
<input type="hidden" name="${CSRF_FIELD}" value="${view.csrfToken}">
<div class="buttons">
<button type="submit" class="stop" name="action" value="rollback">Roll back</button>
</div>
</form>
<p class="muted">Opening this page changed nothing. The rollback runs as its own Step Functions execution and sends a notice when it is done.</p>`;
  return answer(200, layout('Roll back EC2.2 remediation', body));
}

/** `arn:aws:states:<region>:…:execution:…` → the console page of the execution (commercial partition only). */
export function executionConsoleUrl(executionArn: string): string | undefined {
  const match = /^arn:aws:states:([a-z]{2}(?:-[a-z]+)+-\d{1,2}):\d{12}:execution:[\w.-]+:[\w.-]+$/.exec(executionArn);
  if (!match) return undefined;
  return `https://${match[1]}.console.aws.amazon.com/states/home?region=${match[1]}#/v2/executions/details/${encodeURIComponent(executionArn)}`;
}

function execution(executionArn: string): SafeHtml {
  const url = executionConsoleUrl(executionArn);
  return html`<p>Execution: ${id(executionArn)}</p>${url ? html`<p><a href="${url}" rel="noreferrer">Open it in the Step Functions console</a></p>` : ''}`;
}

export function rollbackStartedPage(executionArn: string): HttpAnswer {
  return answer(
    202,
    message(
      'Rollback started',
      'ok',
      html`<strong>Rollback started: everything is being put back as it was before the remediation.</strong>`,
      execution(executionArn),
      para(html`A notice is sent by email when it is done.`),
    ),
  );
}

export type RollbackLinkState = 'used' | 'expired' | 'unknown';

/** A used link is a plain 200 page when opened and 409 when posted again; expired is 410, unknown 404. */
export function rollbackStatePage(
  state: RollbackLinkState,
  detail: { method: 'GET' | 'POST'; usedAt?: string; executionArn?: string; expiresAt?: number; now: number },
): HttpAnswer {
  switch (state) {
    case 'used':
      return answer(
        detail.method === 'GET' ? 200 : 409,
        message(
          'This rollback link was already used',
          'info',
          html`The rollback was already started${detail.usedAt ? ` (${formatIso(detail.usedAt)})` : ''}; nothing was started now.`,
          detail.executionArn ? execution(detail.executionArn) : html``,
        ),
      );
    case 'expired':
      return answer(
        410,
        message(
          'This rollback link has expired',
          'warn',
          detail.expiresAt !== undefined
            ? html`It was valid until ${time(detail.expiresAt, detail.now)}. Nothing was started.`
            : html`Nothing was started.`,
          para(
            html`The remediation can still be rolled back with the "Roll back EC2.2" custom action in Security Hub, or with <code>npm run cli -- rollback --remediation &lt;id&gt;</code>.`,
          ),
        ),
      );
    case 'unknown':
      return unknownLink();
  }
}

/** The link was claimed, but the rollback state machine did not start. */
export function rollbackNotStartedPage(remediationId: string): HttpAnswer {
  return answer(
    502,
    message(
      'The rollback could not be started',
      'bad',
      html`Step Functions did not start the rollback. Try again in a minute: this link stays usable until the rollback has started.`,
      para(
        html`Or use the "Roll back EC2.2" custom action in Security Hub, or <code>npm run cli -- rollback --remediation ${remediationId}</code>.`,
      ),
    ),
  );
}

// ---------------------------------------------------------------------------------------------------------------
// Generic pages

export function para(content: SafeHtml): SafeHtml {
  return html`<p>${content}</p>`;
}

/** A short page: a title, a lead sentence in a coloured box, and further blocks (each already a `<p>` or similar). */
export function message(
  title: string,
  tone: 'ok' | 'warn' | 'bad' | 'info',
  lead: SafeHtml,
  ...blocks: SafeHtml[]
): SafeHtml {
  return layout(
    title,
    html`<h1>${title}</h1>
${note(tone, para(lead))}
${blocks}`,
  );
}

export function unknownLink(): HttpAnswer {
  return answer(
    404,
    message(
      'Unknown link',
      'warn',
      html`This link is not known. Check that it was copied completely from the email.`,
      para(html`Links are removed some days after they expire.`),
    ),
  );
}

export function badRequest(reason: string): HttpAnswer {
  return answer(400, message('Bad request', 'bad', html`${reason} Nothing was changed.`));
}

export function crossSiteRefused(): HttpAnswer {
  return answer(
    403,
    message(
      'Refused',
      'bad',
      html`This request did not come from the page of this link, so it was refused. Nothing was changed.`,
      para(html`Open the link from the email and use the buttons on the page.`),
    ),
  );
}

export function methodNotAllowed(): HttpAnswer {
  return answer(405, message('Method not allowed', 'bad', html`Open the link and use the page's buttons.`), {
    allow: 'GET, POST',
  });
}

export function unsupportedMediaType(): HttpAnswer {
  return answer(415, message('Unsupported form', 'bad', html`Use the page's buttons. Nothing was changed.`));
}

export function planUnavailable(): HttpAnswer {
  return answer(
    500,
    message(
      'The plan cannot be shown',
      'bad',
      html`The snapshot of this remediation could not be read, so this page cannot show what would change.`,
      para(
        html`Do not decide without seeing the plan: ask an operator to check the snapshot bucket and the execution.`,
      ),
    ),
  );
}

export function internalError(): HttpAnswer {
  return answer(
    500,
    message(
      'Something went wrong',
      'bad',
      html`The request failed. Open the link again in a minute to see where things stand.`,
    ),
  );
}
