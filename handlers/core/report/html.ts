/**
 * The audit as one self-contained HTML document for a security team: the counts by status per account and region,
 * a chart of them, and every default group with its status and reasons. Pure: the caller writes the text where it
 * belongs (a file, S3) and says when it was made.
 *
 * Self-contained and inert: inline CSS and an inline SVG chart, no script, nothing fetched. A Content-Security-Policy
 * meta tag allows only the one stylesheet (by its hash) and nothing else, so even a string that slipped past the
 * escaping could neither run nor load anything. Every value from the audit goes through the `html` tag, which escapes
 * markup and shows control, bidi and invisible characters as escapes (handlers/core/html.ts).
 */
import { createHash } from 'node:crypto';
import { AUDIT_STATUSES, type AuditedGroup, type AuditResult, type AuditStatus, summarizeAudit } from '../audit.ts';
import { html, SafeHtml } from '../html.ts';

export interface AuditHtmlOptions {
  /** When the audit ran (shown in the title and header). */
  generatedAt: Date;
}

/** More bars than this, and the chart shows one bar per account (all its regions) instead of per account and region. */
export const CHART_MAX_BARS = 40;

const STATUS_CLASS: Record<AuditStatus, string> = {
  'in use': 's-in-use',
  empty: 's-empty',
  compliant: 's-compliant',
  blocked: 's-blocked',
  excluded: 's-excluded',
  unreachable: 's-unreachable',
};

/** What each status asks of the reader. */
const STATUS_MEANING: Record<AuditStatus, string> = {
  'in use':
    'Interfaces, resources or other groups’ rules use the group: remediate moves them to a copy before it strips it.',
  empty: 'Nothing uses the group: its rules can be stripped as they are (remediate --all-empty).',
  compliant: 'The group has no rules: EC2.2 passes.',
  blocked: 'The group cannot be remediated as it is: the reasons say what to change first.',
  excluded: 'The group or its VPC carries the opt-out tag: left alone on purpose.',
  unreachable: 'The account, region or group could not be read: the reasons say why. Not a clean bill.',
};

const STYLE = `
:root{color-scheme:light dark;--fg:#1b1f24;--muted:#57606a;--bg:#fff;--box:#f6f8fa;--line:#d0d7de;
--in-use:#0969da;--empty:#9a6700;--compliant:#1a7f37;--blocked:#cf222e;--excluded:#8250df;--unreachable:#6e7781}
@media (prefers-color-scheme:dark){:root{--fg:#e6edf3;--muted:#9198a1;--bg:#0d1117;--box:#161b22;--line:#30363d;
--in-use:#4493f8;--empty:#d29922;--compliant:#3fb950;--blocked:#f85149;--excluded:#ab7df8;--unreachable:#9198a1}}
*{box-sizing:border-box}
body{margin:0;background:var(--bg);color:var(--fg);font:15px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif}
main{max-width:90rem;margin:0 auto;padding:1rem}
h1{font-size:1.45rem;line-height:1.25;margin:.5rem 0 .25rem}
h2{font-size:1.1rem;margin:1.75rem 0 .5rem;padding-bottom:.25rem;border-bottom:1px solid var(--line)}
p,ul{margin:.5rem 0}
code{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:.9em;overflow-wrap:anywhere}
.muted{color:var(--muted)}
.tiles{display:grid;grid-template-columns:repeat(auto-fit,minmax(9rem,1fr));gap:.75rem;margin:1rem 0;padding:0;list-style:none}
.tiles li{background:var(--box);border-radius:6px;padding:.5rem .75rem;border-left:4px solid var(--line)}
.tiles strong{display:block;font-size:1.6rem;line-height:1.2}
.scroll{overflow-x:auto}
table{border-collapse:collapse;width:100%;font-size:.9rem}
th,td{text-align:left;vertical-align:top;padding:.35rem .5rem;border-bottom:1px solid var(--line)}
th{color:var(--muted);font-weight:600}
td.n,th.n{text-align:right;font-variant-numeric:tabular-nums}
td.zero{color:var(--muted)}
tfoot td{font-weight:600;border-top:2px solid var(--line)}
td ul{margin:0;padding-left:1.1rem}
#groups td:not(:last-child),#counts td{white-space:nowrap}#groups td code{overflow-wrap:normal}#groups td:last-child{min-width:16rem}
.badge{display:inline-block;white-space:nowrap;padding:0 .45rem;border-radius:1rem;font-size:.8rem;font-weight:600;color:#fff}
figure{margin:1rem 0}
svg{display:block;width:100%;height:auto;max-width:60rem}
svg text{fill:var(--fg);font:12px system-ui,sans-serif}
svg text.count{fill:var(--muted)}
svg line{stroke:var(--line)}
.legend{display:flex;flex-wrap:wrap;gap:.25rem 1rem;list-style:none;padding:0;margin:.5rem 0}
.swatch{display:inline-block;width:.8rem;height:.8rem;border-radius:2px;margin-right:.35rem;vertical-align:-.05rem}
dl{display:grid;grid-template-columns:max-content 1fr;gap:.25rem 1rem}
dd{margin:0}
footer{margin:2rem 0 1rem;padding-top:.75rem;border-top:1px solid var(--line);font-size:.85rem;color:var(--muted)}
.s-in-use{--c:var(--in-use)}.s-empty{--c:var(--empty)}.s-compliant{--c:var(--compliant)}
.s-blocked{--c:var(--blocked)}.s-excluded{--c:var(--excluded)}.s-unreachable{--c:var(--unreachable)}
.badge,.swatch{background:var(--c)}.tiles li{border-left-color:var(--c,var(--line))}rect.bar{fill:var(--c)}
`;

