/**
 * The flow-log benchmark (issue 14's targets): a generated VPC (test/support/generate-vpc.ts) after a plain copy, a
 * gzip flow log of `--records` records (default 1,000,000) for it in the recommended format
 * (test/support/flow-traffic.ts), then the proposal — read the file as a stream, fold, propose — timed, with the
 * process's peak memory, and the traffic model's allowed port space between interfaces before (the plain copy) and
 * after, every observed flow checked. `npm run bench:flow-logs -- [--records N] [--interfaces N] [--json]`.
 *
 * Writing the log is not timed; the peak memory (maxRSS) is the whole process's, writing and the model included.
 */
import { createWriteStream, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';
import { createGzip } from 'node:zlib';
import { FileFlowLogSource } from '../../handlers/adapters/flow-logs/lines.ts';
import { readSources } from '../../handlers/adapters/flow-logs/sources.ts';
import { FlowAggregator } from '../../handlers/core/flow-logs/aggregate.ts';
import { checkGuarantee } from '../../handlers/core/flow-logs/guarantee.ts';
import { membersOf, propose } from '../../handlers/core/flow-logs/propose.ts';
import { flowLogLines, plainCopy } from '../../test/support/flow-traffic.ts';
import { defaultGroupOf, generateVpc } from '../../test/support/generate-vpc.ts';

const MB = 1024 * 1024;
const DAY = 86400;

export interface FlowLogBenchReport {
  interfaces: number;
  records: number;
  logBytes: number;
  /** Reading, folding and proposing, seconds. */
  proposalSeconds: number;
  /** Checking every observed flow against the traffic model before and after, seconds. */
  checkSeconds: number;
  peakMb: number;
  rules: number;
  uncertainRules: number;
  checkedConnections: number;
  brokenConnections: number;
  /** Observed connections the state did not allow before (should be 0: the generated logs are consistent). */
  notAllowedBefore: number;
  portSpaceBefore: number;
  portSpaceAfter: number;
  /** 1 - after / before, percent. */
  shrinkPercent: number;
  warnings: string[];
}

export async function benchFlowLogs(options: { interfaces: number; records: number }): Promise<FlowLogBenchReport> {
  const generated = generateVpc({ interfaces: options.interfaces, seed: 1 });
  const { state, copyId } = plainCopy(generated, defaultGroupOf(generated));
  const end = Date.UTC(2026, 11, 1) / 1000;
  const window = { start: end - 30 * DAY, end };
  const dir = mkdtempSync(join(tmpdir(), 'flow-bench-'));
  try {
    const path = join(dir, 'AWSLogs-bench.log.gz');
    const lines = flowLogLines(state, copyId, { records: options.records, start: window.start, days: 30, seed: 1 });
    const text = Readable.from(
      (function* () {
        let batch: string[] = [];
        for (const line of lines) {
          batch.push(line);
          if (batch.length === 1000) {
            yield `${batch.join('\n')}\n`;
            batch = [];
          }
        }
        if (batch.length > 0) yield `${batch.join('\n')}\n`;
      })(),
    );
    const file = createWriteStream(path);
    await pipeline(text, createGzip({ level: 1 }), file);

    const started = performance.now();
    const aggregator = new FlowAggregator({ interfaces: membersOf(state, copyId), window });
    await readSources([new FileFlowLogSource([path])], aggregator, window);
    const observations = aggregator.observations();
    const proposal = propose(state, copyId, observations);
    const proposalSeconds = (performance.now() - started) / 1000;

    const checkStarted = performance.now();
    const check = checkGuarantee(state, proposal, observations);
    const checkSeconds = (performance.now() - checkStarted) / 1000;
    return {
      interfaces: options.interfaces,
      records: observations.counts.lines,
      logBytes: file.bytesWritten,
      proposalSeconds: round(proposalSeconds, 2),
      checkSeconds: round(checkSeconds, 2),
      peakMb: Math.round((process.resourceUsage().maxRSS * 1024) / MB),
      rules: proposal.rules.length,
      uncertainRules: proposal.rules.filter((r) => r.certainty === 'uncertain').length,
      checkedConnections: check.checked,
      brokenConnections: check.broken.length,
      notAllowedBefore: check.notAllowedBefore.length,
      portSpaceBefore: check.portSpaceBefore,
      portSpaceAfter: check.portSpaceAfter,
      shrinkPercent: round((1 - check.portSpaceAfter / Math.max(1, check.portSpaceBefore)) * 100, 5),
      warnings: proposal.warnings,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function round(value: number, digits: number): number {
  return Number(value.toFixed(digits));
}

function flag(argv: string[], name: string, fallback: number): number {
  const index = argv.indexOf(name);
  if (index < 0) return fallback;
  const value = Number(argv[index + 1]);
  if (!Number.isInteger(value) || value < 1) {
    process.stderr.write(`${name} takes a positive integer\n`);
    process.exit(2);
  }
  return value;
}

async function main(argv: string[]): Promise<void> {
  const report = await benchFlowLogs({
    interfaces: flag(argv, '--interfaces', 1000),
    records: flag(argv, '--records', 1_000_000),
  });
  if (argv.includes('--json')) {
    process.stdout.write(`${JSON.stringify(report)}\n`);
    return;
  }
  const rows: [string, string][] = [
    ['interfaces', String(report.interfaces)],
    ['flow records', String(report.records)],
    ['log (gzip)', `${(report.logBytes / MB).toFixed(1)} MB`],
    ['proposal (read + fold + propose)', `${report.proposalSeconds} s`],
    ['guarantee check (traffic model)', `${report.checkSeconds} s`],
    ['peak memory (whole process)', `${report.peakMb} MB`],
    ['proposed rules (uncertain)', `${report.rules} (${report.uncertainRules})`],
    [
      'observed connections checked / broken / not allowed before',
      `${report.checkedConnections} / ${report.brokenConnections} / ${report.notAllowedBefore}`,
    ],
    ['port space between interfaces before', String(report.portSpaceBefore)],
    ['port space between interfaces after', String(report.portSpaceAfter)],
    ['shrink', `${report.shrinkPercent} %`],
  ];
  const width = Math.max(...rows.map(([name]) => name.length));
  process.stdout.write(`${rows.map(([name, value]) => `${name.padEnd(width)}  ${value}`).join('\n')}\n`);
  process.stdout.write(`\nwarnings:\n${report.warnings.map((w) => `  - ${w}`).join('\n')}\n`);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  await main(process.argv.slice(2));
}
