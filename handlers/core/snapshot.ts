/**
 * The durable snapshot written before any change (I3): what discovery read and what the plan will do, sealed with a
 * SHA-256 checksum over a canonical JSON form so a tampered or truncated copy is refused at rollback.
 */
import { createHash } from 'node:crypto';
import type { DriftDelta } from './drift.ts';
import { InvalidInputError } from './errors.ts';
import type { Inventory, Plan } from './plan.ts';

export const SNAPSHOT_VERSION = 1;

export interface Snapshot {
  version: typeof SNAPSHOT_VERSION;
  remediationId: string;
  createdAt: string;
  inventory: Inventory;
  plan: Plan;
  /**
   * 1 (absent) for the snapshot saved before any change; 2 for the one a re-check writes before it migrates drift:
   * the same content with the delta added. Each revision has its own key and is written once.
   */
  revision?: number;
  /** The checksum of the revision this one extends. */
  basedOn?: string;
  /** What the re-check migrated (revision 2). */
  delta?: { interfaces: string[]; references: DriftDelta['references']; defaultRules: DriftDelta['defaultRules'] };
  /** sha256 of the canonical JSON of every other field. */
  checksum: string;
}

export function snapshotKey(remediationId: string, revision = 1): string {
  return revision === 1 ? `snapshots/${remediationId}.json` : `snapshots/${remediationId}.v${revision}.json`;
}

export function planKey(remediationId: string): string {
  return `plans/${remediationId}.json`;
}

/** JSON with object keys sorted at every level, so equal content always hashes equally. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, item) =>
    item && typeof item === 'object' && !Array.isArray(item) && !keysSorted(item)
      ? Object.fromEntries(Object.entries(item).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : item,
  );
}

/** Most objects of a large snapshot are already in order: only the others are rebuilt (same output, less garbage). */
function keysSorted(item: object): boolean {
  let previous: string | undefined;
  for (const key in item) {
    if (!Object.hasOwn(item, key)) continue;
    if (previous !== undefined && previous > key) return false;
    previous = key;
  }
  return true;
}

export function sealSnapshot(body: Omit<Snapshot, 'checksum' | 'version'>): Snapshot {
  const unsealed = { ...body, version: SNAPSHOT_VERSION } as const;
  return { ...unsealed, checksum: checksumOf(unsealed) };
}

function checksumOf(body: Omit<Snapshot, 'checksum'>): string {
  return createHash('sha256').update(canonicalJson(body)).digest('hex');
}

/** Parses a stored snapshot and refuses it unless it is intact and belongs to what the caller expects. */
export function openSnapshot(
  text: string,
  expected: { remediationId: string; groupId?: string; revision?: number },
): Snapshot {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new InvalidInputError([`The snapshot of ${expected.remediationId} is not valid JSON.`]);
  }
  const candidate = parsed as Partial<Snapshot> | null;
  if (!candidate || typeof candidate !== 'object' || typeof candidate.checksum !== 'string') {
    throw new InvalidInputError([`The snapshot of ${expected.remediationId} has no checksum.`]);
  }
  const { checksum, ...body } = candidate as Snapshot;
  if (body.version !== SNAPSHOT_VERSION || checksumOf(body) !== checksum) {
    throw new InvalidInputError([
      `The snapshot of ${expected.remediationId} fails its checksum: it was changed or damaged after it was written.`,
    ]);
  }
  if (body.remediationId !== expected.remediationId) {
    throw new InvalidInputError([`The snapshot belongs to ${body.remediationId}, not ${expected.remediationId}.`]);
  }
  if ((body.revision ?? 1) !== (expected.revision ?? 1)) {
    throw new InvalidInputError([
      `The snapshot of ${expected.remediationId} is revision ${body.revision ?? 1}, stored where revision ${expected.revision ?? 1} belongs.`,
    ]);
  }
  if (expected.groupId && body.plan.defaultGroupId !== expected.groupId) {
    throw new InvalidInputError([`The snapshot is of ${body.plan.defaultGroupId}, not ${expected.groupId}.`]);
  }
  return candidate as Snapshot;
}
