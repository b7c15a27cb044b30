/**
 * A sample for `tighten` (README): a generated VPC after a plain copy (test/support/generate-vpc.ts, flow-traffic.ts)
 * as a state file, and 30 days of flow logs for it as a gzip file with the S3 header line, recommended format.
 *
 *   npm run sample:flow-logs -- [DIR] [--records N]     (default DIR .remediation/sample-flow-logs, 20,000 records)
 *
 * Prints the `tighten` command to run on them. Deterministic: the same files every time.
 */
import { createWriteStream } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';
import { createGzip } from 'node:zlib';
import { flowLogLines, plainCopy } from '../test/support/flow-traffic.ts';
import { defaultGroupOf, generateVpc } from '../test/support/generate-vpc.ts';

/** The window's end the sample is written for (pass it to tighten as --end). */
export const SAMPLE_END = '2026-12-01T00:00:00Z';

export async function writeSample(
  dir: string,
  records = 20000,
): Promise<{ state: string; log: string; groupId: string }> {
  await mkdir(dir, { recursive: true });
  const generated = generateVpc({ interfaces: 20, seed: 3 });
  const { state, copyId } = plainCopy(generated, defaultGroupOf(generated));
  const statePath = join(dir, 'state.json');
  await writeFile(statePath, `${JSON.stringify(state, null, 2)}\n`);
  const end = Date.parse(SAMPLE_END) / 1000;
  const logPath = join(dir, '111122223333_vpcflowlogs_us-east-1_fl-0sample_20261201T0000Z_sample.log.gz');
  const lines = flowLogLines(state, copyId, { records, start: end - 30 * 86400, days: 30, seed: 3, apiAddresses: 40 });
  await pipeline(
    Readable.from(
      (function* () {
        for (const line of lines) yield `${line}\n`;
      })(),
    ),
    createGzip(),
    createWriteStream(logPath),
  );
  return { state: statePath, log: logPath, groupId: copyId };
}

async function main(argv: string[]): Promise<void> {
  const recordsAt = argv.indexOf('--records');
  const records = recordsAt >= 0 ? Number(argv[recordsAt + 1]) : 20000;
  if (!Number.isInteger(records) || records < 1) {
    process.stderr.write('--records takes a positive integer\n');
    process.exitCode = 2;
    return;
  }
  const dir =
    argv.find((arg, i) => !arg.startsWith('--') && argv[i - 1] !== '--records') ?? '.remediation/sample-flow-logs';
  const sample = await writeSample(dir, records);
  process.stdout.write(
    `Wrote ${sample.state} and ${sample.log}.\n\n` +
      `npm run cli -- tighten --state ${sample.state} --group ${sample.groupId} --flow-logs ${sample.log} --end ${SAMPLE_END}\n`,
  );
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  await main(process.argv.slice(2));
}
