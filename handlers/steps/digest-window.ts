/** Joining a batch window of approval digests (steps/digest.ts): what RequestApproval and Notify do with digests on. */
import { digestWindowStart } from '../core/digest.ts';
import type { DigestEntry } from '../ports.ts';
import type { Deps } from './deps.ts';

/**
 * Adds the entry to the current window; false when digests are off or the window was already sent (then the caller
 * sends its own notice, as without digests).
 */
export async function joinDigest(deps: Deps, entry: DigestEntry): Promise<boolean> {
  const windowSeconds = deps.settings.digestWindowSeconds;
  if (!(windowSeconds > 0)) return false;
  const now = Math.floor(deps.now().getTime() / 1000);
  const joined = await deps.ledger.joinDigestWindow(
    digestWindowStart(now, windowSeconds),
    entry,
    now + deps.settings.approvalTimeoutSeconds,
  );
  deps.log.info(joined ? 'joined the batch window' : 'batch window already sent: own notice', {
    remediationId: entry.remediationId,
    kind: entry.kind,
  });
  return joined;
}
