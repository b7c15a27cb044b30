import type { Logger } from '../ports.ts';

/** Keys whose values never reach a log line (task tokens, approval ids, lock tokens, secrets). */
export const REDACTED_KEY = /token|approvalId|secret|password/i;
export const REDACTED = '[redacted]';

const MAX_DEPTH = 20;

/**
 * A copy of `value` that is safe to log: every property whose key matches {@link REDACTED_KEY} is replaced by
 * `[redacted]`, at any depth (objects, arrays, error properties). Errors become `{name, message, stack, ...}`;
 * cycles become `[circular]`; bigints become strings.
 */
export function redact(value: unknown): unknown {
  return redactValue(value, new WeakSet(), 0);
}

function redactValue(value: unknown, seen: WeakSet<object>, depth: number): unknown {
  if (typeof value === 'bigint') return value.toString();
  if (typeof value !== 'object' || value === null) return value;
  if (seen.has(value)) return '[circular]';
  if (depth >= MAX_DEPTH) return '[too deep]';
  seen.add(value);
  try {
    if (Array.isArray(value)) return value.map((item) => redactValue(item, seen, depth + 1));
    if (value instanceof Date) return value.toISOString();
    const source: Record<string, unknown> =
      value instanceof Error
        ? { name: value.name, message: value.message, stack: value.stack, ...(value as object) }
        : (value as Record<string, unknown>);
    const out: Record<string, unknown> = {};
    for (const [key, inner] of Object.entries(source)) {
      out[key] = REDACTED_KEY.test(key) ? REDACTED : redactValue(inner, seen, depth + 1);
    }
    if (value instanceof Error && value.cause !== undefined) out.cause = redactValue(value.cause, seen, depth + 1);
    return out;
  } finally {
    seen.delete(value);
  }
}

type Level = 'info' | 'warn' | 'error';

/**
 * A structured logger: one JSON line per call, `{level, message, time, ...base, ...fields}`, with secrets redacted
 * (see {@link redact}). `level`, `message` and `time` cannot be overridden by fields. `write` receives the whole line,
 * newline included (default: stdout, which Lambda sends to CloudWatch Logs).
 */
export function createLogger(
  base: Record<string, unknown> = {},
  write: (line: string) => void = (line) => {
    process.stdout.write(line);
  },
): Logger {
  const emit = (level: Level, message: string, fields?: Record<string, unknown>): void => {
    const time = new Date().toISOString();
    const extra = redact({ ...base, ...fields }) as Record<string, unknown>;
    const entry: Record<string, unknown> = { level, message, time, ...extra };
    // Fields named level/message/time keep their place in the line but never change what they say.
    entry.level = level;
    entry.message = message;
    entry.time = time;
    let line: string;
    try {
      line = JSON.stringify(entry);
    } catch (error) {
      line = JSON.stringify({ level, message, time, logError: `unserialisable fields: ${String(error)}` });
    }
    write(`${line}\n`);
  };
  return {
    info: (message, fields) => emit('info', message, fields),
    warn: (message, fields) => emit('warn', message, fields),
    error: (message, fields) => emit('error', message, fields),
  };
}

/** A logger that writes nothing. */
export const silentLogger: Logger = {
  info: () => {},
  warn: () => {},
  error: () => {},
};
