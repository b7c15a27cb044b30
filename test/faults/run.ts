/**
 * `npm run test:faults -- [--json] [--sample N] [--seed S] [--scenario TEXT]`: injects every fault kind at every EC2
 * call of every scenario (see ./faults.ts) and reports how many runs recovered. Exit 1 on any failure, 2 on bad options.
 */
import { parseArgs } from 'node:util';
import { type FaultReport, type RunOptions, runFaults } from './faults.ts';
import { mergeReports, runTightenFaults } from './tighten-faults.ts';

function usage(message: string): never {
  process.stderr.write(
    `${message}\nusage: npm run test:faults -- [--json] [--sample N] [--seed S] [--scenario TEXT]\n`,
  );
  process.exit(2);
}

function positiveInteger(value: string | undefined, name: string): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value)) usage(`--${name} takes a whole number, not "${value}"`);
  return Number(value);
}

let values: { json?: boolean; sample?: string; seed?: string; scenario?: string };
try {
  ({ values } = parseArgs({
    options: {
      json: { type: 'boolean' },
      sample: { type: 'string' },
      seed: { type: 'string' },
      scenario: { type: 'string' },
    },
  }));
} catch (error) {
  usage((error as Error).message);
}

const started = Date.now();
const json = values.json === true;
const options: RunOptions = {
  ...(values.sample === undefined ? {} : { sample: positiveInteger(values.sample, 'sample') }),
  ...(values.seed === undefined ? {} : { seed: positiveInteger(values.seed, 'seed') }),
  ...(values.scenario === undefined ? {} : { scenario: values.scenario }),
  onProgress: json
    ? undefined
    : (done, total, point, failure) => {
        if (failure) {
          process.stderr.write(
            `\nFAILED ${point.scenario} call #${point.callIndex} ${point.action} (${point.phase}) ${point.fault}: ${failure}\n`,
          );
        }
        if (done % 25 === 0 || done === total)
          process.stderr.write(`\r${done}/${total} fault points${done === total ? '\n' : ''}`);
      },
};
// The migration's scenarios, then the tighten workflow's (scenario `tighten`, ./tighten-faults.ts).
const report: FaultReport = mergeReports(await runFaults(options), await runTightenFaults(options));
const seconds = ((Date.now() - started) / 1000).toFixed(1);

if (json) {
  process.stdout.write(`${JSON.stringify(report)}\n`);
} else {
  process.stdout.write(
    [
      '',
      `${report.faultPoints} fault points over ${report.scenarios} scenarios: ${report.recovered} recovered, ${report.failures.length} failed (${seconds} s).`,
      ...Object.entries(report.endings).map(([ending, count]) => `  ${ending}: ${count}`),
      'By fault:',
      ...Object.entries(report.byFault).map(
        ([fault, counts]) => `  ${fault}: ${counts?.recovered} of ${counts?.points} recovered`,
      ),
      ...(report.notReached > 0 ? [`  (${report.notReached} faults fell on a call the faulted run did not make)`] : []),
      '',
    ].join('\n'),
  );
}
process.exit(report.failures.length > 0 ? 1 : 0);
