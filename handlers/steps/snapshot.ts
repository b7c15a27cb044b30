import { errorCode } from '../core/errors.ts';
import type { Inventory, Plan } from '../core/plan.ts';
import { openSnapshot, planKey, sealSnapshot, snapshotKey } from '../core/snapshot.ts';
import { parseInput, runSchema, StepError } from './common.ts';
import type { Deps } from './deps.ts';

/** "Save the snapshot": sealed, written once (never overwritten), before any change (I3). */
export async function saveSnapshot(raw: unknown, deps: Deps): Promise<{ key: string; checksum: string }> {
  const { remediationId, target } = parseInput(runSchema, raw);
  const text = await deps.store.get(planKey(remediationId));
  if (text === undefined) throw new StepError('PlanMissing', [`No plan is stored for ${remediationId}.`]);
  const draft = JSON.parse(text) as { discoveredAt: string; inventory: Inventory; plan: Plan };
  const snapshot = sealSnapshot({
    remediationId,
    createdAt: draft.discoveredAt,
    inventory: draft.inventory,
    plan: draft.plan,
  });
  const key = snapshotKey(remediationId);
  try {
    await deps.store.put(key, JSON.stringify(snapshot), { ifAbsent: true });
  } catch (error) {
    if (errorCode(error) !== 'PreconditionFailed') throw error;
    // A retry after the write landed: the stored copy must be this very snapshot.
    const existing = openSnapshot((await deps.store.get(key)) ?? '', { remediationId, groupId: target.groupId });
    if (existing.checksum !== snapshot.checksum) {
      throw new StepError('SnapshotConflict', [`A different snapshot is already stored for ${remediationId}.`]);
    }
  }
  await deps.ledger.putRemediation({
    remediationId,
    accountId: target.accountId,
    region: target.region,
    groupId: target.groupId,
    vpcId: draft.plan.vpcId,
    findingId: target.findingId,
    productArn: target.productArn,
    status: 'snapshot-saved',
    updatedAt: deps.now().toISOString(),
  });
  return { key, checksum: snapshot.checksum };
}
