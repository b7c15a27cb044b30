/**
 * The approval and rollback links, behind an API Gateway HTTP API (payload format 2.0):
 *
 *   GET  /approvals/{id}   the plan and two buttons; changes nothing
 *   POST /approvals/{id}   decision=approve|reject, once (ledger conditional update → SendTaskSuccess/Failure)
 *   GET  /rollbacks/{id}   what rollback restores and a button; changes nothing
 *   POST /rollbacks/{id}   claims the link once and starts the rollback state machine
 *   GET  /digests/{id}     every run of one batch window, by account and region; changes nothing
 *   POST /digests/{id}     decision=approve-all|approve-selected|reject-all (+ select=<index>…): each waiting run
 *                          decided once, as on its own approval page (steps/digest.ts decideDigest)
 *
 * This module validates the event and talks to the ports; the pages (and their status codes) are in `pages.ts`, the
 * cross-site defences in `csrf.ts`. Link ids, task tokens and CSRF tokens are never logged.
 */
import { SFNClient } from '@aws-sdk/client-sfn';
import * as z from 'zod';
import { SfnRollbackStarter, SfnTaskCallbacks } from '../adapters/aws/sfn.ts';
import type { Snapshot } from '../core/snapshot.ts';
import { openTightenSnapshot, type TightenSnapshot, tightenSnapshotKey } from '../core/tighten.ts';
import { depsFromEnv } from '../lambda/runtime.ts';
import {
  EXECUTION_ENDED,
  type RemediationRecord,
  type RollbackLinkRecord,
  type RollbackStarter,
  type TaskCallbacks,
} from '../ports.ts';
import { decideApproval } from '../steps/approval.ts';
import { loadSnapshot } from '../steps/common.ts';
import type { Deps } from '../steps/deps.ts';
import { type DigestChoice, decideDigest, digestLines, latestPerRun } from '../steps/digest.ts';
import { CSRF_FIELD, crossSiteReason, csrfToken, csrfTokenValid, LINK_ID_PATTERN, type LinkKind } from './csrf.ts';
import { digestDecidedPage, digestPage, SELECT_FIELD } from './digest-pages.ts';
import {
  approvalPage,
  approvalStatePage,
  badRequest,
  crossSiteRefused,
  decidedPage,
  decisionNotDeliveredPage,
  type HttpAnswer,
  internalError,
  methodNotAllowed,
  planUnavailable,
  rollbackNotStartedPage,
  rollbackPage,
  rollbackStartedPage,
  rollbackStatePage,
  tightenApprovalPage,
  unknownLink,
  unsupportedMediaType,
} from './pages.ts';

export type { HttpAnswer } from './pages.ts';

/** Largest form body accepted (ours is under 200 bytes). */
const MAX_BODY = 4096;
/** A digest's form names each selected run (`select=<index>`, about 12 bytes): room for thousands. */
const DIGEST_MAX_BODY = 64 * 1024;

/** The part of an API Gateway HTTP API payload 2.0 event that the links use. Other fields are ignored. */
const eventSchema = z.object({
  routeKey: z.string().max(256),
  rawPath: z.string().max(2048),
  headers: z.record(z.string(), z.string().max(8192)).optional(),
  pathParameters: z.record(z.string(), z.string().max(2048)).optional(),
  requestContext: z.object({
    domainName: z.string().max(512).optional(),
    http: z.object({ method: z.string().max(16) }),
  }),
  body: z
    .string()
    .max(DIGEST_MAX_BODY * 2)
    .optional(),
  isBase64Encoded: z.boolean().optional(),
});

export type LinksEvent = z.input<typeof eventSchema>;
export type LinksHandler = (event: unknown) => Promise<HttpAnswer>;

const ROUTE_KEY = /^[A-Z]+ \/(approvals|rollbacks|digests)\/\{id\}$/;
const RAW_PATH = /\/(approvals|rollbacks|digests)\/([^/]*)\/?$/;
const KINDS: Record<string, LinkKind> = { approvals: 'approval', rollbacks: 'rollback', digests: 'digest' };

interface LinkRequest {
  method: 'GET' | 'POST';
  kind: LinkKind;
  /** Validated against {@link LINK_ID_PATTERN}. */
  id: string;
  headers: Record<string, string>;
  host: string | undefined;
  body: string;
}

