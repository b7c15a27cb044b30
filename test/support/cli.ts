/** The command line in-process, as the CLI tests drive it: `main(args)` with captured output and no terminal. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach } from 'vitest';
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

/** A fresh temporary directory for each test of the calling file, removed after it; call the answer for its path. */
export function tempDirPerTest(prefix: string): () => string {
  let dir = '';
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), prefix));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));
  return () => dir;
}
