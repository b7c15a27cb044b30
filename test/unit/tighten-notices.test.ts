/**
 * What a person sees of a tightening (issue 14): the approval page and notice show the change in words and as a
 * traffic-model diff, escape account text, and are bounded; the remediation's completion notice says how to tighten
 * the copy. And the pure checks the workflow's re-check and rollback rest on.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createLocalDeps } from '../../cli/deps.ts';
import type { Rule } from '../../handlers/core/rules.ts';
import {
  restoreProblems,
  sealTightenSnapshot,
  type TightenBody,
  tightenDrift,
  tightenSnapshotKey,
} from '../../handlers/core/tighten.ts';
import { createLinksHandler } from '../../handlers/http/links.ts';
import { tightenApprovalPage } from '../../handlers/http/pages.ts';
import type { Notification } from '../../handlers/ports.ts';
import { requestTightening, tightenApprovalNotice } from '../../handlers/steps/approval.ts';
import { notify } from '../../handlers/steps/report.ts';

const COPY = 'sg-0c0ffee0c0ffee001';
const allFromCopy: Rule = { direction: 'ingress', protocol: '-1', peer: { kind: 'group', groupId: COPY } };
const allOut: Rule = { direction: 'egress', protocol: '-1', peer: { kind: 'cidr4', cidr: '0.0.0.0/0' } };
const https: Rule = {
  direction: 'ingress',
  protocol: 'tcp',
  fromPort: 443,
  toPort: 443,
  peer: { kind: 'group', groupId: COPY },
};
const httpsOut: Rule = {
  direction: 'egress',
  protocol: 'tcp',
  fromPort: 443,
  toPort: 443,
  peer: { kind: 'cidr4', cidr: '0.0.0.0/0' },
};

function body(overrides: Partial<TightenBody> = {}): TightenBody {
  return {
    tightenId: 'tgt-1',
    createdAt: '2026-12-01T00:00:00Z',
    accountId: '111122223333',
    region: 'us-east-1',
    vpcId: 'vpc-0123456789abcdef0',
    groupId: COPY,
    rulesBefore: [allFromCopy, allOut],
    members: ['eni-0a', 'eni-0b'],
    proposal: {
      rules: [
        { rule: https, certainty: 'tcp-flags', records: 10 },
        { rule: httpsOut, certainty: 'tcp-flags', records: 5 },
      ],
      add: [https, httpsOut],
      revoke: [allFromCopy, allOut],
      window: {
        from: '2026-11-01T00:00:00Z',
        to: '2026-12-01T00:00:00Z',
        days: 30,
        coveredDays: 30,
        gaps: [],
        skippedHours: 0,
      },
      warnings: ['jobs that run monthly may not be in the window <script>alert(1)</script>\u202Eevil'],
      counts: {
        lines: 1,
        malformed: 0,
        headers: 0,
        outsideWindow: 0,
        otherInterfaces: 0,
        rejected: 0,
        noData: 0,
        skipData: 0,
        unplaced: 0,
        accepted: 1,
      },
      classes: [],
    },
    connections: [{ from: { interfaceId: 'eni-0a' }, to: { interfaceId: 'eni-0b' }, protocol: 6, port: 443 }],
    noLongerAllowed: Array.from({ length: 30 }, (_, i) => `eni-0a → eni-0b: tcp ${i} allowed before, denied after`),
    portSpace: { before: 1000, after: 10 },
    ...overrides,
  };
}

describe('the approval page and notice of a tightening', () => {
  it('the page shows the rules before and after and every line of what will no longer be allowed, account text escaped', () => {
    const page = tightenApprovalPage({
      snapshot: sealTightenSnapshot(body()),
      expiresAt: 2e9,
      now: 1.9e9,
      csrfToken: 'x',
    });
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('No longer allowed (traffic model, by peer and port)');
    expect(page.body).toContain('eni-0a → eni-0b: tcp 29 allowed before, denied after');
    expect(page.body).toContain('inbound all traffic from sg-0c0ffee0c0ffee001');
    expect(page.body).toContain('inbound tcp 443 from sg-0c0ffee0c0ffee001');
    expect(page.body).not.toContain('<script>');
    expect(page.body).not.toContain('\u202E');
    expect(page.body).toContain('\\u{202E}');
  });

  it("the notice is its own (not the migration's), with the traffic diff bounded and control characters escaped", () => {
    const notice = tightenApprovalNotice(
      sealTightenSnapshot(body()),
      { approvalId: 'a'.repeat(24), expiresAt: 2e9 },
      undefined,
    );
    expect(notice.subject).toContain('Approve tightening sg-0c0ffee0c0ffee001');
    expect(notice.message).toContain('No longer allowed (traffic model, by peer and port):');
    expect(notice.message).toContain('… and 10 more');
    expect(notice.message).not.toContain('\u202E');
    expect(notice.message).toContain('Nothing has been changed so far.');
  });

  it('deployed, the completion notice names the "Tighten EC2.2 copy" action and the Tighten machine\'s input', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dsr-tighten-notice-'));
    try {
      const sent: Notification[] = [];
      const deps = createLocalDeps({
        storeDir: dir,
        notifier: { publish: async (n) => void sent.push(n) },
        settings: { linkBaseUrl: 'https://links.example' },
      });
      const target = { accountId: '111122223333', region: 'us-east-1', groupId: 'sg-0123456789abcdef0' };
      await notify({ remediationId: 'rem-1', target, event: 'remediated', replacementGroupId: COPY }, deps);
      const line = sent[0]?.message.split('\n').find((text) => text.startsWith('Tighten the copy'));
      expect(line).toContain('"Tighten EC2.2 copy" action on this finding');
      expect(line).toContain(
        JSON.stringify({ target: { accountId: '111122223333', region: 'us-east-1', groupId: COPY } }),
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("the remediation's completion notice says how to tighten the copy", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dsr-tighten-notice-'));
    try {
      const sent: Notification[] = [];
      const deps = createLocalDeps({ storeDir: dir, notifier: { publish: async (n) => void sent.push(n) } });
      const target = { accountId: '111122223333', region: 'us-east-1', groupId: 'sg-0123456789abcdef0' };
      await notify({ remediationId: 'rem-1', target, event: 'remediated', replacementGroupId: COPY }, deps);
      expect(sent[0]?.message).toContain(`tighten --group ${COPY}`);
      // A tightening's own notices read its snapshot and carry its subject.
      await deps.store.put(tightenSnapshotKey('tgt-1'), JSON.stringify(sealTightenSnapshot(body())));
      await notify({ remediationId: 'tgt-1', target: { ...target, groupId: COPY }, event: 'tightened' }, deps);
      expect(sent[1]?.subject).toBe(`Copy tightened to least privilege: ${COPY}`);
      expect(sent[1]?.message).toContain('rollback --remediation tgt-1');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

/** An API Gateway HTTP API payload 2.0 event of the approval route. */
function linkEvent(method: 'GET' | 'POST', id: string, body?: string) {
  const host = 'abc123.execute-api.us-east-1.amazonaws.com';
  return {
    version: '2.0',
    routeKey: `${method} /approvals/{id}`,
    rawPath: `/approvals/${id}`,
    rawQueryString: '',
    headers: {
      host,
      'user-agent': 'Mozilla/5.0',
      ...(method === 'POST'
        ? {
            'content-type': 'application/x-www-form-urlencoded',
            origin: 'null',
            'sec-fetch-site': 'same-origin',
            'sec-fetch-mode': 'navigate',
          }
        : {}),
    },
    pathParameters: { id },
    requestContext: {
      accountId: '111122223333',
      apiId: 'abc123',
      domainName: host,
      domainPrefix: 'abc123',
      http: {
        method,
        path: `/approvals/${id}`,
        protocol: 'HTTP/1.1',
        sourceIp: '203.0.113.9',
        userAgent: 'Mozilla/5.0',
      },
      requestId: 'req-1',
      routeKey: `${method} /approvals/{id}`,
      stage: '$default',
      time: '01/May/2024:12:00:00 +0000',
      timeEpoch: Date.now(),
    },
    ...(body === undefined ? {} : { body, isBase64Encoded: false }),
  };
}

