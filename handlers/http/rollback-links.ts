/**
 * Rollback links for the completion notice: `<linkBaseUrl>/rollbacks/<linkId>`, a fresh opaque id stored in the
 * ledger with the remediation id, an expiry and a status. No AWS SDK here: the Notify step can import it cheaply.
 */
import { randomBytes } from 'node:crypto';
import type { Deps } from '../steps/deps.ts';
import { LINK_ID_PATTERN } from './csrf.ts';

/** How long a rollback link works when neither the caller nor the settings say: long, but finite. */
export const DEFAULT_ROLLBACK_LINK_EXPIRY_DAYS = 30;

export interface RollbackLink {
  linkId: string;
  /** The page's address; undefined when no `linkBaseUrl` is configured (local runs). */
  url?: string;
  /** Epoch seconds. */
  expiresAt: number;
}

/** `<base>/rollbacks/<linkId>`, or undefined without a base URL. */
export function rollbackLinkUrl(linkBaseUrl: string | undefined, linkId: string): string | undefined {
  return linkBaseUrl ? `${linkBaseUrl.replace(/\/+$/, '')}/rollbacks/${linkId}` : undefined;
}

/**
 * Issues a single-use rollback link for a finished remediation and stores it (status `pending`). The expiry is
 * `options.expiryDays`, else `deps.settings.linkExpiryDays`, else 30 days.
 * Each call issues a new link; a retried Notify leaves an extra, equally single-use link behind, which is harmless
 * because the rollback execution's name is derived from the remediation id (it starts at most once).
 */
export async function createRollbackLink(
  deps: Deps,
  remediationId: string,
  options: { expiryDays?: number } = {},
): Promise<RollbackLink> {
  const days = options.expiryDays ?? deps.settings.linkExpiryDays ?? DEFAULT_ROLLBACK_LINK_EXPIRY_DAYS;
  if (!Number.isFinite(days) || days <= 0) throw new RangeError('a rollback link must expire after a positive time');
  const linkId = deps.randomId();
  if (!LINK_ID_PATTERN.test(linkId)) throw new Error('randomId() does not make link ids (base64url, 20–64 characters)');
  const now = deps.now();
  const expiresAt = Math.floor(now.getTime() / 1000) + Math.round(days * 86400);
  await deps.ledger.putRollbackLink({
    linkId,
    remediationId,
    status: 'pending',
    expiresAt,
    createdAt: now.toISOString(),
    csrfSecret: randomBytes(32).toString('base64url'),
  });
  const url = rollbackLinkUrl(deps.settings.linkBaseUrl, linkId);
  return { linkId, expiresAt, ...(url ? { url } : {}) };
}
