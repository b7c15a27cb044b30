/**
 * `cli remediate --approve web`: the approval page served on 127.0.0.1 from the links handler, driven over HTTP with
 * fetch while the run waits in-process.
 */

import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type Io, main } from '../../cli/main.ts';
import { eventOf } from '../../cli/web-approval.ts';

const repo = join(import.meta.dirname, '..', '..');
const sample = join(repo, 'cli', 'demo', 'web-app.state.json');
const DEFAULT_GROUP = 'sg-07d2e3f4a5b6c7d8e';
const LINK = /http:\/\/127\.0\.0\.1:\d+\/approvals\/[A-Za-z0-9_-]+/;

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'dsr-web-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const sleep = (ms: number) => new Promise<void>((done) => setTimeout(done, ms));

interface Run {
  /** Settles when `main` returns. */
  done: Promise<{ code: number; stdout: string; stderr: string }>;
  finished(): boolean;
  stdout(): string;
  stderr(): string;
  /** The printed approval link. */
  link: Promise<string>;
}

/** Starts `main(args)` in-process and captures its output; the link is read from stderr as soon as it is printed. */
function start(...args: string[]): Run {
  let stdout = '';
  let stderr = '';
  let finished = false;
  const io: Io = {
    stdout: (text) => {
      stdout += text;
    },
    stderr: (text) => {
      stderr += text;
    },
    interactive: false,
  };
  const done = main(args, io).then((code) => {
    finished = true;
    return { code, stdout, stderr };
  });
  const link = (async () => {
    const deadline = Date.now() + 20_000;
    while (Date.now() < deadline) {
      const found = LINK.exec(stderr)?.[0];
      if (found) return found;
      if (finished) throw new Error(`the run ended without printing a link:\n${stdout}\n${stderr}`);
      await sleep(20);
    }
    throw new Error(`no approval link printed within 20 s:\n${stderr}`);
  })();
  // Runs that are not meant to print a link never await it: mark it handled so its rejection is not reported.
  link.catch(() => {});
  return { done, finished: () => finished, stdout: () => stdout, stderr: () => stderr, link };
}

const remediateWeb = (...extra: string[]) =>
  start(
    'remediate',
    '--state',
    sample,
    '--group',
    DEFAULT_GROUP,
    '--approve',
    'web',
    '--store',
    join(dir, 'store'),
    ...extra,
  );

/** Whether the run is still waiting after a short while. */
async function stillWaiting(run: Run, ms = 250): Promise<boolean> {
  return (await Promise.race([run.done.then(() => 'finished'), sleep(ms).then(() => 'waiting')])) === 'waiting';
}

function csrfOf(page: string): string {
  const token = /name="csrf" value="([A-Za-z0-9_-]{43})"/.exec(page)?.[1];
  if (!token) throw new Error('no CSRF token in the page');
  return token;
}

function post(link: string, fields: Record<string, string>, headers: Record<string, string> = {}) {
  return fetch(link, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    body: new URLSearchParams(fields).toString(),
    redirect: 'manual',
  });
}

const ledger = () =>
  JSON.parse(readFileSync(join(dir, 'store', 'ledger.json'), 'utf8')) as {
    remediations: Record<string, { status: string }>;
    approvals: Record<string, { status: string }>;
  };

/** A GET with a chosen Host header (fetch does not let a caller set it). */
function getWithHost(link: string, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const url = new URL(link);
    const request = httpRequest(
      { host: url.hostname, port: url.port, path: url.pathname, method: 'GET', headers: { host } },
      (response) => {
        response.resume();
        resolve(response.statusCode ?? 0);
      },
    );
    request.on('error', reject);
    request.end();
  });
}

