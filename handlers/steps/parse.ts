import * as z from 'zod';
import { InvalidInputError } from '../core/errors.ts';
import { parseRemediationInput } from '../core/finding.ts';
import { parseInput, remediationIdSchema, type Target } from './common.ts';
import type { Deps } from './deps.ts';

export const MAX_EVENT_BYTES = 256 * 1024;

const inputSchema = z.object({ remediationId: remediationIdSchema, input: z.unknown() });

export type ParseOutput =
  | { outcome: 'target'; remediationId: string; target: Target; approvalTimeoutSeconds: number }
  | { outcome: 'skipped'; remediationId: string; reasons: string[] };

/** "Parse the finding": what to remediate, or why nothing needs doing. Invalid input fails with `InvalidInput`. */
export async function parseFinding(raw: unknown, deps: Deps): Promise<ParseOutput> {
  const { remediationId, input } = parseInput(inputSchema, raw);
  // EventBridge delivers events of at most 256 KiB; a larger "finding" did not come from Security Hub.
  // https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-putevent-size.html
  const size = Buffer.byteLength(JSON.stringify(input) ?? '', 'utf8');
  if (size > MAX_EVENT_BYTES) {
    throw new InvalidInputError([
      `The finding is ${Math.ceil(size / 1024)} KiB, over 256 KiB, the largest event EventBridge delivers.`,
    ]);
  }
  const parsed = parseRemediationInput(input);
  if (parsed.kind === 'invalid') throw new InvalidInputError(parsed.reasons);
  if (parsed.kind === 'skip') {
    deps.log.info('finding needs no action', { remediationId, reason: parsed.reason });
    return { outcome: 'skipped', remediationId, reasons: [parsed.reason] };
  }
  deps.log.info('finding accepted', { remediationId, groupId: parsed.target.groupId });
  return {
    outcome: 'target',
    remediationId,
    target: parsed.target,
    approvalTimeoutSeconds: deps.settings.approvalTimeoutSeconds,
  };
}
