/** Closing steps: annotate the finding and tell people what happened. */
import * as z from 'zod';
import { describeFailure } from '../core/failures.ts';
import { describePlan } from '../core/messages.ts';
import { createRollbackLink } from '../http/rollback-links.ts';
import { parseInput, remediationIdSchema, targetSchema } from './common.ts';
import type { Deps } from './deps.ts';

const findingSchema = z.object({
  remediationId: remediationIdSchema,
  target: targetSchema,
  event: z.enum(['remediated', 'compliant', 'rolled-back']),
});

const NOTES = {
  remediated: (id: string) =>
    `Closed by default-sg-remediation ${id}: members moved to a copy, default group stripped. Roll back with the "Roll back EC2.2" action or: npm run cli -- rollback --remediation ${id}`,
  compliant: (id: string) => `Checked by default-sg-remediation ${id}: the default group has no rules.`,
  'rolled-back': (id: string) => `default-sg-remediation ${id} was rolled back: the default group is as it was.`,
} as const;

/** "Resolve the finding" (or annotate it after a rollback). A direct run without a finding has nothing to update. */
export async function updateFinding(raw: unknown, deps: Deps): Promise<{ updated: boolean }> {
  const input = parseInput(findingSchema, raw);
  const { findingId, productArn } = input.target;
  if (!findingId || !productArn) return { updated: false };
  await deps.findings.update(
    { findingId, productArn },
    {
      workflowStatus: input.event === 'rolled-back' ? 'NEW' : 'RESOLVED',
      note: NOTES[input.event](input.remediationId),
    },
  );
  return { updated: true };
}

const notifySchema = z.object({
  remediationId: remediationIdSchema,
  target: targetSchema.partial().optional(),
  event: z.enum(['blocked', 'remediated', 'rolled-back', 'failed', 'rejected']),
  reasons: z.array(z.string()).optional(),
  error: z.object({ Error: z.string().optional(), Cause: z.string().optional() }).optional(),
});

const SUBJECTS = {
  blocked: 'EC2.2 remediation blocked, nothing changed',
  remediated: 'EC2.2 remediated',
  'rolled-back': 'EC2.2 remediation rolled back',
  failed: 'EC2.2 remediation failed',
  rejected: 'EC2.2 remediation rejected and rolled back',
} as const;

/** Readable reasons from a Step Functions error (core/failures.ts), the first one naming the error. */
export function reasonsFromError(error: { Error?: string; Cause?: string } | undefined): string[] {
  if (!error) return [];
  const failure = describeFailure(error.Error, error.Cause);
  const [first = 'Unknown error.', ...rest] = failure.reasons;
  const name = failure.error ?? 'Error';
  return [first.includes(name) ? first : `${name}: ${first}`, ...rest];
}

/** "Send the … notice": one SNS message per outcome, with the plan when a snapshot exists. */
export async function notify(raw: unknown, deps: Deps): Promise<{ sent: true }> {
  const input = parseInput(notifySchema, raw);
  const groupId = input.target?.groupId ?? 'the default group';
  const reasons = [...(input.reasons ?? []), ...reasonsFromError(input.error)];
  let planLines: string[] = [];
  const text = await deps.store.get(`snapshots/${input.remediationId}.json`);
  if (text !== undefined) planLines = describePlan(JSON.parse(text).plan);
  const lines = [
    `${SUBJECTS[input.event]}: ${groupId}${input.target?.accountId ? ` in ${input.target.accountId} ${input.target.region}` : ''}.`,
    `Remediation id: ${input.remediationId}`,
    ...(reasons.length > 0
      ? [
          '',
          input.event === 'remediated' ? 'Found during the approval wait:' : 'Why:',
          ...reasons.map((reason) => `  - ${reason}`),
        ]
      : []),
    ...(planLines.length > 0 ? ['', ...planLines] : []),
  ];
  if (input.event === 'remediated') {
    // Deployed, the notice carries a single-use rollback link; locally, the command that does the same.
    const link = deps.settings.linkBaseUrl ? await createRollbackLink(deps, input.remediationId) : undefined;
    lines.push(
      '',
      link?.url
        ? `Roll back with one click (link valid until ${new Date(link.expiresAt * 1000).toISOString()}): ${link.url}`
        : `To undo it: npm run cli -- rollback --remediation ${input.remediationId} (or the "Roll back EC2.2" action).`,
    );
  }
  await deps.notifier.publish({ subject: `${SUBJECTS[input.event]}: ${groupId}`, message: lines.join('\n') });
  return { sent: true };
}
