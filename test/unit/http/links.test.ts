/**
 * The approval and rollback links, end to end through the Lambda handler's logic with the local adapters: a FileLedger
 * and a DirectoryStore in a temp dir, a snapshot made by really running discovery and the planner on a state with
 * hostile descriptions, fake task callbacks and a fake rollback starter.
 */
import { readFileSync, rmSync } from 'node:fs';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createLocalDeps } from '../../../cli/deps.ts';
import { Ec2Simulator } from '../../../handlers/adapters/local/ec2-simulator.ts';
import { createLogger } from '../../../handlers/adapters/logger.ts';
import type { Ec2State } from '../../../handlers/core/ec2-shapes.ts';
import { describeRule } from '../../../handlers/core/messages.ts';
import { type Inventory, type Plan, planRemediation } from '../../../handlers/core/plan.ts';
import { sealSnapshot, snapshotKey } from '../../../handlers/core/snapshot.ts';
import { quote } from '../../../handlers/core/untrusted.ts';
import { csrfToken } from '../../../handlers/http/csrf.ts';
import { createLinksHandler, type HttpAnswer, linksHandlerFromEnv } from '../../../handlers/http/links.ts';
import { CONTENT_SECURITY_POLICY, escapeHtml } from '../../../handlers/http/pages.ts';
import { createRollbackLink, DEFAULT_ROLLBACK_LINK_EXPIRY_DAYS } from '../../../handlers/http/rollback-links.ts';
import type { RollbackStarter, TaskCallbacks } from '../../../handlers/ports.ts';
import { requestApproval } from '../../../handlers/steps/approval.ts';
import type { Deps } from '../../../handlers/steps/deps.ts';
import { readInventory } from '../../../handlers/steps/discover.ts';

const HOST = 'abc123.execute-api.us-east-1.amazonaws.com';
const target = { accountId: '111122223333', region: 'us-east-1', groupId: 'sg-07d2e3f4a5b6c7d8e' };
const REMEDIATION = 'rem-links-1';
const REPLACEMENT = 'sg-0c0000000000000c1';
const TASK_TOKEN = `AQCEAAAAKgAAAAMAAAAAAAAAA${'t4skT0k3n'.repeat(20)}==`;
const T0 = new Date('2024-05-01T12:00:00.000Z');
const APPROVAL_TIMEOUT = 3600;
const EXECUTION_ARN = `arn:aws:states:us-east-1:111122223333:execution:default-sg-rollback:rollback-${REMEDIATION}`;

/** Data an attacker who can edit EC2 descriptions and names controls. */
const HOSTILE_RULE = '<script>alert("rule")</script>';
const HOSTILE_REFERENCE = '</td><img src=x onerror=alert(1)>';
const HOSTILE_ENI = '"><b onclick=x>eni</b>';
const HOSTILE_GROUP = "api' onmouseover='x";
/** How a page shows account text: `"…"` with its own quotes and backslashes escaped. */
const quoted = (hostile: string) => quote(hostile, 255);
const ENTITY_TEXT = 'fish &amp; chips';

let dir: string;
let deps: Deps;
let clock: Date;
let plan: Plan;
let logLines: string[];
let callbacks: { succeed: ReturnType<typeof vi.fn>; fail: ReturnType<typeof vi.fn> } & TaskCallbacks;
let starter: { start: ReturnType<typeof vi.fn> } & RollbackStarter;
let handle: (event: unknown) => Promise<HttpAnswer>;

function hostileState(): Ec2State {
  const state = JSON.parse(
    readFileSync(new URL('../../../../shared/examples/web-app.state.json', import.meta.url), 'utf8'),
  ) as Ec2State;
  const [defaultGroup, , api] = state.SecurityGroups ?? [];
  if (!api) throw new Error('unexpected example state');
  api.GroupName = HOSTILE_GROUP;
  const selfReference = defaultGroup?.IpPermissions?.[0]?.UserIdGroupPairs?.[0];
  if (selfReference) selfReference.Description = ENTITY_TEXT;
  const eni = state.NetworkInterfaces?.[1];
  if (!eni) throw new Error('unexpected example state');
  delete eni.Attachment;
  eni.Description = HOSTILE_ENI;
  return state;
}

/**
 * Rule descriptions EC2 would refuse (it allows no < > " in them), put into what the snapshot holds: the page must
 * escape whatever the stored plan says, whether or not EC2 could have produced it.
 */
