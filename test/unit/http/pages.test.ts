import { describe, expect, it } from 'vitest';
import type { Plan } from '../../../handlers/core/plan.ts';
import { crossSiteReason, csrfToken, csrfTokenValid } from '../../../handlers/http/csrf.ts';
import {
  approvalPage,
  escapeHtml,
  executionConsoleUrl,
  formatTime,
  html,
  relativeTime,
  SafeHtml,
} from '../../../handlers/http/pages.ts';

describe('escaping', () => {
  it('escapes the five HTML-significant characters', () => {
    expect(escapeHtml(`<a href="x" title='y'>&amp;</a>`)).toBe(
      '&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;amp;&lt;/a&gt;',
    );
  });

  it('the html tag escapes every value, arrays item by item, and inserts only SafeHtml as markup', () => {
    const hostile = '<script>x</script>';
    expect(html`<p>${hostile}</p>`.value).toBe('<p>&lt;script&gt;x&lt;/script&gt;</p>');
    expect(html`<ul>${['<b>', html`<li>ok</li>`]}</ul>`.value).toBe('<ul>&lt;b&gt;<li>ok</li></ul>');
    expect(html`${undefined}${null}${false}${0}`.value).toBe('0');
    expect(html`${new SafeHtml('<br>')}`.value).toBe('<br>');
    expect(html`<input value="${'" autofocus onfocus="x'}">`.value).toBe(
      '<input value="&quot; autofocus onfocus=&quot;x">',
    );
  });
});

describe('bidirectional and invisible characters on the page', () => {
  it('are shown as visible escapes, so a name cannot reorder or hide the words around it', () => {
    // "Trojan Source" (CVE-2021-42574): an override and isolates that would display "approved" elsewhere.
    const name = 'web\u202E\u2066 approved\u2069\u200B\u001b[2J';
    const shown = escapeHtml(name);
    expect(shown).toBe('web\\u{202E}\\u{2066} approved\\u{2069}\\u{200B}\\u{001B}[2J');
    expect(shown).not.toMatch(/[\u202A-\u202E\u2066-\u2069\u200B]/);
    expect(shown).not.toContain('\u001b');
    expect(html`<td>${name}</td>`.value).toBe(`<td>${shown}</td>`);
  });
});

describe('time', () => {
  it('formats UTC and relative times', () => {
    expect(formatTime(1714564800)).toBe('2024-05-01 12:00 UTC');
    expect(relativeTime(1000 + 3 * 86400 + 2 * 3600, 1000)).toBe('in 3 days 2 hours');
    expect(relativeTime(1000 + 86400, 1000)).toBe('in 1 day');
    expect(relativeTime(1000 + 90 * 60, 1000)).toBe('in 1 hour 30 minutes');
    expect(relativeTime(1000 + 20, 1000)).toBe('in 1 minute');
    expect(relativeTime(1000 - 2 * 3600, 1000)).toBe('2 hours ago');
  });
});

describe('executionConsoleUrl', () => {
  it('links commercial-partition executions to the console, nothing else', () => {
    const arn = 'arn:aws:states:eu-west-1:111122223333:execution:rollback:rollback-r1';
    expect(executionConsoleUrl(arn)).toBe(
      `https://eu-west-1.console.aws.amazon.com/states/home?region=eu-west-1#/v2/executions/details/${encodeURIComponent(arn)}`,
    );
    expect(executionConsoleUrl('arn:aws-cn:states:cn-north-1:111122223333:execution:a:b')).toBeUndefined();
    expect(executionConsoleUrl('local:rollback:r1')).toBeUndefined();
    expect(executionConsoleUrl('arn:aws:states:eu-west-1:111122223333:execution:a:b"><x')).toBeUndefined();
  });
});

describe('approvalPage without a replacement', () => {
  it('says nothing was moved when nothing uses the default group', () => {
    const plan: Plan = {
      remediationId: 'r-1',
      accountId: '111122223333',
      region: 'eu-west-1',
      vpcId: 'vpc-1',
      defaultGroupId: 'sg-0123456789abcdef0',
      status: 'ready',
      reasons: [],
      defaultRules: [{ direction: 'egress', protocol: '-1', peer: { kind: 'cidr4', cidr: '0.0.0.0/0' } }],
      replacementNeeded: false,
      replacementName: 'default-replacement-r-1',
      moves: [],
      references: [],
      batches: [],
    };
    const page = approvalPage({ plan, expiresAt: 2000, now: 1000, csrfToken: 'A'.repeat(43) });
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('Nothing uses the default group');
    expect(page.body).toContain('Nothing: no network interface uses the default group');
    expect(page.body).toContain('No network interface uses the default group.');
    expect(page.body).toContain('No rule in another security group references the default group.');
    expect(page.body).toContain('outbound all traffic to 0.0.0.0/0');
    expect(page.body).not.toContain('default-replacement-r-1');
  });
});

