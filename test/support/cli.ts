/** The command line in-process, as the CLI tests drive it: `main(args)` with captured output and no terminal. */
import { type Io, main } from '../../cli/main.ts';

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
  /** stdout parsed, when the arguments include `--json`. */
  // biome-ignore lint/suspicious/noExplicitAny: each test reads the fields of the answer it expects.
  json: any;
}

export async function runCli(...args: string[]): Promise<CliRun> {
  let stdout = '';
  let stderr = '';
  const io: Io = {
    stdout: (text) => {
      stdout += text;
    },
    stderr: (text) => {
      stderr += text;
    },
    interactive: false,
  };
  const code = await main(args, io);
  return { code, stdout, stderr, json: args.includes('--json') ? JSON.parse(stdout) : undefined };
}
