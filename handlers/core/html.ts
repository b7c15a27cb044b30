/**
 * HTML from data, escaped: the `html` template tag the approval pages (handlers/http/pages.ts) and the audit report
 * (handlers/core/report/) build their markup with. Pure: no I/O.
 *
 * Every interpolated value is escaped (markup, and control and bidi characters) unless it is {@link SafeHtml}, which
 * only the tag itself and the modules' own fragments produce.
 */
import { escapeUnsafe } from './untrusted.ts';

/** Markup built by a page module (never from data directly). */
export class SafeHtml {
  constructor(readonly value: string) {}
  toString(): string {
    return this.value;
  }
}

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/**
 * Text as HTML: markup characters escaped, and every control, bidirectional or invisible character shown as a
 * visible escape (`\u{202E}`): a name from the account can neither reorder nor hide what the page says around it.
 */
export function escapeHtml(text: string): string {
  return escapeUnsafe(text).replace(/[&<>"']/g, (character) => ESCAPES[character] ?? character);
}

function fragment(value: unknown): string {
  if (value instanceof SafeHtml) return value.value;
  if (Array.isArray(value)) return value.map(fragment).join('');
  if (value === undefined || value === null || value === false) return '';
  return escapeHtml(String(value));
}

/** A template tag: literal parts are markup, every interpolated value is escaped unless it is {@link SafeHtml}. */
export function html(strings: TemplateStringsArray, ...values: unknown[]): SafeHtml {
  let out = strings[0] ?? '';
  values.forEach((value, index) => {
    out += fragment(value) + (strings[index + 1] ?? '');
  });
  return new SafeHtml(out);
}
