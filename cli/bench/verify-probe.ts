/**
 * The benchmark's child process (verify-cost.ts bundles it and runs it with plain node, as Lambda runs a bundle): runs
 * "Verify the result" once, alone in a fresh process, on the state a remediation left and its stored snapshot, and
 * prints one JSON object: the step's CPU seconds (process.cpuUsage around it, every thread of the process counted),
 * the process's peak resident memory (maxRSS, loading the state file included) and its resident memory just before.
 *
 * Arguments: the state file, the store directory, the step's input as JSON.
 */
import { Ec2Simulator } from '../../handlers/adapters/local/ec2-simulator.ts';
import { verify } from '../../handlers/steps/finish.ts';
import { createLocalDeps } from '../deps.ts';

const MB = 1024 * 1024;

async function main([stateFile = '', storeDir = '', input = '']: string[]): Promise<void> {
  const simulator = await Ec2Simulator.fromFile(stateFile);
  const deps = createLocalDeps({ simulator, storeDir, notifier: { publish: async () => {} } });
  const baselineMb = process.memoryUsage().rss / MB;
  const started = process.cpuUsage();
  let output: unknown;
  let error: string | undefined;
  try {
    output = await verify(JSON.parse(input), deps);
  } catch (failure) {
    error = failure instanceof Error ? `${failure.name}: ${failure.message}` : String(failure);
  }
  const cpu = process.cpuUsage(started);
  process.stdout.write(
    `${JSON.stringify({
      cpuSeconds: (cpu.user + cpu.system) / 1e6,
      peakMb: (process.resourceUsage().maxRSS * 1024) / MB,
      baselineMb,
      ...(error === undefined ? { output } : { error }),
    })}\n`,
  );
}

main(process.argv.slice(2)).catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
  process.exitCode = 1;
});