function withHostileRuleDescriptions(inventory: Inventory): Inventory {
  const [egress] = inventory.defaultGroup.IpPermissionsEgress?.[0]?.IpRanges ?? [];
  const api = inventory.referencingGroups.find((group) => group.GroupName === HOSTILE_GROUP);
  const pair = api?.IpPermissions?.flatMap((permission) => permission.UserIdGroupPairs ?? [])[0];
  if (!egress || !pair) throw new Error('unexpected example state');
  egress.Description = HOSTILE_RULE;
  pair.Description = HOSTILE_REFERENCE;
  return inventory;
}

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'dsr-links-'));
  clock = T0;
  logLines = [];
  const simulator = Ec2Simulator.fromState(hostileState());
  deps = {
    ...createLocalDeps({
      simulator,
      storeDir: dir,
      notifier: { publish: async () => {} },
      log: createLogger({ service: 'test' }, (line) => logLines.push(line)),
      settings: { approvalTimeoutSeconds: APPROVAL_TIMEOUT, linkBaseUrl: `https://${HOST}/` },
    }),
    now: () => clock,
  };
  const inventory = withHostileRuleDescriptions(await readInventory(simulator, target));
  plan = planRemediation(inventory, { remediationId: REMEDIATION });
  expect(plan.status).toBe('ready');
  await deps.store.put(
    snapshotKey(REMEDIATION),
    JSON.stringify(sealSnapshot({ remediationId: REMEDIATION, createdAt: T0.toISOString(), inventory, plan })),
  );
  await deps.ledger.putRemediation({
    remediationId: REMEDIATION,
    ...target,
    vpcId: plan.vpcId,
    findingId: 'arn:aws:securityhub:us-east-1:111122223333:security-control/EC2.2/finding/f-1',
    status: 'replacement-created',
    replacementGroupId: REPLACEMENT,
    updatedAt: T0.toISOString(),
  });
  callbacks = { succeed: vi.fn(async () => {}), fail: vi.fn(async () => {}) };
  starter = { start: vi.fn(async () => ({ executionArn: EXECUTION_ARN })) };
  handle = createLinksHandler(deps, callbacks, starter);
});

afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

// -------------------------------------------------------------------------------------------------------------------
// Helpers

type Kind = 'approvals' | 'rollbacks';

interface EventOptions {
  headers?: Record<string, string>;
  body?: string;
  base64?: boolean;
}

/** An API Gateway HTTP API payload 2.0 event, as the routes `METHOD /<kind>/{id}` deliver it. */
function event(method: string, kind: Kind, id: string, options: EventOptions = {}) {
  const body = options.body;
  return {
    version: '2.0',
    routeKey: `${method} /${kind}/{id}`,
    rawPath: `/${kind}/${id}`,
    rawQueryString: '',
    headers: { host: HOST, 'user-agent': 'Mozilla/5.0', ...options.headers },
    pathParameters: { id },
    requestContext: {
      accountId: '111122223333',
      apiId: 'abc123',
      domainName: HOST,
      domainPrefix: 'abc123',
      http: { method, path: `/${kind}/${id}`, protocol: 'HTTP/1.1', sourceIp: '203.0.113.9', userAgent: 'Mozilla/5.0' },
      requestId: 'req-1',
      routeKey: `${method} /${kind}/{id}`,
      stage: '$default',
      time: '01/May/2024:12:00:00 +0000',
      timeEpoch: T0.getTime(),
    },
    ...(body === undefined
      ? {}
      : { body: options.base64 ? Buffer.from(body).toString('base64') : body, isBase64Encoded: !!options.base64 }),
  };
}

/** What a browser sends when the page's own form is submitted (Origin is null under Referrer-Policy: no-referrer). */
const BROWSER_POST = {
  'content-type': 'application/x-www-form-urlencoded',
  origin: 'null',
  'sec-fetch-site': 'same-origin',
  'sec-fetch-mode': 'navigate',
};

const get = (kind: Kind, id: string) => handle(event('GET', kind, id));

function post(kind: Kind, id: string, fields: Record<string, string>, headers: Record<string, string> = BROWSER_POST) {
  return handle(event('POST', kind, id, { headers, body: new URLSearchParams(fields).toString() }));
}

function tokenIn(page: HttpAnswer): string {
  const match = /name="csrf" value="([^"]+)"/.exec(page.body);
  if (!match?.[1]) throw new Error('no CSRF token on the page');
  return match[1];
}

async function newApproval(): Promise<string> {
  const { approvalId } = await requestApproval(
    { remediationId: REMEDIATION, target, taskToken: TASK_TOKEN, replacementGroupId: REPLACEMENT },
    deps,
  );
  return approvalId;
}

async function ledgerBytes(): Promise<string> {
  return readFile(join(dir, 'ledger.json'), 'utf8');
}

/** Text content of a page: tags dropped, entities decoded, whitespace collapsed. */
function text(page: HttpAnswer): string {
  return page.body
    .replace(/<style>[\s\S]*?<\/style>/g, '')
    .replace(/<\/?(code|span|strong|time|a)\b[^>]*>/g, '')
    .replace(/<[^>]+>/g, ' ')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&amp;/g, '&')
    .replace(/\s+/g, ' ');
}

const VOID = new Set(['meta', 'input', 'br', 'hr', 'img', 'link']);

/** A small structural check: a doctype, one html/head/body, every non-void element closed in order. */
function expectWellFormed(page: HttpAnswer): void {
  const body = page.body;
  expect(body.startsWith('<!DOCTYPE html>\n<html lang="en">')).toBe(true);
  expect(body).toContain('<meta charset="utf-8">');
  expect(body).toContain('<meta name="viewport" content="width=device-width, initial-scale=1">');
  expect(body.match(/<title>[^<]+<\/title>/g)).toHaveLength(1);
  const stack: string[] = [];
  const withoutStyle = body.replace(/<style>[\s\S]*?<\/style>/, '<style></style>');
  for (const match of withoutStyle.matchAll(/<(\/?)([a-zA-Z][a-zA-Z0-9]*)\b[^>]*>/g)) {
    const [, closing, rawName] = match;
    const name = (rawName ?? '').toLowerCase();
    if (VOID.has(name)) continue;
    if (closing) expect(stack.pop(), `closing </${name}>`).toBe(name);
    else stack.push(name);
  }
  expect(stack).toEqual([]);
  for (const tag of ['html', 'head', 'body']) expect(body.match(new RegExp(`<${tag}[ >]`, 'g'))).toHaveLength(1);
}

