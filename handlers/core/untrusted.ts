/**
 * Text that anyone in the account can write — security group names, interface and rule descriptions, tags, function
 * names, and error messages that echo them — shown to people in emails, on the terminal and on the pages.
 *
 * Such text could hide or reorder what the reader sees: control characters (terminal escapes, line breaks that fake
 * a new line of the notice), Unicode bidirectional controls (U+202A–U+202E, U+2066–U+2069, U+200E/U+200F, U+061C:
 * "Trojan Source", CVE-2021-42574) and invisible formatting characters (zero-width space/joiners, U+2060–U+2064,
 * BOM, soft hyphen, tag characters). Every such character is written as a visible escape (`\n`, `\u{202E}`), and
 * long text is cut with an ellipsis, so a name can neither pass for the notice's own words nor push them away.
 */

/**
 * Characters shown as escapes: control (Cc), format (Cf: bidi controls, zero-width and invisible characters, tags),
 * line and paragraph separators, lone surrogates, private use, unassigned; and the Hangul fillers, which render as
 * nothing although Unicode calls them letters.
 */
const UNSAFE = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\p{Cs}\p{Co}\p{Cn}\u115F\u1160\u3164\uFFA0]/u;

const SHORT_ESCAPES: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };

/** How much of a name or description a notice shows (EC2 allows 255 characters). */
export const QUOTED_MAX_CHARS = 120;

/** How long one line of account-derived prose (a reason, an owner's label) may be. */
export const PLAIN_MAX_CHARS = 1000;

export const ELLIPSIS = '…';

function escapeCharacter(character: string): string {
  return (
    SHORT_ESCAPES[character] ?? `\\u{${(character.codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, '0')}}`
  );
}

/** Whether the text has a character that {@link escapeUnsafe} would escape. */
export function hasUnsafeCharacters(text: string): boolean {
  return UNSAFE.test(text);
}

/**
 * The text with every control, bidirectional or invisible character escaped and, with `maxChars`, cut to at most
 * that many characters (code points) including the closing ellipsis. An escape is never cut in half. `extra` names
 * further characters to escape with a backslash (a quote's own quote). Reads no further than the cut.
 */
export function escapeUnsafe(text: string, maxChars = Number.POSITIVE_INFINITY, extra?: RegExp): string {
  if (text.length <= maxChars && !UNSAFE.test(text) && !extra?.test(text)) {
    return text;
  }
  const room = maxChars - ELLIPSIS.length;
  let out = '';
  let length = 0;
  // The output as long as it may be when an ellipsis must follow.
  let fitsWithEllipsis = '';
  for (const character of text) {
    const piece = UNSAFE.test(character)
      ? escapeCharacter(character)
      : extra?.test(character)
        ? `\\${character}`
        : character;
    const pieceLength = piece === character ? 1 : piece.length;
    if (length + pieceLength > maxChars) return `${fitsWithEllipsis}${ELLIPSIS}`;
    out += piece;
    length += pieceLength;
    if (length <= room) fitsWithEllipsis = out;
  }
  return out;
}

/**
 * Account text quoted: `"name"`, with `"` and `\` escaped too, so the closing quote is always ours, unsafe characters
 * escaped, at most `maxChars` characters between the quotes.
 */
export function quote(text: string, maxChars = QUOTED_MAX_CHARS): string {
  return `"${escapeUnsafe(text, maxChars, /["\\]/)}"`;
}

/**
 * A line of prose that carries account text inside our words (a planner's reason, an owner's label, an error
 * message): unsafe characters escaped and the line cut at `maxChars`, without quotes.
 */
export function plainText(text: string, maxChars = PLAIN_MAX_CHARS): string {
  return escapeUnsafe(text, maxChars);
}
