/**
 * Every way the command line can end while it holds a group, handled as one: SIGINT (Ctrl-C), SIGHUP (a dropped SSH
 * session), SIGTERM, a closed stdout (`… | head`: EPIPE), an uncaught error or unhandled rejection. The first one
 * aborts the run's signal: the runner stops starting forward steps, the definition's Catch rolls back what was done
 * and releases the lock, and the command says so on stderr before it exits (docs/decisions.md, "The operator's
 * command line (issue 12)"). Outside a run that changes something, a signal ends the process as it normally would.
 */
import { constants } from 'node:os';

export type EndingCause = 'SIGINT' | 'SIGHUP' | 'SIGTERM' | 'closed stdout' | 'uncaught error';

const SIGNALS = ['SIGINT', 'SIGHUP', 'SIGTERM'] as const;

/** The exit status a shell shows for each cause: 128 + the signal's number (a closed pipe is SIGPIPE's). */
export function exitCodeFor(cause: EndingCause): number {
  switch (cause) {
    case 'SIGINT':
    case 'SIGHUP':
    case 'SIGTERM':
      return 128 + constants.signals[cause];
    case 'closed stdout':
      return 128 + constants.signals.SIGPIPE;
    case 'uncaught error':
      return 1;
  }
}

export interface Endings {
  /** Aborted, with the cause as its reason, when the process starts ending. */
  readonly signal: AbortSignal;
  /** What is ending the process, once something is. */
  cause(): EndingCause | undefined;
  /** Whether stdout was closed by its reader: nothing more is written to it. */
  stdoutClosed(): boolean;
  /** Runs `work` as holding a group: an ending then rolls back instead of exiting at once. */
  holding<T>(work: () => Promise<T>): Promise<T>;
}

/** Writes to stderr, which may itself be gone (SIGHUP closes the terminal): a failed write is dropped. */
function tell(text: string): void {
  try {
    process.stderr.write(text);
  } catch {
    // The terminal is gone; the ledger still records the ending.
  }
}

/** Installs the process handlers (once, from cli/bin.ts). */
export function installEndings(): Endings {
  const controller = new AbortController();
  let cause: EndingCause | undefined;
  let closed = false;
  let held = 0;
  let interrupts = 0;

  const end = (why: EndingCause, detail?: string) => {
    if (held === 0) {
      if (detail) tell(`${detail}\n`);
      process.exit(exitCodeFor(why));
    }
    if (cause === undefined) {
      cause = why;
      tell(
        `\n${detail ? `${detail}\n` : ''}Stopping (${why}): no further change is started; what this run changed is being rolled back and its lock released…\n`,
      );
      controller.abort(why);
      return;
    }
    if (why === 'SIGINT' && ++interrupts >= 2) {
      tell('\nQuitting before the rollback finished: the group may be part-way; run the rollback command it names.\n');
      process.exit(exitCodeFor('SIGINT'));
    }
    if (why === 'SIGINT') tell('\nStill rolling back. Press Ctrl-C once more to quit anyway (not advised).\n');
  };

  for (const name of SIGNALS) process.on(name, () => end(name));
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    closed = true;
    end('closed stdout', error.code === 'EPIPE' ? undefined : `stdout failed: ${error.message}`);
  });
  process.stderr.on('error', () => undefined);
  process.on('uncaughtException', (error) => end('uncaught error', `Unexpected error: ${error.message}`));
  process.on('unhandledRejection', (reason) =>
    end('uncaught error', `Unexpected error: ${reason instanceof Error ? reason.message : String(reason)}`),
  );

  return {
    signal: controller.signal,
    cause: () => cause,
    stdoutClosed: () => closed,
    async holding(work) {
      held++;
      try {
        return await work();
      } finally {
        held--;
      }
    },
  };
}
