/**
 * The shape and the limits of every notice (approval request, completion, blocked, failed, rejected, rolled back).
 *
 * Amazon SNS Publish takes a message of at most 256 KiB, "262,144 bytes, not 262,144 characters", UTF-8, and a
 * Subject of "UTF-8 text with no line breaks or control characters, and less than 100 characters long"
 * (https://docs.aws.amazon.com/sns/latest/api/API_Publish.html). A notice is laid out so that what the reader must
 * act on comes first and can never be cut: a one-line summary, then the link (approval or rollback) and the host it
 * goes to, then the facts; after that the plan in words, every list bounded (counts, then the first
 * {@link NOTICE_LIST_LIMIT} items, then "and N more — <where the full plan is>"). Whatever still does not fit the
 * byte budget is dropped from the end, with a line that says so: never the head, never the links.
 */
import { escapeUnsafe, PLAIN_MAX_CHARS, plainText } from './untrusted.ts';

/** SNS's message limit (API_Publish: 256 KiB). */
export const SNS_MAX_MESSAGE_BYTES = 262_144;
/** The budget of a notice: SNS's limit with a margin, so that no adapter ever has to cut it. */
export const NOTICE_MAX_BYTES = SNS_MAX_MESSAGE_BYTES - 1024;
/** SNS: a Subject is "less than 100 characters long". */
export const SUBJECT_MAX_CHARS = 99;
/** Items a notice lists per list (interfaces, references, rules, reasons…) before "and N more". */
export const NOTICE_LIST_LIMIT = 20;
/** The longest a head line may be: a link is far shorter; a longer line is not a link anyone can use. */
const HEAD_LINE_MAX_CHARS = 2048;

const FALLBACK_SUBJECT = 'default-sg-remediation';

export function byteLength(text: string): number {
  return Buffer.byteLength(text, 'utf8');
}

/**
 * A Subject SNS accepts: printable ASCII only (accents dropped, other characters become `?`), no line breaks or
 * control characters, whitespace collapsed, at most 99 characters (cut with `...`), never empty.
 */
export function cleanSubject(subject: string): string {
  const ascii = subject
    .normalize('NFKD')
    .replace(/\p{M}/gu, '')
    .replace(/[\r\n\t\f\v\u2028\u2029]+/g, ' ')
    .replace(/[^\x20-\x7e]/gu, (character) => (/[\p{Cc}\p{Cf}]/u.test(character) ? '' : '?'))
    .replace(/ {2,}/g, ' ')
    .trim();
  if (ascii === '') return FALLBACK_SUBJECT;
  if (ascii.length <= SUBJECT_MAX_CHARS) return ascii;
  return `${ascii.slice(0, SUBJECT_MAX_CHARS - 3).trimEnd()}...`;
}

/**
 * A bounded list: the first `limit` items as `  - item` lines, then "  - and N more — <where>" when there are more.
 * Items are prose that may carry account text: each is escaped and capped.
 */
export function boundedList(items: readonly string[], where: string, limit = NOTICE_LIST_LIMIT): string[] {
  const lines = items.slice(0, limit).map((item) => `  - ${plainText(item)}`);
  if (items.length > limit) lines.push(`  - and ${items.length - limit} more — ${where}`);
  return lines;
}

/** "EC2 instance 3, Lambda function 2": counts per kind, largest first, in words the caller gives. */
export function countsByKind<T>(items: readonly T[], kindOf: (item: T) => string): string {
  const counts = new Map<string, number>();
  for (const item of items) {
    const kind = kindOf(item);
    counts.set(kind, (counts.get(kind) ?? 0) + 1);
  }
  return [...counts]
    .sort(([a, x], [b, y]) => y - x || a.localeCompare(b))
    .map(([kind, count]) => `${kind} ${count}`)
    .join(', ');
}

/**
 * "Links in this message go to <host>": said in every notice that carries a link, so a reader can tell a forged
 * notice (whose links go elsewhere) from ours.
 */
export function linkHostLine(linkBaseUrl: string): string {
  let host: string;
  try {
    const url = new URL(linkBaseUrl);
    host = `${url.protocol}//${url.host}`;
  } catch {
    host = linkBaseUrl;
  }
  return `Links in this message go to ${host} (this deployment's approval API) and nowhere else.`;
}

/** Said instead when there is no link base (a local run): the person at the command line decides. */
export const NO_LINKS_LINE = 'This message has no links: the command line that started the run decides.';

export interface NoticeLayout {
  /**
   * The lines that are never cut, in order: the one-line summary, the link lines, the link host, the few facts
   * (ids, deadline). Each is escaped; none should come near {@link HEAD_LINE_MAX_CHARS}.
   */
  head: string[];
  /** The rest, most important first (reasons, then the plan in words): cut from the end when over budget. */
  body: string[];
  /** Where the reader finds what a cut body left out: "the full plan is on the approval page". */
  where: string;
}

/**
 * The message of a notice, guaranteed within `maxBytes` (by default {@link NOTICE_MAX_BYTES}, under SNS's limit):
 * the head whole, then as many body lines as fit, then — only when some did not — a line saying how many were left
 * out and where they are. Every line is escaped (no control, bidi or invisible character reaches the reader) and
 * body lines are capped at {@link PLAIN_MAX_CHARS} characters.
 */
export function composeNotice(layout: NoticeLayout, maxBytes = NOTICE_MAX_BYTES): string {
  const head = layout.head.map((line) => escapeUnsafe(line, HEAD_LINE_MAX_CHARS));
  const headText = head.join('\n');
  // The head is a handful of lines of at most 2048 characters: far under any budget this module is given.
  if (byteLength(headText) * 2 > maxBytes) throw new RangeError('a notice head cannot take half of its byte budget');
  const leftOut = (count: number) =>
    `[${count} more line(s) left out to keep this message under the SNS size limit of 256 KiB; ${layout.where}.]`;
  // Room for the longest possible "left out" line, so that it always fits after the lines kept.
  const reserve = byteLength(`\n${leftOut(layout.body.length)}`);
  let used = byteLength(headText);
  const kept: string[] = [];
  // Lines are escaped only as far as they are kept: a body of millions of lines costs no more than one that fits.
  for (const raw of layout.body) {
    const line = plainText(raw, PLAIN_MAX_CHARS);
    const cost = byteLength(line) + 1;
    if (used + cost + reserve > maxBytes) break;
    kept.push(line);
    used += cost;
  }
  if (kept.length < layout.body.length) kept.push(leftOut(layout.body.length - kept.length));
  return [headText, ...kept].join('\n');
}
