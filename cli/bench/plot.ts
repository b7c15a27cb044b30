/**
 * The benchmark's plot, drawn by hand as SVG (no plotting dependency): simulated time and EC2 calls against the
 * number of interfaces, both axes logarithmic, with the full-rate floor and the lower bound of calls as dashed lines;
 * the mixed-owner VPC's calls per service; the runs beside a neighbour (neighbour.ts).
 */
import { NEIGHBOUR_PANEL_HEIGHT, type NeighbourReport, neighbourPanel } from './neighbour.ts';

export interface PlotPoint {
  interfaces: number;
  ec2Calls: number;
  lowerBoundCalls: number;
  simulatedSeconds: number;
  floorSeconds: number;
}

const WIDTH = 720;
const HEIGHT = 300;
const PANEL = { top: 40, bottom: 50, left: 70, width: 260, gap: 90 };

function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** log10(1 + x): keeps 0 on a logarithmic axis. */
const log = (value: number) => Math.log10(1 + Math.max(0, value));

function panel(
  left: number,
  title: string,
  unit: string,
  points: PlotPoint[],
  measured: (point: PlotPoint) => number,
  bound: (point: PlotPoint) => number,
  labels: [string, string],
): string {
  const height = HEIGHT - PANEL.top - PANEL.bottom;
  const maxX = Math.max(1, ...points.map((point) => log(point.interfaces)));
  const maxY = Math.max(1, ...points.map((point) => Math.max(log(measured(point)), log(bound(point)))));
  // A point just past a decade (10,187 calls) stays under that decade's line instead of opening another.
  const topY = Math.max(1, Math.ceil(maxY - 0.05));
  const rightX = Math.max(1, Math.ceil(maxX - 0.05));
  const x = (value: number) => left + (log(value) / rightX) * PANEL.width;
  const y = (value: number) => PANEL.top + height - (log(value) / topY) * height;
  const parts: string[] = [];
  parts.push(
    `<text x="${left + PANEL.width / 2}" y="${PANEL.top - 16}" text-anchor="middle" font-weight="bold">${escapeXml(title)}</text>`,
  );
  parts.push(
    `<line x1="${left}" y1="${PANEL.top + height}" x2="${left + PANEL.width}" y2="${PANEL.top + height}" stroke="#444"/>`,
  );
  parts.push(`<line x1="${left}" y1="${PANEL.top}" x2="${left}" y2="${PANEL.top + height}" stroke="#444"/>`);
  for (let decade = 0; decade <= topY; decade++) {
    const value = 10 ** decade - 1;
    const label = decade === 0 ? '0' : (10 ** decade).toLocaleString('en-US');
    parts.push(`<line x1="${left - 4}" y1="${y(value)}" x2="${left + PANEL.width}" y2="${y(value)}" stroke="#ddd"/>`);
    parts.push(`<text x="${left - 8}" y="${y(value) + 4}" text-anchor="end" font-size="11">${label}</text>`);
  }
  for (let decade = 0; decade <= rightX; decade++) {
    const value = decade === 0 ? 0 : 10 ** decade;
    const label = value.toLocaleString('en-US');
    parts.push(
      `<text x="${x(value)}" y="${PANEL.top + height + 16}" text-anchor="middle" font-size="11">${label}</text>`,
    );
  }
  parts.push(
    `<text x="${left + PANEL.width / 2}" y="${PANEL.top + height + 34}" text-anchor="middle" font-size="12">interfaces on the default group</text>`,
  );
  parts.push(
    `<text x="${left - 50}" y="${PANEL.top + height / 2}" text-anchor="middle" font-size="12" transform="rotate(-90 ${left - 50} ${PANEL.top + height / 2})">${escapeXml(unit)}</text>`,
  );
  const path = (value: (point: PlotPoint) => number) =>
    points
      .map(
        (point, index) => `${index === 0 ? 'M' : 'L'}${x(point.interfaces).toFixed(1)},${y(value(point)).toFixed(1)}`,
      )
      .join(' ');
  parts.push(`<path d="${path(bound)}" fill="none" stroke="#999" stroke-width="2" stroke-dasharray="6 4"/>`);
  parts.push(`<path d="${path(measured)}" fill="none" stroke="#1f6feb" stroke-width="2"/>`);
  for (const point of points) {
    parts.push(
      `<circle cx="${x(point.interfaces).toFixed(1)}" cy="${y(measured(point)).toFixed(1)}" r="3.5" fill="#1f6feb"><title>${point.interfaces} interfaces: ${measured(point)}</title></circle>`,
    );
  }
  parts.push(
    `<line x1="${left + 10}" y1="${PANEL.top + 6}" x2="${left + 30}" y2="${PANEL.top + 6}" stroke="#1f6feb" stroke-width="2"/>`,
  );
  parts.push(`<text x="${left + 34}" y="${PANEL.top + 10}" font-size="11">${escapeXml(labels[0])}</text>`);
  parts.push(
    `<line x1="${left + 10}" y1="${PANEL.top + 22}" x2="${left + 30}" y2="${PANEL.top + 22}" stroke="#999" stroke-width="2" stroke-dasharray="6 4"/>`,
  );
  parts.push(`<text x="${left + 34}" y="${PANEL.top + 26}" font-size="11">${escapeXml(labels[1])}</text>`);
  return parts.join('\n');
}

