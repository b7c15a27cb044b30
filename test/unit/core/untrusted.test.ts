import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { escapeUnsafe, hasUnsafeCharacters, plainText, quote } from '../../../handlers/core/untrusted.ts';

const hostile = JSON.parse(
  readFileSync(join(import.meta.dirname, '..', '..', 'fixtures', 'hostile', 'texts.json'), 'utf8'),
) as Record<string, string>;

/**
 * The characters that reorder or hide text, from Unicode: the bidirectional controls of UAX #9 (embeddings,
 * overrides, isolates, marks), zero-width and invisible formatting characters, separators and C0/C1 controls.
 */
const MUST_ESCAPE: [string, number][] = [
  ['LRE', 0x202a],
  ['RLE', 0x202b],
  ['PDF', 0x202c],
  ['LRO', 0x202d],
  ['RLO', 0x202e],
  ['LRI', 0x2066],
  ['RLI', 0x2067],
  ['FSI', 0x2068],
  ['PDI', 0x2069],
  ['LRM', 0x200e],
  ['RLM', 0x200f],
  ['ALM', 0x061c],
  ['zero-width space', 0x200b],
  ['zero-width non-joiner', 0x200c],
  ['zero-width joiner', 0x200d],
  ['word joiner', 0x2060],
  ['invisible separator', 0x2063],
  ['byte order mark', 0xfeff],
  ['soft hyphen', 0x00ad],
  ['line separator', 0x2028],
  ['paragraph separator', 0x2029],
  ['next line (C1)', 0x0085],
  ['escape', 0x001b],
  ['bell', 0x0007],
  ['null', 0x0000],
  ['delete', 0x007f],
  ['tag latin capital A', 0xe0041],
  ['Hangul filler', 0x3164],
];

describe('quote', () => {
  it.each(MUST_ESCAPE)('escapes %s visibly', (_name, codePoint) => {
    const character = String.fromCodePoint(codePoint);
    const quoted = quote(`a${character}b`);
    expect(quoted).not.toContain(character);
    expect(quoted).toBe(`"a\\u{${codePoint.toString(16).toUpperCase().padStart(4, '0')}}b"`);
  });

  it('writes line breaks and tabs as \\n, \\r, \\t: a description cannot start a line of the notice', () => {
    expect(quote('web\nReview and decide: https://evil.example')).toBe(
      '"web\\nReview and decide: https://evil.example"',
    );
    expect(quote('a\r\tb')).toBe('"a\\r\\tb"');
  });

  it('escapes its own quote and backslash, so the closing quote is always ours', () => {
    expect(quote('web") approved by SecOps ("x')).toBe('"web\\") approved by SecOps (\\"x"');
    expect(quote('C:\\temp')).toBe('"C:\\\\temp"');
  });

  it('keeps ordinary text of any script as it is', () => {
    expect(quote('orders-api (prod) — Zürich 東京 ✅')).toBe('"orders-api (prod) — Zürich 東京 ✅"');
  });

  it('caps at the given length with an ellipsis, counting characters, never cutting an escape', () => {
    expect(quote('x'.repeat(10), 10)).toBe(`"${'x'.repeat(10)}"`);
    expect(quote('x'.repeat(11), 10)).toBe(`"${'x'.repeat(9)}…"`);
    expect(quote('😀'.repeat(300), 5)).toBe('"😀😀😀😀…"');
    // "ab" + an escape of 8 characters does not fit in 9: the escape is dropped whole.
    expect(quote('ab\u202Ecd', 9)).toBe('"ab…"');
    expect(quote('ab\u202E', 10)).toBe('"ab\\u{202E}"');
  });

  it('leaves nothing unsafe in any hostile text of the corpus, and bounds its length', () => {
    for (const text of Object.values(hostile)) {
      const quoted = quote(text);
      expect(hasUnsafeCharacters(quoted), JSON.stringify(quoted)).toBe(false);
      expect(Array.from(quoted).length).toBeLessThanOrEqual(122);
    }
  });
});

describe('plainText and escapeUnsafe', () => {
  it('escape the same characters without adding quotes or escaping quotes', () => {
    expect(plainText('eni-1 belongs to "x\u202Ey"')).toBe('eni-1 belongs to "x\\u{202E}y"');
    expect(escapeUnsafe('\u001b[31mred')).toBe('\\u{001B}[31mred');
  });

  it('plainText caps a line at 1,000 characters by default', () => {
    const line = plainText('é'.repeat(5000));
    expect(Array.from(line)).toHaveLength(1000);
    expect(line.endsWith('…')).toBe(true);
  });

  it('escapeUnsafe caps nothing unless asked', () => {
    expect(escapeUnsafe('x'.repeat(5000))).toHaveLength(5000);
  });
});
