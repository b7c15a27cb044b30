/**
 * Cross-site request defences of the link pages' POSTs (approve / reject / roll back).
 *
 * 1. **A per-page token** in a hidden field: `HMAC-SHA256(key, "<kind>:<link id>")`, base64url. The key is a secret
 *    that is stored in the ledger next to the link and never leaves it: an approval's Step Functions task token, a
 *    rollback link's or a digest's random `csrfSecret`. Nothing to configure or rotate (no `LINK_SIGNING_SECRET`), the same in Lambda
 *    and locally, and a token is only good for its own link. A page of another site cannot read our page (no CORS, no
 *    framing), so it cannot learn the token.
 * 2. **Fetch metadata and Origin**: a POST whose `Sec-Fetch-Site` says it comes from another site, or whose `Origin`
 *    names another host, is refused. `Origin: null` is not trusted and not refused: our own form sends it, because the
 *    pages are served with `Referrer-Policy: no-referrer`; the token (and `Sec-Fetch-Site`) decide then.
 *
 * Neither defends against someone who holds the link itself: the link is the credential (docs/threat-model.md).
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

export type LinkKind = 'approval' | 'rollback' | 'digest';

/** A link's opaque id: base64url, 20–64 characters (the ids issued are 24: 144 random bits). */
export const LINK_ID_PATTERN = /^[A-Za-z0-9_-]{20,64}$/;

/** The form field carrying the token. */
export const CSRF_FIELD = 'csrf';

/** A token is a base64url HMAC-SHA256: 43 characters. */
export const CSRF_TOKEN_PATTERN = /^[A-Za-z0-9_-]{43}$/;

export function csrfToken(kind: LinkKind, linkId: string, key: string): string {
  return createHmac('sha256', key).update(`default-sg-remediation:${kind}:${linkId}`).digest('base64url');
}

export function csrfTokenValid(kind: LinkKind, linkId: string, key: string, candidate: string | undefined): boolean {
  if (candidate === undefined || !CSRF_TOKEN_PATTERN.test(candidate) || key.length === 0) return false;
  const expected = Buffer.from(csrfToken(kind, linkId, key));
  const given = Buffer.from(candidate);
  return expected.length === given.length && timingSafeEqual(expected, given);
}

/** `Sec-Fetch-Site` values a POST of our own form can carry. */
const ALLOWED_FETCH_SITES = new Set(['same-origin', 'none']);

/**
 * Why a POST looks cross-site, or undefined when it does not. `headers` have lower-case names; `host` is the host
 * (with port) the request was sent to.
 */
export function crossSiteReason(
  headers: Record<string, string | undefined>,
  host: string | undefined,
): string | undefined {
  const site = headers['sec-fetch-site']?.trim().toLowerCase();
  if (site !== undefined && !ALLOWED_FETCH_SITES.has(site)) return `Sec-Fetch-Site is ${site.slice(0, 20)}`;
  const origin = headers.origin?.trim();
  if (origin === undefined || origin === '' || origin === 'null') return undefined;
  let originHost: string;
  try {
    originHost = new URL(origin).host.toLowerCase();
  } catch {
    return 'the Origin header is not a URL';
  }
  if (!host) return 'the request has no Host to compare its Origin with';
  if (originHost !== host.trim().toLowerCase()) return 'the Origin is another site';
  return undefined;
}