describe('cli remediate --approve web', () => {
  it('serves the plan, leaves the run waiting on GET, refuses bad POSTs, and finishes remediated on Approve', async () => {
    const out = join(dir, 'after.json');
    const run = remediateWeb('--out', out, '--json');
    const link = await run.link;
    const origin = new URL(link).origin;
    const approvalId = link.split('/').pop() ?? '';

    // The link goes to stderr only: stdout stays for the one JSON object.
    expect(run.stdout()).toBe('');

    const page = await fetch(link);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-security-policy')).toContain("default-src 'none'");
    const html = await page.text();
    expect(html).toContain('Approve stripping the default security group?');
    expect(html).toContain(DEFAULT_GROUP);
    for (const text of [
      'eni-07000000000000011',
      'eni-07000000000000012',
      'sg-07c9d8e7f6a5b4c3d',
      'sg-07a1b2c3d4e5f6a7b',
    ]) {
      expect(html).toContain(text);
    }

    // Opening the page decided nothing: the run waits, the approval is pending, nothing was stripped.
    expect(await stillWaiting(run)).toBe(true);
    const waiting = ledger();
    expect(Object.values(waiting.approvals).map((approval) => approval.status)).toEqual(['pending']);
    for (const record of Object.values(waiting.remediations)) expect(record.status).not.toBe('stripped');

    const token = csrfOf(html);
    // Refused: cross-site, a wrong Origin, no token, an unknown id, another path, another Host.
    const crossSite = await post(link, { csrf: token, decision: 'approve' }, { 'sec-fetch-site': 'cross-site' });
    expect(crossSite.status).toBe(403);
    const otherOrigin = await post(link, { csrf: token, decision: 'approve' }, { origin: 'https://evil.example' });
    expect(otherOrigin.status).toBe(403);
    const noToken = await post(link, { decision: 'approve' }, { origin });
    expect(noToken.status).toBe(403);
    const unknown = await fetch(`${origin}/approvals/${'A'.repeat(24)}`);
    expect(unknown.status).toBe(404);
    expect(await unknown.text()).toContain('Unknown link');
    expect((await post(`${origin}/approvals/${'A'.repeat(24)}`, { csrf: token, decision: 'approve' })).status).toBe(
      404,
    );
    expect((await fetch(`${origin}/rollbacks/${approvalId}`)).status).toBe(404);
    expect((await fetch(`${origin}/`)).status).toBe(404);
    expect(await getWithHost(link, 'rebound.example')).toBe(400);
    expect(await stillWaiting(run, 50)).toBe(true);
    expect(ledger().approvals[approvalId]?.status).toBe('pending');

    // Approve, twice at once: the decision counts once, the other POST is refused with 409.
    const [first, second] = await Promise.all([
      post(link, { csrf: token, decision: 'approve' }, { origin }),
      post(link, { csrf: token, decision: 'approve' }, { origin, 'sec-fetch-site': 'same-origin' }),
    ]);
    const answers = await Promise.all([first, second].map(async (answer) => [answer.status, await answer.text()]));
    const decided = answers.find(([status]) => status === 200);
    const replayed = answers.find(([status]) => status === 409);
    expect(decided?.[1]).toContain('<h1>Approved</h1>');
    expect(replayed?.[1]).toContain('Already approved');

    const { code, stdout } = await run.done;
    expect(code).toBe(0);
    expect(JSON.parse(stdout)).toMatchObject({ outcome: 'remediated', groupId: DEFAULT_GROUP });
    expect(stdout.trim().split('\n')).toHaveLength(1);
    const stripped = JSON.parse(readFileSync(out, 'utf8')).SecurityGroups.find(
      (group: { GroupId: string }) => group.GroupId === DEFAULT_GROUP,
    );
    expect(stripped.IpPermissions).toEqual([]);
    expect(ledger().approvals[approvalId]?.status).toBe('approved');

    // The server stopped with the run.
    await expect(fetch(link)).rejects.toThrow();
  });

  it('a Reject on the page ends the run rejected, with the state unchanged', async () => {
    const out = join(dir, 'after.json');
    const run = remediateWeb('--out', out);
    const link = await run.link;
    const html = await (await fetch(link)).text();
    expect(await stillWaiting(run)).toBe(true);
    // Narrated so far (stdout): up to the approval request, nothing stripped.
    expect(run.stdout()).toContain('✓ Wait for approval — approval requested');
    expect(run.stdout()).not.toContain('Strip the default group');

    const rejected = await post(link, { csrf: csrfOf(html), decision: 'reject' }, { origin: new URL(link).origin });
    expect(rejected.status).toBe(200);
    expect(await rejected.text()).toContain('<h1>Rejected</h1>');

    const { code, stdout } = await run.done;
    expect(code).toBe(0);
    expect(stdout).toContain('Outcome: rejected');
    expect(stdout).not.toContain('Strip the default group');
    const after = JSON.parse(readFileSync(out, 'utf8'));
    const before = JSON.parse(readFileSync(sample, 'utf8'));
    const group = (state: { SecurityGroups: { GroupId: string }[] }) =>
      state.SecurityGroups.find((candidate) => candidate.GroupId === DEFAULT_GROUP);
    expect(group(after)).toEqual(group(before));
  });

  it('rejects an unknown --approve mode, naming web', async () => {
    const run = start('remediate', '--state', sample, '--group', DEFAULT_GROUP, '--approve', 'browser', '--json');
    const { code, stdout } = await run.done;
    expect(code).toBe(2);
    expect(JSON.parse(stdout).reasons[0]).toContain('prompt or web');
  });
});

describe('the node:http → API Gateway v2 adapter', () => {
  it('builds the payload 2.0 event of an approval request', () => {
    const event = eventOf({
      method: 'post',
      url: '/approvals/abcdefghijklmnopqrstuvwx?x=1',
      headers: { host: '127.0.0.1:8080', 'content-type': 'application/x-www-form-urlencoded', 'x-many': ['a', 'b'] },
      body: 'decision=approve',
      sourceIp: '127.0.0.1',
    });
    expect(event).toEqual({
      version: '2.0',
      routeKey: 'POST /approvals/{id}',
      rawPath: '/approvals/abcdefghijklmnopqrstuvwx',
      rawQueryString: 'x=1',
      headers: { host: '127.0.0.1:8080', 'content-type': 'application/x-www-form-urlencoded', 'x-many': 'a, b' },
      pathParameters: { id: 'abcdefghijklmnopqrstuvwx' },
      requestContext: {
        domainName: '127.0.0.1:8080',
        http: {
          method: 'POST',
          path: '/approvals/abcdefghijklmnopqrstuvwx',
          protocol: 'HTTP/1.1',
          sourceIp: '127.0.0.1',
        },
      },
      body: 'decision=approve',
      isBase64Encoded: false,
    });
  });

  it('serves only /approvals/{id} and /digests/{id}', () => {
    for (const url of [
      '/',
      '/rollbacks/abcdefghijklmnopqrstuvwx',
      '/approvals/',
      '/approvals/a/b',
      '/digests/',
      '/favicon.ico',
    ]) {
      expect(eventOf({ method: 'GET', url, headers: {}, body: '' })).toBeUndefined();
    }
    expect(eventOf({ method: 'GET', url: '/digests/abcdefghijklmnopqrstuvwx', headers: {}, body: '' })).toMatchObject({
      routeKey: 'GET /digests/{id}',
      pathParameters: { id: 'abcdefghijklmnopqrstuvwx' },
    });
  });
});