type Parsed = { request: LinkRequest } | { answer: HttpAnswer; reason: string };

function parseEvent(raw: unknown): Parsed {
  const parsed = eventSchema.safeParse(raw);
  if (!parsed.success) {
    const fields = [...new Set(parsed.error.issues.map((issue) => issue.path.join('.') || 'event'))].join(', ');
    return { answer: badRequest('The request is not one this page understands.'), reason: `invalid event: ${fields}` };
  }
  const event = parsed.data;
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(event.headers ?? {})) headers[name.toLowerCase()] = value;

  const byRoute = ROUTE_KEY.exec(event.routeKey);
  const byPath = RAW_PATH.exec(event.rawPath);
  const kindName = byRoute?.[1] ?? byPath?.[1];
  if (!kindName) return { answer: unknownLink(), reason: 'no link route' };
  const kind = KINDS[kindName] as LinkKind;
  const id = event.pathParameters?.id ?? byPath?.[2] ?? '';
  if (!LINK_ID_PATTERN.test(id)) return { answer: unknownLink(), reason: 'malformed link id' };

  const method = event.requestContext.http.method.toUpperCase();
  if (method !== 'GET' && method !== 'POST') return { answer: methodNotAllowed(), reason: 'method not allowed' };

  let body = event.body ?? '';
  if (event.isBase64Encoded) body = Buffer.from(body, 'base64').toString('utf8');
  if (body.length > (kind === 'digest' ? DIGEST_MAX_BODY : MAX_BODY)) {
    return { answer: badRequest('The form is too large.'), reason: 'body too large' };
  }

  return {
    request: { method, kind, id, headers, host: headers.host ?? event.requestContext.domainName, body },
  };
}

const approvalFormSchema = z.object({ decision: z.enum(['approve', 'reject']) });
const rollbackFormSchema = z.object({ action: z.literal('rollback').optional() });

const digestFormSchema = z.object({ decision: z.enum(['approve-all', 'approve-selected', 'reject-all']) });

type Form = { fields: Record<string, string>; repeated: string[] } | { answer: HttpAnswer; reason: string };

/**
 * The checks every POST passes before the ledger is read: same site, a urlencoded form, each field once — except
 * `repeatable` (a digest's checkboxes), whose values are collected in order.
 */
function readForm(request: LinkRequest, repeatable?: string): Form {
  const crossSite = crossSiteReason(request.headers, request.host);
  if (crossSite) return { answer: crossSiteRefused(), reason: `cross-site: ${crossSite}` };
  const contentType = request.headers['content-type']?.split(';')[0]?.trim().toLowerCase();
  if (contentType !== 'application/x-www-form-urlencoded') {
    return { answer: unsupportedMediaType(), reason: 'not a urlencoded form' };
  }
  const fields: Record<string, string> = Object.create(null);
  const repeated: string[] = [];
  for (const [name, value] of new URLSearchParams(request.body)) {
    if (name === repeatable) {
      repeated.push(value);
      continue;
    }
    if (Object.hasOwn(fields, name)) return { answer: badRequest('A field is repeated.'), reason: 'repeated field' };
    fields[name] = value;
  }
  return { fields, repeated };
}

const seconds = (date: Date) => Math.floor(date.getTime() / 1000);

function errorName(error: unknown): string {
  return error instanceof Error ? error.name : typeof error;
}

/**
 * The links' request handler, with its dependencies: `deps` (ledger, snapshot store, clock, logger), the task
 * callbacks that settle the approval wait, and the starter of the rollback state machine. Used by the Lambda entry
 * below, by the tests, and by the local `--approve web` mode.
 */
