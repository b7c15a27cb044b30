import { describe, expect, it } from 'vitest';
import {
  boundedList,
  cleanSubject,
  composeNotice,
  countsByKind,
  linkHostLine,
  NOTICE_MAX_BYTES,
  SNS_MAX_MESSAGE_BYTES,
} from '../../../handlers/core/notices.ts';

const bytes = (text: string) => Buffer.byteLength(text, 'utf8');
const LINK =
  'Review and decide: https://a1b2c3d4e5.execute-api.us-east-1.amazonaws.com/prod/approvals/AbCdEfGh12345678';

describe('composeNotice', () => {
  it('keeps every line when they fit', () => {
    const message = composeNotice({ head: ['Summary.', LINK], body: ['', 'plan line'], where: 'on the page' });
    expect(message).toBe(`Summary.\n${LINK}\n\nplan line`);
  });

  it('stays under SNS’s 262,144 bytes whatever the body, keeping the head and saying what it left out', () => {
    // 5,000 lines of four-byte characters: about 20 MB of body.
    const body = Array.from({ length: 5000 }, (_, i) => `${i} ${'😀'.repeat(1000)}`);
    const message = composeNotice({ head: ['Summary.', LINK], body, where: 'the full plan is on the page' });
    expect(bytes(message)).toBeLessThanOrEqual(NOTICE_MAX_BYTES);
    expect(NOTICE_MAX_BYTES).toBeLessThan(SNS_MAX_MESSAGE_BYTES);
    const lines = message.split('\n');
    expect(lines.slice(0, 2)).toEqual(['Summary.', LINK]);
    const last = lines.at(-1) ?? '';
    const kept = lines.length - 3;
    expect(kept).toBeGreaterThan(0);
    expect(last).toBe(
      `[${5000 - kept} more line(s) left out to keep this message under the SNS size limit of 256 KiB; the full plan is on the page.]`,
    );
    // Each kept line was capped at 1,000 characters.
    expect(Array.from(lines[2] ?? '')).toHaveLength(1000);
  });

  it('fits any budget it is given, down to a few kilobytes', () => {
    for (const budget of [4096, 10_000, 65_536]) {
      const body = Array.from({ length: 500 }, () => 'é'.repeat(700));
      const message = composeNotice({ head: ['Summary.', LINK], body, where: 'x' }, budget);
      expect(bytes(message)).toBeLessThanOrEqual(budget);
      expect(message.startsWith(`Summary.\n${LINK}\n`)).toBe(true);
    }
  });

  it('escapes control and bidi characters in every line, head included', () => {
    const message = composeNotice({
      head: ['Finding: abc\u202Eevil', LINK],
      body: ['reason with \u001b[2J and\u2066 isolate'],
      where: 'x',
    });
    expect(message).toBe(`Finding: abc\\u{202E}evil\n${LINK}\nreason with \\u{001B}[2J and\\u{2066} isolate`);
  });
});

describe('boundedList and countsByKind', () => {
  it('lists the first 20, then says how many more and where they are', () => {
    const items = Array.from({ length: 10_000 }, (_, i) => `eni-${i}`);
    const lines = boundedList(items, 'the full plan is on the approval page');
    expect(lines).toHaveLength(21);
    expect(lines[0]).toBe('  - eni-0');
    expect(lines[19]).toBe('  - eni-19');
    expect(lines[20]).toBe('  - and 9980 more — the full plan is on the approval page');
    expect(boundedList(items.slice(0, 20), 'x')).toHaveLength(20);
  });

  it('counts by kind, largest first', () => {
    expect(countsByKind(['a', 'b', 'a', 'c', 'a', 'b'], (item) => `kind ${item}`)).toBe('kind a 3, kind b 2, kind c 1');
  });
});

describe('subject and link host', () => {
  it('a subject is printable ASCII under 100 characters, with no line break (API_Publish)', () => {
    const subject = cleanSubject(`Approve EC2.2 remediation of sg-0123\r\n\u202E${'x'.repeat(200)}`);
    expect(subject.length).toBeLessThan(100);
    expect(subject).toMatch(/^[\x20-\x7e]+$/);
  });

  it('names the scheme and host of the links, nothing of their path', () => {
    expect(linkHostLine('https://a1b2c3d4e5.execute-api.us-east-1.amazonaws.com/prod/')).toBe(
      "Links in this message go to https://a1b2c3d4e5.execute-api.us-east-1.amazonaws.com (this deployment's approval API) and nowhere else.",
    );
  });
});
