/**
 * SDK errors a person can act on: the message names the operation and the HTTP status
 * (`DescribeSecurityGroupReferences failed: HTTP 500, response was not XML`), and the name stays the service's error
 * code, which is what the state machines' Retry and Catch blocks match (SDK v3 names service errors by code).
 *
 * An answer the SDK could not read (a proxy's HTML page, an empty body) carries no code: the SDK names it `Unknown`
 * or `Error`. It is renamed `InternalFailure` for a 5xx status — the common AWS code for a server-side failure
 * (the common errors of every AWS API, e.g. https://docs.aws.amazon.com/step-functions/latest/apireference/CommonErrors.html), which the Tasks retry — and
 * `UnreadableResponse` otherwise. Without any HTTP answer (a network error), the error's own `code` (ECONNRESET…)
 * names it. The error object is kept (with `$metadata`, `$response` and any fields callers read) and only its name
 * and message change. Readers that print `name: message` should leave the name out when the message has it.
 */

/** How the service writes its answers: the query and REST-XML protocols (EC2, S3, SNS, RDS…) or JSON. */
export type WireFormat = 'XML' | 'JSON';

const EXPLAINED = Symbol('explained');

/** Names the SDK gives an error it found no code for. */
const CODELESS = new Set(['', 'Error', 'Unknown', 'UnknownError']);

type SdkError = Error & {
  $metadata?: { httpStatusCode?: number };
  code?: unknown;
  [EXPLAINED]?: true;
};

/** `DescribeSecurityGroupReferencesCommand` → `DescribeSecurityGroupReferences`. */
export function operationOf(command: object): string {
  return command.constructor.name.replace(/Command$/, '') || 'The AWS call';
}

/** Rewrites `error` in place so that it says which call failed and how; answers it. */
export function explainSdkError(operation: string, error: unknown, format: WireFormat): unknown {
  if (!(error instanceof Error)) return error;
  const failure = error as SdkError;
  if (failure[EXPLAINED]) return failure;
  failure[EXPLAINED] = true;
  const status = failure.$metadata?.httpStatusCode;
  const coded = !CODELESS.has(failure.name);
  if (status !== undefined) {
    if (coded) {
      failure.message = `${operation} failed: HTTP ${status} ${failure.name}: ${failure.message}`;
    } else {
      failure.name = status >= 500 ? 'InternalFailure' : 'UnreadableResponse';
      failure.message = `${operation} failed: HTTP ${status}, response was not ${format}`;
    }
    return failure;
  }
  if (coded) {
    // Refused before any answer of the service: by the credentials (AssumeRole), the SDK's own checks.
    failure.message = `${operation} failed: ${failure.name}: ${failure.message}`;
    return failure;
  }
  failure.name = typeof failure.code === 'string' && failure.code !== '' ? failure.code : 'NoResponse';
  failure.message = `${operation} failed with no answer from the service: ${failure.message}`;
  return failure;
}

/**
 * The client's `send`, with its errors explained: `this.send = explainingSend(client, 'XML')`, then
 * `this.send(new DescribeSecurityGroupsCommand(…))` as with the client.
 */
export function explainingSend<C extends { send: (...args: never[]) => Promise<unknown> }>(
  client: C,
  format: WireFormat,
): C['send'] {
  const send = (command: object, ...rest: unknown[]) =>
    (client.send as (...args: unknown[]) => Promise<unknown>)(command, ...rest).catch((error: unknown) => {
      throw explainSdkError(operationOf(command), error, format);
    });
  return send as C['send'];
}
