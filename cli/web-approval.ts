/**
 * `cli remediate --approve web`: the approval page of a local run, served from the very handler the deployment runs
 * behind API Gateway (`createLinksHandler`), on `http://127.0.0.1:<random port>`.
 *
 * When the run reaches its approval, the server starts and the link is printed to the terminal (stderr). The page's
 * POST goes through `decideApproval` with the run's own task callbacks, exactly as the Lambda does with Step Functions';
 * the approver then answers `'decided'` (the runner does not decide a second time). The server stops when the run ends.
 *
 * A tiny adapter turns a node:http request into an API Gateway HTTP API (payload format 2.0) event and the handler's
 * answer back into a response. `/approvals/{id}` and `/digests/{id}` (a batch window's digest, when runs of one process
 * share this server: steps/digest.ts) are served; rollback links are not issued by local runs.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createLinksHandler, type LinksHandler } from '../handlers/http/links.ts';
import { badRequest, type HttpAnswer, internalError, unknownLink } from '../handlers/http/pages.ts';
import { EXECUTION_ENDED, type RollbackStarter, type TaskCallbacks } from '../handlers/ports.ts';
import type { Deps } from '../handlers/steps/deps.ts';
import type { Approver } from './runner.ts';

/** The loopback address the page is served on: reachable from this machine only. */
export const WEB_APPROVAL_HOST = '127.0.0.1';

/** Largest request body read (the handler accepts 4 KiB, 64 KiB for a digest's form). */
const MAX_BODY_BYTES = 128 * 1024;

/** How long `close` lets a request in flight finish before it cuts the connections. */
const CLOSE_GRACE_MS = 2000;

/** The fields of an API Gateway HTTP API payload 2.0 event that the adapter fills. */
export interface ApiGatewayV2Event {
  version: '2.0';
  routeKey: string;
  rawPath: string;
  rawQueryString: string;
  headers: Record<string, string>;
  pathParameters?: { id: string };
  requestContext: {
    domainName?: string;
    http: { method: string; path: string; protocol: string; sourceIp: string };
  };
  body?: string;
  isBase64Encoded: false;
}

const LINK_PATH = /^\/(approvals|digests)\/([^/]+)\/?$/;

/** The request line, headers and body of a node:http request. */
export interface PlainRequest {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
  sourceIp?: string;
}

/**
 * The API Gateway v2 event for a request to `/approvals/{id}` or `/digests/{id}`, or undefined for any other path. Header names are
 * lower-case (node:http already does so); repeated headers are joined with ", " as API Gateway does.
 */
export function eventOf(request: PlainRequest): ApiGatewayV2Event | undefined {
  const url = new URL(request.url, 'http://local.invalid');
  const match = LINK_PATH.exec(url.pathname);
  if (!match) return undefined;
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(request.headers)) {
    if (value === undefined) continue;
    headers[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : value;
  }
  const method = request.method.toUpperCase();
  return {
    version: '2.0',
    routeKey: `${method} /${match[1]}/{id}`,
    rawPath: url.pathname,
    rawQueryString: url.search.replace(/^\?/, ''),
    headers,
    pathParameters: { id: match[2] ?? '' },
    requestContext: {
      ...(headers.host ? { domainName: headers.host } : {}),
      http: { method, path: url.pathname, protocol: 'HTTP/1.1', sourceIp: request.sourceIp ?? '' },
    },
    ...(request.body ? { body: request.body } : {}),
    isBase64Encoded: false,
  };
}

function send(response: ServerResponse, answer: HttpAnswer): void {
  response.writeHead(answer.statusCode, answer.headers);
  response.end(answer.body);
}

