/**
 * Readable reasons from a Step Functions error and its cause, for people (the CLI, the notices): never the raw JSON.
 *
 * Causes come in three shapes:
 *  - a Lambda function's error: `{"errorType", "errorMessage", "reasons"?}` (our steps add `reasons`);
 *  - a failed child execution of `startExecution.sync:2`: error `States.TaskFailed`, cause the child's DescribeExecution
 *    output (`ExecutionArn`, `Name`, `Status`, `Error`, `Cause`, …;
 *    https://docs.aws.amazon.com/step-functions/latest/dg/connect-stepfunctions.html), whose own cause is one of these;
 *  - plain text (Fail states with a fixed cause, `States.Timeout`, `States.Runtime`).
 */

export interface Failure {
  /** The innermost error name: the one that says what went wrong (not `States.TaskFailed`). */
  error?: string;
  reasons: string[];
}

type Json = Record<string, unknown>;

function parseObject(text: string | undefined): Json | undefined {
  if (!text?.trimStart().startsWith('{')) return undefined;
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Json) : undefined;
  } catch {
    return undefined;
  }
}

const text = (value: unknown): string | undefined => (typeof value === 'string' && value !== '' ? value : undefined);

/** A cause nested this deep is not followed further (a child's child's …). */
const MAX_DEPTH = 4;

export function describeFailure(error: string | undefined, cause: string | undefined, depth = 0): Failure {
  const parsed = parseObject(cause);
  if (parsed && depth < MAX_DEPTH) {
    if (text(parsed.ExecutionArn) && text(parsed.Status)) {
      const inner = describeFailure(text(parsed.Error), text(parsed.Cause), depth + 1);
      const name = text(parsed.Name) ?? text(parsed.ExecutionArn);
      const how = parsed.Status === 'TIMED_OUT' ? 'timed out' : parsed.Status === 'ABORTED' ? 'was stopped' : 'failed';
      return {
        ...(inner.error ? { error: inner.error } : {}),
        reasons: [
          `The rollback execution ${name} ${how}${inner.error ? ` with ${inner.error}` : ''}.`,
          ...inner.reasons,
        ],
      };
    }
    if (text(parsed.errorType) || text(parsed.errorMessage)) {
      const reasons = Array.isArray(parsed.reasons)
        ? parsed.reasons.filter((reason) => typeof reason === 'string')
        : [];
      const errorType = text(parsed.errorType) ?? error;
      return {
        ...(errorType ? { error: errorType } : {}),
        reasons: reasons.length > 0 ? reasons : [text(parsed.errorMessage) ?? errorType ?? 'Unknown error.'],
      };
    }
  }
  if (cause) return { ...(error ? { error } : {}), reasons: [cause] };
  return { ...(error ? { error } : {}), reasons: error ? [error] : [] };
}