export function createLinksHandler(
  deps: Deps,
  callbacks: TaskCallbacks,
  rollbackStarter: RollbackStarter,
): LinksHandler {
  const log = deps.log;

  const refuse = (kind: LinkKind | undefined, answer: HttpAnswer, reason: string): HttpAnswer => {
    log.warn('link request refused', { kind, status: answer.statusCode, reason });
    return answer;
  };

  /** The plan and the remediation record for a page, or undefined when the snapshot cannot be read. */
  const loadPlan = async (
    remediationId: string,
  ): Promise<{ snapshot: Snapshot; record?: RemediationRecord } | undefined> => {
    const record = await deps.ledger.getRemediation(remediationId);
    try {
      const snapshot = await loadSnapshot(deps, remediationId, record?.groupId);
      return { snapshot, ...(record ? { record } : {}) };
    } catch (error) {
      log.error('snapshot unavailable for a link page', { remediationId, error: errorName(error) });
      return undefined;
    }
  };

  /** A tightening's snapshot; undefined when the id is not a tightening's, 'unreadable' when it is damaged. */
  const loadTightening = async (remediationId: string): Promise<TightenSnapshot | 'unreadable' | undefined> => {
    const text = await deps.store.get(tightenSnapshotKey(remediationId));
    if (text === undefined) return undefined;
    try {
      return openTightenSnapshot(text, remediationId);
    } catch (error) {
      log.error('snapshot unavailable for a link page', { remediationId, error: errorName(error) });
      return 'unreadable';
    }
  };

  async function getApproval(request: LinkRequest): Promise<HttpAnswer> {
    const approval = await deps.ledger.getApproval(request.id);
    if (!approval) return refuse('approval', unknownLink(), 'unknown id');
    const now = seconds(deps.now());
    const detail = { method: 'GET' as const, decidedAt: approval.decidedAt, expiresAt: approval.expiresAt, now };
    if (approval.status === 'approved' || approval.status === 'rejected') {
      return approvalStatePage(approval.status, detail);
    }
    if (approval.status === 'expired' || approval.expiresAt < now) return approvalStatePage('expired', detail);
    const csrf = csrfToken('approval', request.id, approval.taskToken);
    // A tightening (tighten) has its own snapshot and page.
    const tightening = await loadTightening(approval.remediationId);
    if (tightening === 'unreadable') return planUnavailable();
    if (tightening)
      return tightenApprovalPage({ snapshot: tightening, expiresAt: approval.expiresAt, now, csrfToken: csrf });
    const loaded = await loadPlan(approval.remediationId);
    if (!loaded) return planUnavailable();
    return approvalPage({
      plan: loaded.snapshot.plan,
      ...(loaded.record ? { record: loaded.record } : {}),
      expiresAt: approval.expiresAt,
      now,
      csrfToken: csrf,
    });
  }

  async function postApproval(request: LinkRequest): Promise<HttpAnswer> {
    const form = readForm(request);
    if ('answer' in form) return refuse('approval', form.answer, form.reason);
    const approval = await deps.ledger.getApproval(request.id);
    if (!approval) return refuse('approval', unknownLink(), 'unknown id');
    if (!csrfTokenValid('approval', request.id, approval.taskToken, form.fields[CSRF_FIELD])) {
      return refuse('approval', crossSiteRefused(), 'missing or wrong CSRF token');
    }
    const decisionField = approvalFormSchema.safeParse(form.fields);
    if (!decisionField.success) {
      return refuse('approval', badRequest('The decision must be approve or reject.'), 'bad decision');
    }
    const decision = decisionField.data.decision === 'approve' ? 'approved' : 'rejected';

    // Read before deciding: once the decision is sent, the page answers at once (the run waits for the answer).
    const kind = (await loadTightening(approval.remediationId)) ? 'tighten' : 'migration';
    let outcome: Awaited<ReturnType<typeof decideApproval>>['outcome'];
    try {
      ({ outcome } = await decideApproval(request.id, decision, deps, callbacks));
    } catch (error) {
      if (errorName(error) === EXECUTION_ENDED) {
        // The decision was recorded, but nothing waits for it: say so on later visits rather than "approved".
        await deps.ledger.putApproval({ ...approval, status: 'expired' });
        log.warn('decision for an execution that has ended', { remediationId: approval.remediationId, decision });
        return approvalStatePage('ended', { method: 'POST', now: seconds(deps.now()) });
      }
      const after = await deps.ledger.getApproval(request.id).catch(() => undefined);
      if (after && after.status !== 'pending') {
        log.error('decision recorded but not delivered', {
          remediationId: approval.remediationId,
          decision,
          error: errorName(error),
        });
        return decisionNotDeliveredPage();
      }
      throw error;
    }

    const now = seconds(deps.now());
    switch (outcome) {
      case 'approved':
      case 'rejected':
        return decidedPage(outcome, kind);
      case 'unknown':
        return refuse('approval', unknownLink(), 'unknown id');
      case 'expired':
        return refuse(
          'approval',
          approvalStatePage('expired', { method: 'POST', expiresAt: approval.expiresAt, now }),
          'expired',
        );
      case 'already-decided': {
        const current = (await deps.ledger.getApproval(request.id)) ?? approval;
        const state = current.status === 'approved' || current.status === 'rejected' ? current.status : 'expired';
        const page = approvalStatePage(state, {
          method: 'POST',
          decidedAt: current.decidedAt,
          expiresAt: current.expiresAt,
          now,
        });
        return refuse('approval', page, 'already decided');
      }
    }
  }

  async function getDigest(request: LinkRequest): Promise<HttpAnswer> {
    const digest = await deps.ledger.getDigest(request.id);
    if (!digest) return refuse('digest', unknownLink(), 'unknown id');
    return digestPage({
      lines: await digestLines(deps, latestPerRun(digest.entries)),
      now: seconds(deps.now()),
      csrfToken: csrfToken('digest', request.id, digest.csrfSecret),
    });
  }

  async function postDigest(request: LinkRequest): Promise<HttpAnswer> {
    const form = readForm(request, SELECT_FIELD);
    if ('answer' in form) return refuse('digest', form.answer, form.reason);
    const digest = await deps.ledger.getDigest(request.id);
    if (!digest) return refuse('digest', unknownLink(), 'unknown id');
    if (!csrfTokenValid('digest', request.id, digest.csrfSecret, form.fields[CSRF_FIELD])) {
      return refuse('digest', crossSiteRefused(), 'missing or wrong CSRF token');
    }
    const decision = digestFormSchema.safeParse(form.fields);
    if (!decision.success) {
      return refuse(
        'digest',
        badRequest('The decision must be approve-all, approve-selected or reject-all.'),
        'bad decision',
      );
    }
    // Each selected run by its index among the page's lines; anything else is refused whole.
    const runs = latestPerRun(digest.entries);
    const selected: string[] = [];
    for (const value of form.repeated) {
      const entry = /^\d{1,6}$/.test(value) ? runs[Number(value)] : undefined;
      if (entry?.kind !== 'approval') {
        return refuse('digest', badRequest('A selected run is not one of this batch.'), 'bad selection');
      }
      selected.push(entry.remediationId);
    }
    const choice: DigestChoice =
      decision.data.decision === 'approve-selected'
        ? { decision: 'approve-selected', selected }
        : { decision: decision.data.decision };
    const lines = await digestLines(deps, runs);
    const groups = new Map(lines.map((line) => [line.entry.remediationId, line.groupId]));
    const results = await decideDigest(deps, callbacks, digest, choice);
    return digestDecidedPage(
      results.map((result) => ({ ...result, groupId: groups.get(result.remediationId) ?? '?' })),
    );
  }

  async function getRollback(request: LinkRequest): Promise<HttpAnswer> {
    const link = await deps.ledger.getRollbackLink(request.id);
    if (!link) return refuse('rollback', unknownLink(), 'unknown id');
    const now = seconds(deps.now());
    if (link.status === 'used') return rollbackStatePage('used', { method: 'GET', ...usedDetail(link), now });
    if (link.status === 'expired' || link.expiresAt < now) {
      return rollbackStatePage('expired', { method: 'GET', expiresAt: link.expiresAt, now });
    }
    const loaded = await loadPlan(link.remediationId);
    if (!loaded) return planUnavailable();
    return rollbackPage({
      plan: loaded.snapshot.plan,
      ...(loaded.record ? { record: loaded.record } : {}),
      expiresAt: link.expiresAt,
      now,
      csrfToken: csrfToken('rollback', request.id, link.csrfSecret),
    });
  }

  async function postRollback(request: LinkRequest): Promise<HttpAnswer> {
    const form = readForm(request);
    if ('answer' in form) return refuse('rollback', form.answer, form.reason);
    const link = await deps.ledger.getRollbackLink(request.id);
    if (!link) return refuse('rollback', unknownLink(), 'unknown id');
    if (!csrfTokenValid('rollback', request.id, link.csrfSecret, form.fields[CSRF_FIELD])) {
      return refuse('rollback', crossSiteRefused(), 'missing or wrong CSRF token');
    }
    if (!rollbackFormSchema.safeParse(form.fields).success) {
      return refuse('rollback', badRequest('The form asks for something other than a rollback.'), 'bad action');
    }

    const now = seconds(deps.now());
    const claim = await deps.ledger.claimRollbackLink(request.id, now);
    let claimed: RollbackLinkRecord;
    if (claim.claimed) {
      claimed = claim.record ?? { ...link, status: 'used' };
    } else {
      const current = claim.record;
      if (!current) return refuse('rollback', unknownLink(), 'unknown id');
      if (current.status !== 'used' || current.expiresAt < now) {
        return refuse(
          'rollback',
          rollbackStatePage('expired', { method: 'POST', expiresAt: current.expiresAt, now }),
          'expired',
        );
      }
      if (current.executionArn) {
        return refuse('rollback', rollbackStatePage('used', { method: 'POST', ...usedDetail(current), now }), 'used');
      }
      // Claimed before, but no execution was recorded: the start failed (or is still under way). Starting again is
      // safe, the execution name is derived from the remediation id, so this answers the same execution.
      claimed = current;
    }

    let executionArn: string;
    try {
      ({ executionArn } = await rollbackStarter.start(claimed.remediationId));
    } catch (error) {
      log.error('rollback could not be started', { remediationId: claimed.remediationId, error: errorName(error) });
      return rollbackNotStartedPage(claimed.remediationId);
    }
    try {
      await deps.ledger.putRollbackLink({ ...claimed, status: 'used', executionArn });
    } catch (error) {
      log.error('rollback started, link not updated', {
        remediationId: claimed.remediationId,
        error: errorName(error),
      });
    }
    log.info('rollback started from a link', { remediationId: claimed.remediationId, executionArn });
    return rollbackStartedPage(executionArn);
  }

  return async (raw) => {
    const parsed = parseEvent(raw);
    if ('answer' in parsed) return refuse(undefined, parsed.answer, parsed.reason);
    const { request } = parsed;
    try {
      if (request.kind === 'approval') {
        return request.method === 'GET' ? await getApproval(request) : await postApproval(request);
      }
      if (request.kind === 'digest') {
        return request.method === 'GET' ? await getDigest(request) : await postDigest(request);
      }
      return request.method === 'GET' ? await getRollback(request) : await postRollback(request);
    } catch (error) {
      log.error('link request failed', {
        kind: request.kind,
        method: request.method,
        error: errorName(error),
        message: error instanceof Error ? error.message : undefined,
      });
      return internalError();
    }
  };
}