/** The mixed-owner VPC as the plot draws it: calls per service against each service's lower bound. */
export interface MixedPoint {
  instances: number;
  perService: number;
  simulatedSeconds: number;
  floorSeconds: number;
  services: Record<string, { calls: number; lowerBound: number }>;
}

const MIXED_HEIGHT = 300;

/** Bars per service, measured (solid) next to the lower bound (outlined), on a linear axis. */
function mixedPanel(mixed: MixedPoint): string {
  const top = HEIGHT + 60;
  const height = MIXED_HEIGHT - 170;
  const rows = Object.entries(mixed.services);
  const max = Math.max(1, ...rows.flatMap(([, row]) => [row.calls, row.lowerBound]));
  const slot = (WIDTH - 2 * PANEL.left) / Math.max(1, rows.length);
  const bar = Math.min(24, slot / 3);
  const y = (value: number) => top + height - (value / max) * height;
  const bars = rows
    .map(([service, row], index) => {
      const x = PANEL.left + index * slot + slot / 2 - bar;
      return `<rect x="${x.toFixed(1)}" y="${y(row.calls).toFixed(1)}" width="${bar.toFixed(1)}" height="${(top + height - y(row.calls)).toFixed(1)}" fill="#1f77b4"/>
<rect x="${(x + bar).toFixed(1)}" y="${y(row.lowerBound).toFixed(1)}" width="${bar.toFixed(1)}" height="${(top + height - y(row.lowerBound)).toFixed(1)}" fill="none" stroke="#555" stroke-dasharray="4 3"/>
<text x="${(x + bar).toFixed(1)}" y="${top + height + 14}" text-anchor="end" font-size="11" transform="rotate(-35 ${(x + bar).toFixed(1)} ${top + height + 14})">${escapeXml(service)}</text>
<text x="${(x + bar / 2).toFixed(1)}" y="${(y(row.calls) - 4).toFixed(1)}" text-anchor="middle" font-size="11">${row.calls}</text>`;
    })
    .join('\n');
  const title = `Mixed-owner VPC (${mixed.instances} instances, ${mixed.perService} per service): calls per service vs lower bound (dashed)`;
  const time = `${mixed.simulatedSeconds.toFixed(0)} s simulated, floor ${mixed.floorSeconds.toFixed(0)} s`;
  return `<text x="${PANEL.left}" y="${top - 34}" font-weight="bold">${escapeXml(title)}</text>
<text x="${PANEL.left}" y="${top - 16}">${escapeXml(time)}</text>
<line x1="${PANEL.left}" y1="${top + height}" x2="${WIDTH - PANEL.left}" y2="${top + height}" stroke="#333"/>
${bars}`;
}

export function benchPlot(
  points: PlotPoint[],
  pacingShare: number,
  mixed?: MixedPoint,
  neighbours: NeighbourReport[] = [],
): string {
  const sorted = [...points].sort((a, b) => a.interfaces - b.interfaces);
  const right = PANEL.left + PANEL.width + PANEL.gap;
  const base = mixed ? HEIGHT + MIXED_HEIGHT : HEIGHT;
  const height = neighbours.length > 0 ? base + NEIGHBOUR_PANEL_HEIGHT : base;
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" font-family="sans-serif" font-size="13">
<rect width="100%" height="100%" fill="#fff"/>
${panel(
  PANEL.left,
  'Simulated time',
  'seconds (log)',
  sorted,
  (p) => p.simulatedSeconds,
  (p) => p.floorSeconds,
  ['measured', `floor (${Math.round(pacingShare * 100)} % of refill, past half the burst)`],
)}
${panel(
  right,
  'EC2 API calls',
  'calls (log)',
  sorted,
  (p) => p.ec2Calls,
  (p) => p.lowerBoundCalls,
  ['measured', 'lower bound'],
)}
${mixed ? mixedPanel(mixed) : ''}
${neighbours.length > 0 ? neighbourPanel(neighbours, base + 50, PANEL.left, WIDTH - 2 * PANEL.left) : ''}
</svg>
`;
}
