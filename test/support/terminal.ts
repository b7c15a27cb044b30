/**
 * The command line in a real terminal, as a person runs it: `script` (util-linux) gives the process a pty for its
 * stdin, stdout and stderr, so the prompt appears, Ctrl-C is a keystroke and signals reach it as they would from a
 * shell. Output is what the terminal shows (stdout and stderr together).
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { join } from 'node:path';

const repo = join(import.meta.dirname, '..', '..');
export const LAUNCHER = join(repo, 'cli', 'launch.mjs');

export interface TerminalSession {
  /** Everything the terminal showed so far. */
  screen(): string;
  /** Resolves once the screen contains `text` (rejects after `timeoutMs`). */
  waitFor(text: string | RegExp, timeoutMs?: number): Promise<void>;
  /** Types into the terminal ("\x03" is Ctrl-C). */
  type(keys: string): void;
  /** The pid of the command itself (the child `script` started). */
  commandPid(): number;
  /** Resolves with the command's exit status once `script` ends. */
  exited(): Promise<number>;
}

const shellQuote = (word: string) => `'${word.replace(/'/g, `'\\''`)}'`;

/** Runs `node [nodeArgs] cli/launch.mjs args…` in a terminal; `pipeTo` pipes its stdout into that shell command. */
export function inTerminal(args: string[], options: { nodeArgs?: string[]; pipeTo?: string } = {}): TerminalSession {
  const command = [process.execPath, ...(options.nodeArgs ?? []), LAUNCHER, ...args].map(shellQuote).join(' ');
  const line = options.pipeTo ? `${command} | ${options.pipeTo}` : `exec ${command}`;
  const child: ChildProcess = spawn('script', ['-qefc', line, '/dev/null'], {
    cwd: repo,
    stdio: ['pipe', 'pipe', 'pipe'],
    env: { ...process.env, COLUMNS: '200' },
  });
  let screen = '';
  const listeners = new Set<() => void>();
  const onData = (chunk: Buffer) => {
    screen += chunk.toString('utf8');
    for (const listener of listeners) listener();
  };
  child.stdout?.on('data', onData);
  child.stderr?.on('data', onData);
  const exit = new Promise<number>((resolve) =>
    child.on('exit', (code, signal) => resolve(code ?? (signal ? 128 : 1))),
  );
  return {
    screen: () => screen,
    waitFor(text, timeoutMs = 30_000) {
      const found = () => (typeof text === 'string' ? screen.includes(text) : text.test(screen));
      return new Promise((resolve, reject) => {
        if (found()) return resolve();
        const timer = setTimeout(() => {
          listeners.delete(check);
          reject(new Error(`Timed out waiting for ${String(text)}; the screen shows:\n${screen}`));
        }, timeoutMs);
        const check = () => {
          if (!found()) return;
          clearTimeout(timer);
          listeners.delete(check);
          resolve();
        };
        listeners.add(check);
      });
    },
    type: (keys) => child.stdin?.write(keys),
    commandPid() {
      // `script` forks one child: the shell, which exec'd node (or, with a pipe, runs node and the reader).
      const children = execFileSync('ps', ['-o', 'pid=,comm=', '--ppid', String(child.pid)], { encoding: 'utf8' })
        .trim()
        .split('\n')
        .map((row) => row.trim().split(/\s+/));
      const direct = children.find(([, comm]) => comm === 'node');
      if (direct) return Number(direct[0]);
      const shell = Number(children[0]?.[0]);
      const grand = execFileSync('ps', ['-o', 'pid=,comm=', '--ppid', String(shell)], { encoding: 'utf8' })
        .trim()
        .split('\n')
        .map((row) => row.trim().split(/\s+/))
        .find(([, comm]) => comm === 'node');
      if (!grand) throw new Error('The command is not running.');
      return Number(grand[0]);
    },
    exited: () => exit,
  };
}