describe('the approval link of a tightening', () => {
  it('serves the tightening page, and approving settles the wait and says the copy will be tightened', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dsr-tighten-link-'));
    try {
      const deps = createLocalDeps({ storeDir: dir, notifier: { publish: async () => {} } });
      await deps.store.put(tightenSnapshotKey('tgt-1'), JSON.stringify(sealTightenSnapshot(body())));
      const target = { accountId: '111122223333', region: 'us-east-1', groupId: COPY };
      const { approvalId } = await requestTightening(
        { remediationId: 'tgt-1', target, taskToken: `AQCE${'t'.repeat(60)}` },
        deps,
      );
      const succeeded: string[] = [];
      const handle = createLinksHandler(
        deps,
        { succeed: async (token) => void succeeded.push(token), fail: async () => {} },
        { start: async () => ({ executionArn: 'arn:aws:states:us-east-1:111122223333:execution:x:y' }) },
      );
      const page = await handle(linkEvent('GET', approvalId));
      expect(page.statusCode).toBe(200);
      expect(page.body).toContain('Approve tightening the copy to least privilege?');
      expect(page.body).toContain('No longer allowed (traffic model, by peer and port)');
      const csrf = /name="csrf" value="([^"]+)"/.exec(page.body)?.[1] ?? '';
      const decided = await handle(
        linkEvent('POST', approvalId, new URLSearchParams({ csrf, decision: 'approve' }).toString()),
      );
      expect(decided.statusCode).toBe(200);
      expect(decided.body).toContain('the copy will be tightened');
      expect(succeeded).toHaveLength(1);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('the checks the re-check and the rollback rest on', () => {
  const snapshot = sealTightenSnapshot(body());

  it("drift: the proposal's own additions are not drift; a foreign rule, a lost rule, a member joined or gone are", () => {
    expect(tightenDrift(snapshot, { rules: [allFromCopy, allOut, https], members: ['eni-0a', 'eni-0b'] })).toEqual([]);
    const ssh: Rule = {
      direction: 'ingress',
      protocol: 'tcp',
      fromPort: 22,
      toPort: 22,
      peer: { kind: 'cidr4', cidr: '10.0.0.0/8' },
    };
    expect(tightenDrift(snapshot, { rules: [allFromCopy, allOut, ssh], members: ['eni-0a', 'eni-0b'] })).toHaveLength(
      1,
    );
    expect(tightenDrift(snapshot, { rules: [allFromCopy], members: ['eni-0a', 'eni-0b'] })).toHaveLength(1);
    expect(tightenDrift(snapshot, { rules: [allFromCopy, allOut], members: ['eni-0a', 'eni-0c'] })).toHaveLength(2);
  });

  it('restore: the rules of before with their descriptions, none of the added; foreign rules only reported', () => {
    expect(restoreProblems(snapshot, [allFromCopy, allOut]).problems).toEqual([]);
    expect(restoreProblems(snapshot, [allFromCopy, allOut, https]).problems).toHaveLength(1);
    expect(restoreProblems(snapshot, [allFromCopy]).problems).toHaveLength(1);
    expect(restoreProblems(snapshot, [allFromCopy, { ...allOut, description: 'changed' }]).problems).toHaveLength(1);
    const foreign: Rule = { ...https, fromPort: 8443, toPort: 8443 };
    const result = restoreProblems(snapshot, [allFromCopy, allOut, foreign]);
    expect(result.problems).toEqual([]);
    expect(result.foreignRules).toHaveLength(1);
  });
});
