import * as z from 'zod';
import { InvalidInputError } from '../core/errors.ts';
import { parseRemediationInput } from '../core/finding.ts';
import { parseInput, remediationIdSchema, type Target } from './common.ts';
import type { Deps } from './deps.ts';

const inputSchema = z.object({ remediationId: remediationIdSchema, input: z.unknown() });

export type ParseOutput =
  | { outcome: 'target'; remediationId: string; target: Target; approvalTimeoutSeconds: number }
  | { outcome: 'skipped'; remediationId: string; reasons: string[] };

/** "Parse the finding": what to remediate, or why nothing needs doing. Invalid input fails with `InvalidInput`. */
export async function parseFinding(raw: unknown, deps: Deps): Promise<ParseOutput> {
  const { remediationId, input } = parseInput(inputSchema, raw);
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