/**
 * Nothing but the stylesheet above: no script, image, font, frame, form or connection, no <base>. The style is
 * allowed by its hash, so no other inline style (an attribute included) applies either.
 */
export const AUDIT_REPORT_CSP = `default-src 'none'; style-src 'sha256-${createHash('sha256').update(STYLE).digest('base64')}'; base-uri 'none'; form-action 'none'`;

/** "2026-12-06 03:30 UTC". */
function utc(date: Date): string {
  return date
    .toISOString()
    .replace('T', ' ')
    .replace(/:\d\d\.\d+Z$/, ' UTC');
}

type Counts = Record<AuditStatus, number>;

interface CountRow {
  label: string;
  accountId: string;
  region?: string;
  counts: Counts;
  total: number;
}

function zeroCounts(): Counts {
  return Object.fromEntries(AUDIT_STATUSES.map((status) => [status, 0])) as Counts;
}

/** Rows counted by status per key, in the order the keys first appear (the audit's order). */
function countBy(
  groups: readonly AuditedGroup[],
  keyOf: (row: AuditedGroup) => { key: string; label: string; accountId: string; region?: string },
): CountRow[] {
  const byKey = new Map<string, CountRow>();
  for (const row of groups) {
    const { key, ...where } = keyOf(row);
    let counted = byKey.get(key);
    if (!counted) {
      counted = { ...where, counts: zeroCounts(), total: 0 };
      byKey.set(key, counted);
    }
    counted.counts[row.status]++;
    counted.total++;
  }
  return [...byKey.values()];
}

/** Counts by status per account and region (a row per place; an unreachable place counts once). */
export function countsByPlace(groups: readonly AuditedGroup[]): CountRow[] {
  return countBy(groups, (row) => ({
    key: JSON.stringify([row.accountId, row.region]),
    label: `${row.accountId} ${row.region}`,
    accountId: row.accountId,
    region: row.region,
  }));
}

function countsByAccount(groups: readonly AuditedGroup[]): CountRow[] {
  return countBy(groups, (row) => ({
    key: row.accountId,
    label: `${row.accountId} (all regions)`,
    accountId: row.accountId,
  }));
}

function badge(status: AuditStatus): SafeHtml {
  return html`<span class="badge ${STATUS_CLASS[status]}">${status}</span>`;
}

function tiles(result: AuditResult): SafeHtml {
  return html`<ul class="tiles" aria-label="Counts by status">
${AUDIT_STATUSES.map(
  (status) =>
    html`<li class="${STATUS_CLASS[status]}" data-status="${status}"><strong>${result.summary[status]}</strong>${status}</li>\n`,
)}</ul>`;
}

const CHART = { labelWidth: 210, barWidth: 520, countWidth: 50, barHeight: 18, gap: 8, top: 6, bottom: 24 };

/** Horizontal stacked bars, one per account and region (or per account when there are many), scaled to the largest. */
function chart(groups: readonly AuditedGroup[]): SafeHtml {
  const perPlace = countsByPlace(groups);
  const rows = perPlace.length > CHART_MAX_BARS ? countsByAccount(groups) : perPlace;
  const largest = Math.max(1, ...rows.map((row) => row.total));
  const width = CHART.labelWidth + CHART.barWidth + CHART.countWidth;
  const height = CHART.top + rows.length * (CHART.barHeight + CHART.gap) + CHART.bottom;
  const scale = CHART.barWidth / largest;
  const bars = rows.map((row, index) => {
    const y = CHART.top + index * (CHART.barHeight + CHART.gap);
    let x = CHART.labelWidth;
    const segments = AUDIT_STATUSES.filter((status) => row.counts[status] > 0).map((status) => {
      const segment = html`<rect class="bar ${STATUS_CLASS[status]}" data-status="${status}" data-count="${row.counts[status]}" x="${x.toFixed(1)}" y="${y}" width="${(row.counts[status] * scale).toFixed(1)}" height="${CHART.barHeight}"><title>${row.label}: ${row.counts[status]} ${status}</title></rect>`;
      x += row.counts[status] * scale;
      return segment;
    });
    const middle = y + CHART.barHeight / 2 + 4;
    return html`<g class="row" data-place="${row.label}"><text x="${CHART.labelWidth - 8}" y="${middle}" text-anchor="end">${row.label}</text>${segments}<text class="count" x="${(x + 6).toFixed(1)}" y="${middle}">${row.total}</text></g>\n`;
  });
  const axisY = height - CHART.bottom + 4;
  const ticks = [0, Math.ceil(largest / 2), largest].filter((tick, index, all) => all.indexOf(tick) === index);
  const axis = ticks.map(
    (tick) =>
      html`<text class="count" x="${(CHART.labelWidth + tick * scale).toFixed(1)}" y="${axisY + 14}" text-anchor="middle">${tick}</text>`,
  );
  const caption =
    rows === perPlace
      ? 'Default groups by status, per account and region.'
      : `Default groups by status, per account (${perPlace.length} account/region pairs are too many bars; the table below has each).`;
  return html`<figure>
<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${width} ${height}" role="img" aria-labelledby="chart-title">
<title id="chart-title">${caption}</title>
${bars}<line x1="${CHART.labelWidth}" y1="${axisY}" x2="${CHART.labelWidth + CHART.barWidth}" y2="${axisY}"/>${axis}
</svg>
<figcaption class="muted">${caption}</figcaption>
<ul class="legend">${AUDIT_STATUSES.map((status) => html`<li><span class="swatch ${STATUS_CLASS[status]}"></span>${status}</li>`)}</ul>
</figure>`;
}