function expectSecurityHeaders(page: HttpAnswer): void {
  expect(page.headers['content-type']).toBe('text/html; charset=utf-8');
  expect(page.headers['content-security-policy']).toBe(
    "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'",
  );
  expect(page.headers['cache-control']).toBe('no-store');
  expect(page.headers['referrer-policy']).toBe('no-referrer');
  expect(page.headers['x-content-type-options']).toBe('nosniff');
  expect(page.isBase64Encoded).toBe(false);
}

function expectNoScriptOrExternalAssets(page: HttpAnswer): void {
  expect(page.body).not.toMatch(/<script/i);
  expect(page.body).not.toMatch(/<(img|iframe|object|embed|link|svg|base)\b/i);
  // Real tags only: escaped text cannot contain a raw "<".
  for (const [tag] of page.body.matchAll(/<[a-zA-Z][^>]*>/g)) {
    expect(tag).not.toMatch(/\son[a-z]+\s*=/i);
    expect(tag).not.toMatch(/\s(src|action|formaction)\s*=/i);
  }
  expect(page.body).not.toMatch(/url\(/i);
  expect(page.body).not.toMatch(/@import/i);
}

function expectNoSecretsLogged(...secrets: string[]): void {
  const all = logLines.join('');
  for (const secret of secrets) expect(all).not.toContain(secret);
}

// -------------------------------------------------------------------------------------------------------------------
// Approval links

describe('GET /approvals/{id}', () => {
  it('shows the plan a person can read, with two buttons, and changes nothing', async () => {
    const id = await newApproval();
    const before = await ledgerBytes();
    const page = await get('approvals', id);
    expect(page.statusCode).toBe(200);
    expectSecurityHeaders(page);
    expectWellFormed(page);
    expectNoScriptOrExternalAssets(page);
    const words = text(page);
    // The finding.
    for (const fact of [target.accountId, target.region, plan.vpcId, target.groupId, REMEDIATION]) {
      expect(words).toContain(fact);
    }
    expect(words).toContain('security-control/EC2.2/finding/f-1');
    // What was done, reversibly.
    expect(words).toContain(`Created the replacement group ${REPLACEMENT}`);
    expect(words).toContain(`Moved ${plan.moves.length} network interface(s)`);
    // Before / after of the default group's rules, in the planner's own words.
    const names: Record<string, string> = { [plan.defaultGroupId]: 'default' };
    for (const reference of plan.references) names[reference.groupId] = reference.groupName ?? reference.groupId;
    for (const rule of plan.defaultRules) expect(words).toContain(describeRule(rule, names));
    expect(words).toContain('No inbound and no outbound rules');
    // Interfaces with their owners; references.
    for (const move of plan.moves) {
      expect(words).toContain(move.networkInterfaceId);
      expect(words).toContain(move.owner.label);
    }
    for (const reference of plan.references.filter((r) => r.groupId !== plan.defaultGroupId)) {
      expect(words).toContain(reference.groupId);
      expect(words).toContain(describeRule(reference.rule, names));
    }
    // The deadline.
    const deadline = new Date(T0.getTime() + APPROVAL_TIMEOUT * 1000);
    expect(page.body).toContain(`<time datetime="${deadline.toISOString()}">2024-05-01 13:00 UTC</time>`);
    expect(words).toContain('in 1 hour');
    // One POST form with the two buttons and the token; nothing that submits by itself.
    expect(page.body.match(/<form /g)).toHaveLength(1);
    expect(page.body).toContain('<form method="post">');
    expect(page.body).toContain('<button type="submit" class="go" name="decision" value="approve">');
    expect(page.body).toContain('<button type="submit" class="stop" name="decision" value="reject">');
    expect(tokenIn(page)).toBe(csrfToken('approval', id, TASK_TOKEN));
    // Nothing changed, nothing sent, no secret on the page.
    expect(await ledgerBytes()).toBe(before);
    expect(callbacks.succeed).not.toHaveBeenCalled();
    expect(callbacks.fail).not.toHaveBeenCalled();
    expect(page.body).not.toContain(TASK_TOKEN);
    expect(page.body).not.toContain('t4skT0k3n');
  });

  it('opening it many times (mail scanners) leaves the approval pending and decidable', async () => {
    const id = await newApproval();
    for (let i = 0; i < 5; i++) expect((await get('approvals', id)).statusCode).toBe(200);
    expect((await deps.ledger.getApproval(id))?.status).toBe('pending');
    const page = await get('approvals', id);
    expect((await post('approvals', id, { decision: 'approve', csrf: tokenIn(page) })).statusCode).toBe(200);
  });

  it('escapes everything that comes from data', async () => {
    const id = await newApproval();
    const page = await get('approvals', id);
    for (const hostile of [HOSTILE_RULE, HOSTILE_REFERENCE, HOSTILE_ENI, HOSTILE_GROUP]) {
      expect(page.body).not.toContain(hostile);
      // Shown quoted, as in the emails: its own quotes escaped, so the closing quote is always the page's.
      expect(page.body).toContain(escapeHtml(quoted(hostile)));
      expect(text(page)).toContain(quoted(hostile));
    }
    // Text that looks like an entity is shown as typed, not decoded.
    expect(page.body).toContain('fish &amp;amp; chips');
    expectNoScriptOrExternalAssets(page);
    expectWellFormed(page);
  });

  it('answers a clear page for an approval already decided (200, no form)', async () => {
    const id = await newApproval();
    const token = tokenIn(await get('approvals', id));
    await post('approvals', id, { decision: 'reject', csrf: token });
    const page = await get('approvals', id);
    expect(page.statusCode).toBe(200);
    expect(text(page)).toContain('already rejected: everything is put back as it was');
    expect(page.body).not.toContain('<form');
    expectSecurityHeaders(page);
    expectWellFormed(page);
  });

  it('answers 410 after the deadline, without a form, and changes nothing', async () => {
    const id = await newApproval();
    clock = new Date(T0.getTime() + (APPROVAL_TIMEOUT + 1) * 1000);
    const before = await ledgerBytes();
    const page = await get('approvals', id);
    expect(page.statusCode).toBe(410);
    expect(text(page)).toContain('This approval has expired');
    expect(page.body).not.toContain('<form');
    expect(await ledgerBytes()).toBe(before);
    expectSecurityHeaders(page);
  });

  it('answers 404 for an id never issued, a malformed id, and the task token itself', async () => {
    await newApproval();
    for (const id of ['AAAAAAAAAAAAAAAAAAAAAAAA', 'short', 'x'.repeat(65), '<script>alert(1)</script>', TASK_TOKEN]) {
      const page = await get('approvals', id);
      expect(page.statusCode).toBe(404);
      expect(text(page)).toContain('Unknown link');
      expect(page.body).not.toContain('<script>');
      expectSecurityHeaders(page);
      expectWellFormed(page);
    }
  });

  it('answers 500 without buttons when the snapshot cannot be read', async () => {
    const id = await newApproval();
    await deps.store.put(snapshotKey(REMEDIATION), '{"tampered":true}');
    const page = await get('approvals', id);
    expect(page.statusCode).toBe(500);
    expect(text(page)).toContain('The plan cannot be shown');
    expect(page.body).not.toContain('<form');
  });
});

describe('POST /approvals/{id}', () => {
  it('approves once: SendTaskSuccess with the stored token, ledger approved', async () => {
    const id = await newApproval();
    const token = tokenIn(await get('approvals', id));
    const page = await post('approvals', id, { decision: 'approve', csrf: token });
    expect(page.statusCode).toBe(200);
    expectSecurityHeaders(page);
    expectWellFormed(page);
    expect(text(page)).toContain('Approved: the default group will be stripped after a fresh check');
    expect(callbacks.succeed).toHaveBeenCalledTimes(1);
    expect(callbacks.succeed.mock.calls[0]?.[0]).toBe(TASK_TOKEN);
    expect(callbacks.succeed.mock.calls[0]?.[1]).toMatchObject({ decision: 'approved' });
    expect(callbacks.fail).not.toHaveBeenCalled();
    expect(await deps.ledger.getApproval(id)).toMatchObject({ status: 'approved', decidedAt: T0.toISOString() });
    expectNoSecretsLogged(id, TASK_TOKEN, token);
  });

  it('rejects once: SendTaskFailure, ledger rejected', async () => {
    const id = await newApproval();
    const page = await post('approvals', id, { decision: 'reject', csrf: tokenIn(await get('approvals', id)) });
    expect(page.statusCode).toBe(200);
    expect(text(page)).toContain('Rejected: everything is being restored');
    expect(callbacks.fail).toHaveBeenCalledTimes(1);
    expect(callbacks.fail.mock.calls[0]?.[0]).toBe(TASK_TOKEN);
    expect(callbacks.fail.mock.calls[0]?.[1]).toBe('Rejected');
    expect(callbacks.succeed).not.toHaveBeenCalled();
    expect((await deps.ledger.getApproval(id))?.status).toBe('rejected');
  });

  it('accepts the form as API Gateway delivers it: base64-encoded, with the Origin of the page', async () => {
    const id = await newApproval();
    const token = tokenIn(await get('approvals', id));
    const page = await handle(
      event('POST', 'approvals', id, {
        headers: { 'content-type': 'application/x-www-form-urlencoded', origin: `https://${HOST}` },
        body: `csrf=${token}&decision=approve`,
        base64: true,
      }),
    );
    expect(page.statusCode).toBe(200);
    expect(callbacks.succeed).toHaveBeenCalledTimes(1);
  });

  it('refuses a replay: the second POST (either decision) answers 409 and sends nothing', async () => {
    const id = await newApproval();
    const token = tokenIn(await get('approvals', id));
    expect((await post('approvals', id, { decision: 'approve', csrf: token })).statusCode).toBe(200);
    for (const decision of ['approve', 'reject']) {
      const page = await post('approvals', id, { decision, csrf: token });
      expect(page.statusCode).toBe(409);
      expect(text(page)).toContain('Already approved');
      expect(text(page)).toContain('approved: the default group is stripped after a fresh check');
      expectSecurityHeaders(page);
    }
    expect(callbacks.succeed).toHaveBeenCalledTimes(1);
    expect(callbacks.fail).not.toHaveBeenCalled();
    expect((await deps.ledger.getApproval(id))?.status).toBe('approved');
  });

  it('two clicks at once: exactly one decision reaches Step Functions', async () => {
    const id = await newApproval();
    const token = tokenIn(await get('approvals', id));
    const pages = await Promise.all([
      post('approvals', id, { decision: 'approve', csrf: token }),
      post('approvals', id, { decision: 'reject', csrf: token }),
    ]);
    expect(pages.map((page) => page.statusCode).sort()).toEqual([200, 409]);
    expect(callbacks.succeed.mock.calls.length + callbacks.fail.mock.calls.length).toBe(1);
  });

  it('answers 410 after the deadline and sends nothing', async () => {
    const id = await newApproval();
    const token = tokenIn(await get('approvals', id));
    clock = new Date(T0.getTime() + (APPROVAL_TIMEOUT + 1) * 1000);
    const page = await post('approvals', id, { decision: 'approve', csrf: token });
    expect(page.statusCode).toBe(410);
    expect(text(page)).toContain('This approval has expired');
    expect(callbacks.succeed).not.toHaveBeenCalled();
    expect((await deps.ledger.getApproval(id))?.status).toBe('pending');
  });

  it('answers 404 for an unknown id and sends nothing', async () => {
    const id = await newApproval();
    const token = tokenIn(await get('approvals', id));
    const unknown = 'BBBBBBBBBBBBBBBBBBBBBBBB';
    const page = await post('approvals', unknown, { decision: 'approve', csrf: csrfToken('approval', unknown, 'x') });
    expect(page.statusCode).toBe(404);
    expect((await post('approvals', 'bad id!', { decision: 'approve', csrf: token })).statusCode).toBe(404);
    expect(callbacks.succeed).not.toHaveBeenCalled();
  });

  it('answers 410 when the execution has ended, and says so on later visits', async () => {
    const id = await newApproval();
    const token = tokenIn(await get('approvals', id));
    const ended = Object.assign(new Error('the execution is no longer waiting for this task (TaskTimedOut)'), {
      name: 'ExecutionEnded',
    });
    callbacks.succeed.mockRejectedValueOnce(ended);
    const page = await post('approvals', id, { decision: 'approve', csrf: token });
    expect(page.statusCode).toBe(410);
    expect(text(page)).toContain('The workflow is no longer waiting for a decision');
    expect(text(page)).toContain('Your click changed nothing');
    const later = await get('approvals', id);
    expect(later.statusCode).toBe(410);
    expect(text(later)).not.toContain('Already approved');
    expect(text(later)).toContain('stopped waiting for a decision');
    expect((await post('approvals', id, { decision: 'reject', csrf: token })).statusCode).toBe(410);
    expect(callbacks.fail).not.toHaveBeenCalled();
    expectNoSecretsLogged(id, TASK_TOKEN, token);
  });

  it('says so when the decision is recorded but Step Functions does not confirm it (502)', async () => {
    const id = await newApproval();
    const token = tokenIn(await get('approvals', id));
    callbacks.succeed.mockRejectedValueOnce(Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' }));
    const page = await post('approvals', id, { decision: 'approve', csrf: token });
    expect(page.statusCode).toBe(502);
    expect(text(page)).toContain('recorded but not confirmed');
    expectNoSecretsLogged(id, TASK_TOKEN, token);
  });

  describe('refuses cross-site submissions (403), changing nothing', () => {
    const cases: [string, (token: string) => { headers: Record<string, string>; fields: Record<string, string> }][] = [
      [
        'Origin of another site',
        (token) => ({
          headers: { ...BROWSER_POST, origin: 'https://evil.example', 'sec-fetch-site': 'cross-site' },
          fields: { decision: 'approve', csrf: token },
        }),
      ],
      [
        'Origin of another site, no fetch metadata (older browsers)',
        (token) => ({
          headers: { 'content-type': 'application/x-www-form-urlencoded', origin: 'https://evil.example' },
          fields: { decision: 'approve', csrf: token },
        }),
      ],
      [
        'Origin of a sibling API on the same parent domain',
        (token) => ({
          headers: { ...BROWSER_POST, origin: 'https://other.execute-api.us-east-1.amazonaws.com' },
          fields: { decision: 'approve', csrf: token },
        }),
      ],
      [
        'Sec-Fetch-Site: cross-site with Origin null (sandboxed frame)',
        (token) => ({
          headers: { ...BROWSER_POST, 'sec-fetch-site': 'cross-site' },
          fields: { decision: 'approve', csrf: token },
        }),
      ],
      [
        'Sec-Fetch-Site: same-site',
        (token) => ({
          headers: { ...BROWSER_POST, 'sec-fetch-site': 'same-site' },
          fields: { decision: 'approve', csrf: token },
        }),
      ],
      ['a missing CSRF token', () => ({ headers: BROWSER_POST, fields: { decision: 'approve' } })],
      [
        'a wrong CSRF token',
        (token) => ({ headers: BROWSER_POST, fields: { decision: 'approve', csrf: `${token.slice(0, -2)}AA` } }),
      ],
      [
        'the token of another approval',
        () => ({
          headers: BROWSER_POST,
          fields: { decision: 'approve', csrf: csrfToken('approval', 'CCCCCCCCCCCCCCCCCCCCCCCC', TASK_TOKEN) },
        }),
      ],
      ['an empty CSRF token', () => ({ headers: BROWSER_POST, fields: { decision: 'approve', csrf: '' } })],
    ];

    for (const [name, build] of cases) {
      it(name, async () => {
        const id = await newApproval();
        const token = tokenIn(await get('approvals', id));
        const before = await ledgerBytes();
        const { headers, fields } = build(token);
        const page = await post('approvals', id, fields, headers);
        expect(page.statusCode).toBe(403);
        expect(text(page)).toContain('Refused');
        expectSecurityHeaders(page);
        expect(await ledgerBytes()).toBe(before);
        expect(callbacks.succeed).not.toHaveBeenCalled();
        expect(callbacks.fail).not.toHaveBeenCalled();
        expectNoSecretsLogged(id, TASK_TOKEN, token);
      });
    }

    it('the rollback token of the same id does not work for an approval', async () => {
      const id = await newApproval();
      const forged = csrfToken('rollback', id, TASK_TOKEN);
      expect((await post('approvals', id, { decision: 'approve', csrf: forged })).statusCode).toBe(403);
    });
  });

  it('accepts a same-origin POST from a client without Origin or fetch metadata when the token is right', async () => {
    const id = await newApproval();
    const token = tokenIn(await get('approvals', id));
    const page = await post(
      'approvals',
      id,
      { decision: 'approve', csrf: token },
      { 'content-type': 'application/x-www-form-urlencoded' },
    );
    expect(page.statusCode).toBe(200);
  });

  it('refuses malformed forms: 415 other content types, 400 bad or repeated decision', async () => {
    const id = await newApproval();
    const token = tokenIn(await get('approvals', id));
    const json = await handle(
      event('POST', 'approvals', id, {
        headers: { ...BROWSER_POST, 'content-type': 'application/json' },
        body: JSON.stringify({ decision: 'approve', csrf: token }),
      }),
    );
    expect(json.statusCode).toBe(415);
    expect((await post('approvals', id, { decision: 'yes', csrf: token })).statusCode).toBe(400);
    const repeated = await handle(
      event('POST', 'approvals', id, {
        headers: BROWSER_POST,
        body: `decision=reject&decision=approve&csrf=${token}`,
      }),
    );
    expect(repeated.statusCode).toBe(400);
    expect(callbacks.succeed).not.toHaveBeenCalled();
    expect(callbacks.fail).not.toHaveBeenCalled();
    expect((await deps.ledger.getApproval(id))?.status).toBe('pending');
  });
});

describe('other requests', () => {
  it('answers 405 with Allow for other methods, and 400 for an event that is not an HTTP API event', async () => {
    const id = await newApproval();
    const put = await handle(event('PUT', 'approvals', id));
    expect(put.statusCode).toBe(405);
    expect(put.headers.allow).toBe('GET, POST');
    expectSecurityHeaders(put);
    for (const bad of [null, 'x', {}, { routeKey: 1 }, { ...event('GET', 'approvals', id), requestContext: {} }]) {
      const page = await handle(bad);
      expect(page.statusCode).toBe(400);
      expectSecurityHeaders(page);
    }
    expect((await deps.ledger.getApproval(id))?.status).toBe('pending');
  });

  it('finds the route from the path when the route key is $default (stage prefix included)', async () => {
    const id = await newApproval();
    const page = await handle({
      ...event('GET', 'approvals', id),
      routeKey: '$default',
      rawPath: `/prod/approvals/${id}`,
      pathParameters: undefined,
    });
    expect(page.statusCode).toBe(200);
    expect((await handle({ ...event('GET', 'approvals', id), routeKey: '$default', rawPath: '/' })).statusCode).toBe(
      404,
    );
  });

  it('answers 500 on an unexpected failure, and logs no id', async () => {
    const id = await newApproval();
    const broken = createLinksHandler(
      {
        ...deps,
        ledger: {
          ...deps.ledger,
          getApproval: async () => {
            throw new Error('disk on fire');
          },
        },
      },
      callbacks,
      starter,
    );
    const page = await broken(event('GET', 'approvals', id));
    expect(page.statusCode).toBe(500);
    expectSecurityHeaders(page);
    expect(logLines.join('')).toContain('link request failed');
    expectNoSecretsLogged(id);
  });

  it('every answer carries the security headers and the exact CSP', () => {
    expect(CONTENT_SECURITY_POLICY).toBe(
      "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'",
    );
  });

  it('the Lambda entry needs the rollback state machine ARN', () => {
    const env = {
      SNAPSHOT_BUCKET: 'bucket',
      LEDGER_TABLE: 'table',
      TOPIC_ARN: 'arn:aws:sns:us-east-1:111122223333:topic',
      AWS_REGION: 'us-east-1',
    };
    expect(() => linksHandlerFromEnv(env)).toThrow(/ROLLBACK_STATE_MACHINE_ARN/);
    expect(
      typeof linksHandlerFromEnv({
        ...env,
        ROLLBACK_STATE_MACHINE_ARN: 'arn:aws:states:us-east-1:111122223333:stateMachine:rollback',
      }),
    ).toBe('function');
  });
});

// -------------------------------------------------------------------------------------------------------------------
// Rollback links

describe('createRollbackLink', () => {
  it('stores a fresh opaque id with the remediation, an expiry and status pending, and answers the link', async () => {
    const link = await createRollbackLink(deps, REMEDIATION);
    expect(link.linkId).toMatch(/^[A-Za-z0-9_-]{20,64}$/);
    expect(Buffer.from(link.linkId, 'base64url').length * 8).toBeGreaterThanOrEqual(128);
    expect(link.url).toBe(`https://${HOST}/rollbacks/${link.linkId}`);
    expect(link.expiresAt).toBe(T0.getTime() / 1000 + DEFAULT_ROLLBACK_LINK_EXPIRY_DAYS * 86400);
    const record = await deps.ledger.getRollbackLink(link.linkId);
    expect(record).toMatchObject({
      linkId: link.linkId,
      remediationId: REMEDIATION,
      status: 'pending',
      expiresAt: link.expiresAt,
      createdAt: T0.toISOString(),
    });
    expect(record?.csrfSecret).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect((await createRollbackLink(deps, REMEDIATION)).linkId).not.toBe(link.linkId);
  });

  it('takes the expiry from the caller, or from settings.linkExpiryDays, and has no URL without a base', async () => {
    expect((await createRollbackLink(deps, REMEDIATION, { expiryDays: 2 })).expiresAt).toBe(
      T0.getTime() / 1000 + 2 * 86400,
    );
    const configured = { ...deps, settings: { ...deps.settings, linkExpiryDays: 7, linkBaseUrl: undefined } };
    const link = await createRollbackLink(configured, REMEDIATION);
    expect(link.expiresAt).toBe(T0.getTime() / 1000 + 7 * 86400);
    expect(link.url).toBeUndefined();
    await expect(createRollbackLink(deps, REMEDIATION, { expiryDays: 0 })).rejects.toThrow();
  });
});

describe('GET /rollbacks/{id}', () => {
  it('shows what rollback restores and the replacement it removes, with one button, and changes nothing', async () => {
    const { linkId } = await createRollbackLink(deps, REMEDIATION);
    const before = await ledgerBytes();
    const page = await get('rollbacks', linkId);
    expect(page.statusCode).toBe(200);
    expectSecurityHeaders(page);
    expectWellFormed(page);
    expectNoScriptOrExternalAssets(page);
    const words = text(page);
    for (const fact of [target.accountId, target.region, plan.vpcId, target.groupId, REMEDIATION]) {
      expect(words).toContain(fact);
    }
    const names: Record<string, string> = { [plan.defaultGroupId]: 'default' };
    for (const reference of plan.references) names[reference.groupId] = reference.groupName ?? reference.groupId;
    expect(words).toContain(`Rules restored on the default group (${plan.defaultRules.length})`);
    for (const rule of plan.defaultRules) expect(words).toContain(describeRule(rule, names));
    for (const reference of plan.references.filter((r) => r.groupId !== plan.defaultGroupId)) {
      expect(words).toContain(describeRule(reference.rule, names));
    }
    expect(words).toContain(`moved back to the default group (${plan.moves.length})`);
    for (const move of plan.moves) {
      expect(words).toContain(move.networkInterfaceId);
      expect(words).toContain(move.owner.label);
    }
    expect(words).toContain(`The replacement group ${REPLACEMENT} (${plan.replacementName})`);
    expect(page.body).toContain('<button type="submit" class="stop" name="action" value="rollback">Roll back</button>');
    for (const hostile of [HOSTILE_RULE, HOSTILE_REFERENCE, HOSTILE_ENI, HOSTILE_GROUP]) {
      expect(page.body).not.toContain(hostile);
      expect(words).toContain(quoted(hostile));
    }
    expect(await ledgerBytes()).toBe(before);
    expect(starter.start).not.toHaveBeenCalled();
  });

  it('answers 410 after expiry and 404 for an unknown id, without a form', async () => {
    const { linkId } = await createRollbackLink(deps, REMEDIATION, { expiryDays: 1 });
    clock = new Date(T0.getTime() + 86401 * 1000);
    const expired = await get('rollbacks', linkId);
    expect(expired.statusCode).toBe(410);
    expect(text(expired)).toContain('This rollback link has expired');
    expect(expired.body).not.toContain('<form');
    const unknown = await get('rollbacks', 'DDDDDDDDDDDDDDDDDDDDDDDD');
    expect(unknown.statusCode).toBe(404);
    expect(starter.start).not.toHaveBeenCalled();
  });
});

describe('POST /rollbacks/{id}', () => {
  it('claims the link and starts the rollback state machine once; the page names the execution', async () => {
    const { linkId } = await createRollbackLink(deps, REMEDIATION);
    const token = tokenIn(await get('rollbacks', linkId));
    const page = await post('rollbacks', linkId, { action: 'rollback', csrf: token });
    expect(page.statusCode).toBe(202);
    expectSecurityHeaders(page);
    expectWellFormed(page);
    expect(text(page)).toContain('Rollback started');
    expect(text(page)).toContain(EXECUTION_ARN);
    expect(page.body).toContain(
      `https://us-east-1.console.aws.amazon.com/states/home?region=us-east-1#/v2/executions/details/${encodeURIComponent(EXECUTION_ARN)}`,
    );
    expect(starter.start).toHaveBeenCalledTimes(1);
    expect(starter.start).toHaveBeenCalledWith(REMEDIATION);
    expect(await deps.ledger.getRollbackLink(linkId)).toMatchObject({
      status: 'used',
      usedAt: T0.toISOString(),
      executionArn: EXECUTION_ARN,
    });
    expectNoSecretsLogged(linkId, token);
  });

  it('refuses a replay (409, naming the execution) and starts nothing more; GET then says it was used', async () => {
    const { linkId } = await createRollbackLink(deps, REMEDIATION);
    const token = tokenIn(await get('rollbacks', linkId));
    await post('rollbacks', linkId, { action: 'rollback', csrf: token });
    const replay = await post('rollbacks', linkId, { action: 'rollback', csrf: token });
    expect(replay.statusCode).toBe(409);
    expect(text(replay)).toContain('This rollback link was already used');
    expect(text(replay)).toContain(EXECUTION_ARN);
    expect(starter.start).toHaveBeenCalledTimes(1);
    const later = await get('rollbacks', linkId);
    expect(later.statusCode).toBe(200);
    expect(text(later)).toContain('already used');
    expect(later.body).not.toContain('<form');
  });

  it('a double click claims once; both clicks answer the same execution', async () => {
    const { linkId } = await createRollbackLink(deps, REMEDIATION);
    const token = tokenIn(await get('rollbacks', linkId));
    const pages = await Promise.all([
      post('rollbacks', linkId, { csrf: token }),
      post('rollbacks', linkId, { csrf: token }),
    ]);
    for (const page of pages) expect([202, 409]).toContain(page.statusCode);
    for (const page of pages) expect(text(page)).toContain(EXECUTION_ARN);
    for (const call of starter.start.mock.calls) expect(call).toEqual([REMEDIATION]);
  });

  it('answers 410 after expiry and starts nothing', async () => {
    const { linkId } = await createRollbackLink(deps, REMEDIATION, { expiryDays: 1 });
    const token = tokenIn(await get('rollbacks', linkId));
    clock = new Date(T0.getTime() + 86401 * 1000);
    const page = await post('rollbacks', linkId, { action: 'rollback', csrf: token });
    expect(page.statusCode).toBe(410);
    expect(starter.start).not.toHaveBeenCalled();
    expect((await deps.ledger.getRollbackLink(linkId))?.status).toBe('pending');
  });

  it('answers 404 for an unknown id', async () => {
    const unknown = 'EEEEEEEEEEEEEEEEEEEEEEEE';
    const page = await post('rollbacks', unknown, { csrf: csrfToken('rollback', unknown, 'x') });
    expect(page.statusCode).toBe(404);
    expect(starter.start).not.toHaveBeenCalled();
  });

  it('refuses cross-site POSTs and bad tokens (403) and starts nothing', async () => {
    const { linkId } = await createRollbackLink(deps, REMEDIATION);
    const token = tokenIn(await get('rollbacks', linkId));
    const before = await ledgerBytes();
    const attempts: [Record<string, string>, Record<string, string>][] = [
      [{ ...BROWSER_POST, origin: 'https://evil.example', 'sec-fetch-site': 'cross-site' }, { csrf: token }],
      [{ ...BROWSER_POST, 'sec-fetch-site': 'cross-site' }, { csrf: token }],
      [BROWSER_POST, {}],
      [BROWSER_POST, { csrf: csrfToken('approval', linkId, 'anything') }],
      [BROWSER_POST, { csrf: `${token.slice(0, -1)}${token.endsWith('A') ? 'B' : 'A'}` }],
    ];
    for (const [headers, fields] of attempts) {
      expect((await post('rollbacks', linkId, fields, headers)).statusCode).toBe(403);
    }
    expect(await ledgerBytes()).toBe(before);
    expect(starter.start).not.toHaveBeenCalled();
  });

  it('when the start fails: 502 with the other ways, and the link works again until the rollback starts', async () => {
    const { linkId } = await createRollbackLink(deps, REMEDIATION);
    const token = tokenIn(await get('rollbacks', linkId));
    starter.start.mockRejectedValueOnce(Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' }));
    const failed = await post('rollbacks', linkId, { csrf: token });
    expect(failed.statusCode).toBe(502);
    expect(text(failed)).toContain('The rollback could not be started');
    expect(text(failed)).toContain(`npm run cli -- rollback --remediation ${REMEDIATION}`);
    const retry = await post('rollbacks', linkId, { csrf: token });
    expect(retry.statusCode).toBe(202);
    expect(starter.start).toHaveBeenCalledTimes(2);
    expect((await post('rollbacks', linkId, { csrf: token })).statusCode).toBe(409);
    expect(starter.start).toHaveBeenCalledTimes(2);
    expectNoSecretsLogged(linkId, token);
  });
});
