/**
 * The audit as CSV (RFC 4180): one row per default group, or per account/region that could not be read, for a
 * security team's spreadsheet or tooling. Pure: the caller writes the text where it belongs.
 *
 * Account text (reasons carry names and tags) is untrusted twice over here: control, bidi and invisible characters
 * are shown as escapes (handlers/core/untrusted.ts), and a text cell that a spreadsheet would read as a formula
 * (it starts with = + - @, a tab or a carriage return) gets a leading apostrophe, as OWASP's "CSV Injection" page
 * advises (https://owasp.org/www-community/attacks/CSV_Injection).
 */
import type { AuditResult } from '../audit.ts';
import { escapeUnsafe } from '../untrusted.ts';

export const AUDIT_CSV_HEADER = [
  'account',
  'region',
  'vpc',
  'group',
  'status',
  'members',
  'references',
  'rules',
  'reasons',
] as const;

/** Characters that make a spreadsheet read a cell as a formula (or, tab and CR, shift it into one). */
const FORMULA_START = /^[=+\-@\t\r]/;

/** A text cell as a spreadsheet can read it safely: escaped, a would-be formula made text with an apostrophe. */
export function textCell(text: string): string {
  const shown = escapeUnsafe(text);
  return FORMULA_START.test(shown) ? `'${shown}` : shown;
}

/** RFC 4180 §2: a field with a comma, a double quote, CR or LF is enclosed in double quotes, its quotes doubled. */
export function csvField(field: string): string {
  return /[",\r\n]/.test(field) ? `"${field.replaceAll('"', '""')}"` : field;
}

/** RFC 4180 §2: records end with CRLF, the first one is the header. */
function csvLine(cells: string[]): string {
  return `${cells.map(csvField).join(',')}\r\n`;
}

/** The audit's rows as CSV, in the audit's order. Counts are plain numbers; every text cell goes through {@link textCell}. */
export function renderAuditCsv(result: Pick<AuditResult, 'groups'>): string {
  let out = csvLine([...AUDIT_CSV_HEADER]);
  for (const row of result.groups) {
    const counted = Boolean(row.groupId);
    out += csvLine([
      textCell(row.accountId),
      textCell(row.region),
      textCell(row.vpcId ?? ''),
      textCell(row.groupId ?? ''),
      textCell(row.status),
      counted ? String(row.members) : '',
      counted ? String(row.references) : '',
      counted ? String(row.rules) : '',
      textCell(row.reasons.join('; ')),
    ]);
  }
  return out;
}
