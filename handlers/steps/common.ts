/** Shared input schemas and loaders of the steps. */
import * as z from 'zod';
import { InvalidInputError } from '../core/errors.ts';
import { GROUP_ID } from '../core/finding.ts';
import { openSnapshot, type Snapshot, snapshotKey } from '../core/snapshot.ts';
import type { Deps } from './deps.ts';

export const remediationIdSchema = z
  .string()
  .regex(/^[A-Za-z0-9_-]{1,80}$/, 'a remediation id is 1–80 letters, digits, "-" or "_"');

export const targetSchema = z.object({
  accountId: z.string().regex(/^\d{12}$/),
  region: z.string().regex(/^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d{1,2}$/),
  groupId: z.string().regex(GROUP_ID),
  vpcId: z.string().optional(),
  findingId: z.string().max(512).optional(),
  productArn: z.string().max(512).optional(),
  source: z.enum(['imported', 'custom-action', 'direct']).optional(),
});

export type Target = z.infer<typeof targetSchema>;

export const runSchema = z.object({
  remediationId: remediationIdSchema,
  target: targetSchema,
});

/** Validates a step's input; a bad input is refused before anything is read or changed. */
export function parseInput<T extends z.ZodType>(schema: T, input: unknown): z.infer<T> {
  const result = schema.safeParse(input);
  if (!result.success) {
    throw new InvalidInputError(
      result.error.issues.map((issue) => `${issue.path.join('.') || 'input'}: ${issue.message}`),
    );
  }
  return result.data;
}

/** Which revision of the snapshot a step works from: 2 once a re-check migrated drift (core/drift.ts). */
/** The copy's id as the steps pass it on: a well-formed group id, so no step acts on anything else. */
export const replacementGroupIdSchema = z.string().regex(GROUP_ID);

export const snapshotRevisionSchema = z.number().int().min(1).max(2).nullish();

export async function loadSnapshot(
  deps: Deps,
  remediationId: string,
  groupId?: string,
  revision?: number | null,
): Promise<Snapshot> {
  const text = await deps.store.get(snapshotKey(remediationId, revision ?? 1));
  if (text === undefined) {
    throw new InvalidInputError([
      `No snapshot${(revision ?? 1) > 1 ? ` revision ${revision}` : ''} is stored for remediation ${remediationId}.`,
    ]);
  }
  return openSnapshot(text, { remediationId, groupId, revision: revision ?? 1 });
}

export function lockKey(target: { accountId: string; region: string; groupId: string }): string {
  return `${target.accountId}/${target.region}/${target.groupId}`;
}

/** A step error whose name Step Functions matches in Catch (e.g. `DriftDetected`). */
export class StepError extends Error {
  constructor(
    name: string,
    readonly reasons: string[],
  ) {
    super(reasons.join(' '));
    this.name = name;
  }
}