function usedDetail(link: RollbackLinkRecord): { usedAt?: string; executionArn?: string } {
  return {
    ...(link.usedAt ? { usedAt: link.usedAt } : {}),
    ...(link.executionArn ? { executionArn: link.executionArn } : {}),
  };
}

function required(env: NodeJS.ProcessEnv, name: string): string {
  const value = env[name];
  if (!value) throw new Error(`Missing environment variable ${name}`);
  return value;
}

/**
 * The Lambda's handler built from its environment: what {@link depsFromEnv} reads (`SNAPSHOT_BUCKET`,
 * `LEDGER_TABLE`, `TOPIC_ARN`, `LINK_BASE_URL`, …) plus `ROLLBACK_STATE_MACHINE_ARN`.
 */
export function linksHandlerFromEnv(env: NodeJS.ProcessEnv = process.env): LinksHandler {
  const deps = depsFromEnv(env, 'links');
  const sfn = new SFNClient({});
  return createLinksHandler(
    deps,
    new SfnTaskCallbacks(sfn),
    new SfnRollbackStarter(sfn, required(env, 'ROLLBACK_STATE_MACHINE_ARN')),
  );
}

let lambdaHandler: LinksHandler | undefined;

/** The Lambda entry for the HTTP API routes `GET|POST /approvals/{id}`, `/rollbacks/{id}` and `/digests/{id}`. */
export async function handler(event: unknown): Promise<HttpAnswer> {
  lambdaHandler ??= linksHandlerFromEnv(process.env);
  return lambdaHandler(event);
}