function countCell(count: number): SafeHtml {
  return html`<td class="n${count === 0 ? ' zero' : ''}">${count}</td>`;
}

function placeTable(result: AuditResult): SafeHtml {
  const rows = countsByPlace(result.groups);
  return html`<div class="scroll"><table id="counts">
<thead><tr><th>Account</th><th>Region</th>${AUDIT_STATUSES.map((status) => html`<th class="n">${status}</th>`)}<th class="n">Total</th></tr></thead>
<tbody>
${rows.map(
  (row) =>
    html`<tr><td><code>${row.accountId}</code></td><td>${row.region}</td>${AUDIT_STATUSES.map((status) => countCell(row.counts[status]))}${countCell(row.total)}</tr>\n`,
)}</tbody>
<tfoot><tr><td>All</td><td>${result.summary.accounts} account(s), ${result.summary.regions} region(s)</td>${AUDIT_STATUSES.map((status) => countCell(result.summary[status]))}${countCell(result.groups.length)}</tr></tfoot>
</table></div>`;
}

function code(value: string | undefined): SafeHtml {
  return value ? html`<code>${value}</code>` : html`<span class="muted">—</span>`;
}

function groupTable(groups: readonly AuditedGroup[]): SafeHtml {
  return html`<div class="scroll"><table id="groups">
<thead><tr><th>Account</th><th>Region</th><th>VPC</th><th>Group</th><th>Status</th><th class="n">Members</th><th class="n">References</th><th class="n">Rules</th><th>Reasons</th></tr></thead>
<tbody>
${groups.map((row) => {
  const number = (count: number) =>
    row.groupId ? html`<td class="n">${count}</td>` : html`<td class="n muted">—</td>`;
  const reasons =
    row.reasons.length === 0
      ? html`<span class="muted">—</span>`
      : html`<ul>${row.reasons.map((reason) => html`<li>${reason}</li>`)}</ul>`;
  return html`<tr data-status="${row.status}"><td><code>${row.accountId}</code></td><td>${row.region}</td><td>${code(row.vpcId)}</td><td>${code(row.groupId)}</td><td>${badge(row.status)}</td>${number(row.members)}${number(row.references)}${number(row.rules)}<td>${reasons}</td></tr>\n`;
})}</tbody>
</table></div>`;
}

/**
 * The audit as a self-contained HTML document. The counts are recomputed from the rows (as `plan --all-regions`
 * computes its summary), so the page cannot disagree with its own tables.
 */
export function renderAuditHtml(result: Pick<AuditResult, 'groups'>, options: AuditHtmlOptions): string {
  const full: AuditResult = { groups: result.groups, summary: summarizeAudit(result.groups) };
  const { summary } = full;
  const when = utc(options.generatedAt);
  const page = html`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${new SafeHtml(AUDIT_REPORT_CSP)}">
<meta name="referrer" content="no-referrer">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex, nofollow">
<title>Default security group audit, ${when}</title>
<style>${new SafeHtml(STYLE)}</style>
</head>
<body>
<main>
<h1>Default security group audit</h1>
<p class="muted">Security Hub control EC2.2 (CIS AWS Foundations Benchmark 5.4: the VPC default security group allows no traffic).
Generated <time datetime="${options.generatedAt.toISOString()}">${when}</time>.
${summary.groups} default group(s) in ${summary.accounts} account(s) and ${summary.regions} region(s).</p>
${tiles(full)}
<h2>By account and region</h2>
${chart(full.groups)}
${placeTable(full)}
<h2>Every default group (${full.groups.length} row(s))</h2>
${groupTable(full.groups)}
<h2>What the statuses mean</h2>
<dl>${AUDIT_STATUSES.map((status) => html`<dt>${badge(status)}</dt><dd>${STATUS_MEANING[status]}</dd>`)}</dl>
<footer>default-sg-remediation · read-only audit: nothing was changed. Names and reasons come from the accounts and are shown as text.</footer>
</main>
</body>
</html>
`;
  return page.value;
}