/** Reads the body as UTF-8, or undefined when it is larger than {@link MAX_BODY_BYTES}. */
async function readBody(request: IncomingMessage): Promise<string | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    const buffer = chunk as Buffer;
    size += buffer.length;
    if (size > MAX_BODY_BYTES) return undefined;
    chunks.push(buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** A node:http listener answering `/approvals/{id}` and `/digests/{id}` with `handler`; every other path is an unknown link (404). */
export function nodeListener(
  handler: LinksHandler,
  options: { allowedHosts: () => readonly string[] },
): (request: IncomingMessage, response: ServerResponse) => Promise<void> {
  return async (request, response) => {
    try {
      // A page of another site that rebinds its name to 127.0.0.1 arrives with its own Host: refused.
      const host = request.headers.host?.toLowerCase();
      if (!host || !options.allowedHosts().includes(host)) {
        send(response, badRequest('This address serves only its own host name.'));
        return;
      }
      const body = await readBody(request);
      if (body === undefined) {
        send(response, badRequest('The form is too large.'));
        request.destroy();
        return;
      }
      const event = eventOf({
        method: request.method ?? 'GET',
        url: request.url ?? '/',
        headers: request.headers,
        body,
        ...(request.socket.remoteAddress ? { sourceIp: request.socket.remoteAddress } : {}),
      });
      send(response, event ? await handler(event) : unknownLink());
    } catch {
      if (!response.headersSent) send(response, internalError());
      else response.destroy();
    }
  };
}

/** Rollback links are not issued by local runs; the route is not served, this is only the handler's dependency. */
const noRollbacks: RollbackStarter = {
  async start() {
    throw new Error('The local runner does not serve rollback links: use npx default-sg-remediation rollback.');
  },
};

function executionEnded(): Error {
  const error = new Error('The run is no longer waiting for this approval.');
  error.name = EXECUTION_ENDED;
  return error;
}

interface Waiting {
  callbacks: TaskCallbacks;
  /** Set once the decision has reached the run's callbacks. */
  delivered: boolean;
  settle: () => void;
}

export interface WebApprovalOptions {
  /** Where the link goes: the terminal (stderr), never a log. */
  print: (text: string) => void;
  /** 0 (default): a random free port. */
  port?: number;
}

export interface WebApproval {
  /** Starts the server when the run reaches its approval, prints the link, and settles once the page decided. */
  approver: Approver;
  /** `http://127.0.0.1:<port>` once the server listens. */
  readonly origin: string | undefined;
  /** Stops the server (idempotent). Call it when the run ends. */
  close(): Promise<void>;
}

/**
 * The `web` approval mode. `deps` are the run's (the same ledger and snapshot store), so the page shows the run's plan
 * and `decideApproval` records the decision in the run's ledger.
 */
export function createWebApproval(deps: Deps, options: WebApprovalOptions): WebApproval {
  /** Approvals waiting for the page, by task token (which stays here: it is not printed and not served). */
  const waiting = new Map<string, Waiting>();

  const deliver = (token: string, send: (callbacks: TaskCallbacks) => Promise<void>) => {
    const entry = waiting.get(token);
    // A pending approval of an earlier run found in the same store: nothing waits for it any more.
    if (!entry || entry.delivered) throw executionEnded();
    return send(entry.callbacks).then(() => {
      entry.delivered = true;
    });
  };
  const callbacks: TaskCallbacks = {
    succeed: (token, output) => deliver(token, (run) => run.succeed(token, output)),
    fail: (token, error, cause) => deliver(token, (run) => run.fail(token, error, cause)),
  };

  /** After each response: the approvals whose decision was delivered let the run go on. */
  const settleDelivered = () => {
    for (const [token, entry] of waiting) {
      if (!entry.delivered) continue;
      waiting.delete(token);
      entry.settle();
    }
  };

  const handler = createLinksHandler(deps, callbacks, noRollbacks);
  let server: Server | undefined;
  let origin: string | undefined;
  let listening: Promise<string> | undefined;
  let closed = false;

  const listen = (): Promise<string> => {
    listening ??= new Promise<string>((resolve, reject) => {
      const listener = nodeListener(handler, {
        allowedHosts: () => {
          const port = (server?.address() as AddressInfo | null)?.port;
          return port ? [`${WEB_APPROVAL_HOST}:${port}`, `localhost:${port}`] : [];
        },
      });
      const created = createServer((request, response) => {
        // The decision is answered first, then the run continues (and may close the server).
        response.once('close', settleDelivered);
        void listener(request, response);
      });
      created.requestTimeout = 30_000;
      created.headersTimeout = 10_000;
      created.once('error', reject);
      created.listen(options.port ?? 0, WEB_APPROVAL_HOST, () => {
        created.off('error', reject);
        const { port } = created.address() as AddressInfo;
        origin = `http://${WEB_APPROVAL_HOST}:${port}`;
        resolve(origin);
      });
      server = created;
    });
    return listening;
  };

  const approver: Approver = async ({ remediationId, approvalId, callbacks: runCallbacks }) => {
    if (closed) throw new Error('The web approval server is closed.');
    const record = await deps.ledger.getApproval(approvalId);
    if (!record) throw new Error(`The approval of remediation ${remediationId} is not in the ledger.`);
    const base = await listen();
    const decided = new Promise<'decided'>((resolve) => {
      waiting.set(record.taskToken, { callbacks: runCallbacks, delivered: false, settle: () => resolve('decided') });
    });
    options.print(
      [
        '',
        `Approve or reject remediation ${remediationId} in a browser:`,
        '',
        `  ${base}/approvals/${approvalId}`,
        '',
        'Anyone on this machine who has the link can decide, once. Waiting for the decision until',
        `${new Date(record.expiresAt * 1000).toISOString()}; without one by then, everything is put back as it was.`,
        '',
      ].join('\n'),
    );
    return decided;
  };

  return {
    approver,
    get origin() {
      return origin;
    },
    async close() {
      closed = true;
      const current = server;
      server = undefined;
      if (!current?.listening) return;
      await new Promise<void>((resolve) => {
        const cut = setTimeout(() => current.closeAllConnections(), CLOSE_GRACE_MS);
        cut.unref();
        current.close(() => {
          clearTimeout(cut);
          resolve();
        });
        current.closeIdleConnections();
      });
    },
  };
}
