/**
 * What "Verify the result" costs, measured in a process of its own: the step is run again by verify-probe.ts — bundled
 * with esbuild and run with plain node, as Lambda runs a bundle — on the state the remediation left and the snapshot
 * it stored. The step only reads, and nothing after it in the workflow changes EC2, so the child repeats exactly the
 * work the step did in the run, with nothing else in its memory but the simulator holding the state.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';
import type { Ec2Simulator } from '../../handlers/adapters/local/ec2-simulator.ts';

export interface VerifyCost {
  /** CPU seconds of the step (user + system, all threads: the garbage collector's too). */
  cpuSeconds: number;
  /** Peak resident memory of the whole process (Node, the bundle, the simulator and its state file, the step). */
  peakMb: number;
  /** Resident memory just before the step ran. */
  baselineMb: number;
}

let bundled: Promise<string> | undefined;

/** The probe's bundle, built once per process into a temporary directory removed when the process exits. */
function probeBundle(root: string): Promise<string> {
  bundled ??= (async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dsr-verify-probe-'));
    process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
    const outfile = join(dir, 'verify-probe.cjs');
    await build({
      entryPoints: [join(root, 'cli', 'bench', 'verify-probe.ts')],
      bundle: true,
      platform: 'node',
      target: 'node22',
      format: 'cjs',
      outfile,
      logLevel: 'silent',
    });
    return outfile;
  })();
  return bundled;
}

/** Runs the Verify step once in a child process, on the simulator's state and the snapshot stored in `storeDir`. */
export async function measureVerify(
  root: string,
  storeDir: string,
  simulator: Ec2Simulator,
  input: { remediationId: string; target: object; replacementGroupId?: unknown; snapshotRevision: number },
): Promise<VerifyCost> {
  const probe = await probeBundle(root);
  const stateFile = join(storeDir, 'verified.state.json');
  await simulator.toFile(stateFile);
  const child = spawnSync(process.execPath, [probe, stateFile, storeDir, JSON.stringify(input)], {
    encoding: 'utf8',
    maxBuffer: 16 * 1024 * 1024,
  });
  const report = child.status === 0 ? (JSON.parse(child.stdout) as VerifyCost & { error?: string }) : undefined;
  if (!report || report.error !== undefined) {
    throw new Error(`The Verify step failed when run again: ${report?.error ?? child.stderr}`);
  }
  return { cpuSeconds: report.cpuSeconds, peakMb: report.peakMb, baselineMb: report.baselineMb };
}