describe('approvalPage with notes', () => {
  it('shows the plan’s notes (quotas read as the defaults, interfaces left on the default group), escaped', () => {
    const plan: Plan = {
      remediationId: 'r-2',
      accountId: '111122223333',
      region: 'eu-west-1',
      vpcId: 'vpc-1',
      defaultGroupId: 'sg-0123456789abcdef0',
      status: 'ready',
      reasons: [],
      notes: [
        'Service Quotas could not be read (AccessDeniedException): the documented defaults were used.',
        'eni-0aaaaaaaaaaaaaaaa (Lambda function "<img src=x>") is left on the default group.',
      ],
      leftOnDefault: [{ networkInterfaceId: 'eni-0aaaaaaaaaaaaaaaa', label: 'Lambda function "<img src=x>"' }],
      defaultRules: [{ direction: 'egress', protocol: '-1', peer: { kind: 'cidr4', cidr: '0.0.0.0/0' } }],
      replacementNeeded: false,
      replacementName: 'default-replacement-r-2',
      moves: [],
      references: [],
      batches: [],
    };
    const body = approvalPage({ plan, expiresAt: 2000, now: 1000, csrfToken: 'A'.repeat(43) }).body;
    expect(body).toContain('<h2>Notes (2)</h2>');
    expect(body).toContain('the documented defaults were used.');
    expect(body).toContain('is left on the default group.');
    expect(body).toContain('&lt;img src=x&gt;');
    expect(body).not.toContain('<img src=x>');
  });
});

describe('csrf', () => {
  it('tokens are per kind, per id and per key, and verified in constant form', () => {
    const token = csrfToken('approval', 'id-1', 'key');
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(csrfTokenValid('approval', 'id-1', 'key', token)).toBe(true);
    expect(csrfTokenValid('rollback', 'id-1', 'key', token)).toBe(false);
    expect(csrfTokenValid('approval', 'id-2', 'key', token)).toBe(false);
    expect(csrfTokenValid('approval', 'id-1', 'other', token)).toBe(false);
    expect(csrfTokenValid('approval', 'id-1', 'key', undefined)).toBe(false);
    expect(csrfTokenValid('approval', 'id-1', 'key', `${token}=`)).toBe(false);
    expect(csrfTokenValid('approval', 'id-1', '', csrfToken('approval', 'id-1', ''))).toBe(false);
  });

  it('crossSiteReason: same origin, null origin and no headers pass; other sites do not', () => {
    const host = 'abc.execute-api.us-east-1.amazonaws.com';
    expect(crossSiteReason({}, host)).toBeUndefined();
    expect(crossSiteReason({ origin: 'null', 'sec-fetch-site': 'same-origin' }, host)).toBeUndefined();
    expect(crossSiteReason({ origin: `https://${host}`, 'sec-fetch-site': 'same-origin' }, host)).toBeUndefined();
    expect(crossSiteReason({ origin: 'HTTPS://ABC.execute-api.us-east-1.amazonaws.com' }, host)).toBeUndefined();
    expect(crossSiteReason({ 'sec-fetch-site': 'none' }, host)).toBeUndefined();
    expect(crossSiteReason({ origin: 'http://127.0.0.1:8080' }, '127.0.0.1:8080')).toBeUndefined();
    expect(crossSiteReason({ origin: 'http://127.0.0.1:9090' }, '127.0.0.1:8080')).toBeDefined();
    expect(crossSiteReason({ 'sec-fetch-site': 'cross-site' }, host)).toBeDefined();
    expect(crossSiteReason({ 'sec-fetch-site': 'same-site' }, host)).toBeDefined();
    expect(crossSiteReason({ origin: 'https://evil.example' }, host)).toBeDefined();
    expect(crossSiteReason({ origin: 'not a url' }, host)).toBeDefined();
    expect(crossSiteReason({ origin: `https://${host}` }, undefined)).toBeDefined();
  });
});

describe('approvalPage with resources moved through their services', () => {
  it('names each owner, its groups and the interfaces that follow it, escaped', () => {
    const plan: Plan = {
      remediationId: 'r-2',
      accountId: '111122223333',
      region: 'eu-west-1',
      vpcId: 'vpc-1',
      defaultGroupId: 'sg-0123456789abcdef0',
      status: 'ready',
      reasons: [],
      defaultRules: [{ direction: 'egress', protocol: '-1', peer: { kind: 'cidr4', cidr: '0.0.0.0/0' } }],
      replacementNeeded: true,
      replacementName: 'default-replacement-r-2',
      moves: [
        {
          networkInterfaceId: 'eni-0123456789abcdef0',
          owner: { kind: 'lambda', label: 'Lambda function <orders>', mover: 'service' },
          groupsBefore: ['sg-0123456789abcdef0'],
          followsResources: ['lambda-function:<orders>'],
        },
      ],
      resourceMoves: [
        {
          resource: { kind: 'lambda-function', id: '<orders>' },
          label: 'Lambda function <orders>',
          groupsBefore: ['sg-0123456789abcdef0'],
          interfaceIds: ['eni-0123456789abcdef0'],
        },
      ],
      references: [],
      batches: [['lambda-function:<orders>']],
    };
    const page = approvalPage({ plan, expiresAt: 2000, now: 1000, csrfToken: 'A'.repeat(43) });
    expect(page.body).toContain('Moved through their own service (1)');
    expect(page.body).toContain('<td>Lambda function &lt;orders&gt;</td>');
    expect(page.body).not.toContain('<orders>');
  });
});
