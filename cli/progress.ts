/**
 * Progress of the interface moves on a terminal: moved of total, rate, time left, redrawn in place on stderr. Only on
 * a terminal and never with --json (cli/main.ts decides); per batch, which is when the state machine reports. The
 * moves back count too: a rollback's, and those of the rollback a failed remediation runs (its events come through
 * the same callback, cli/runner.ts).
 */
import { snapshotKey } from '../handlers/core/snapshot.ts';
import { loadSnapshot } from '../handlers/steps/common.ts';
import type { Deps } from '../handlers/steps/deps.ts';
import type { StepEvent } from './runner.ts';

export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds)) return '?';
  const whole = Math.max(0, Math.round(seconds));
  if (whole < 60) return `${whole} s`;
  const minutes = Math.floor(whole / 60);
  if (minutes < 60) return `${minutes} min ${whole % 60} s`;
  return `${Math.floor(minutes / 60)} h ${minutes % 60} min`;
}

/**
 * `total`: what there is to move when no Discover step says it (a rollback: {@link rollbackMoves}); a remediation's
 * Discover sets it.
 */
export function moveProgress(write: (text: string) => void, now: () => number = Date.now, total = 0) {
  let moved = 0;
  let started: number | undefined;
  return (event: StepEvent) => {
    const output = (event.output ?? {}) as Record<string, unknown>;
    if (event.step === 'Discover' && typeof output.members === 'number') {
      total = output.members;
      started = now();
      return;
    }
    // The moves start right after the references are added (remediation) or the rules restored (rollback).
    if (event.step === 'AddReferences' || event.step === 'RestoreRules') {
      started = now();
      // The move back of a failed remediation counts from zero, over every batch of the plan, as a rollback's does.
      if (event.step === 'RestoreRules') moved = 0;
      return;
    }
    if (event.step !== 'MoveInterfaces' && event.step !== 'MoveBack') return;
    if (event.error || total === 0) return;
    moved += Number(output.moved ?? 0) + Number(output.alreadyMoved ?? 0) + ((output.gone as unknown[]) ?? []).length;
    const seconds = Math.max((now() - (started ?? now())) / 1000, 0.001);
    const rate = moved / seconds;
    const left = rate > 0 ? (total - moved) / rate : Number.POSITIVE_INFINITY;
    const verb = event.step === 'MoveBack' ? 'moved back' : 'moved';
    write(
      `\rInterfaces ${verb}: ${Math.min(moved, total)}/${total} (${rate.toFixed(1)}/s, about ${formatDuration(left)} left)\x1b[K${moved >= total ? '\n' : ''}`,
    );
  };
}

/**
 * What a rollback moves back: every batch of the remediation's plan (interfaces, and resources by key), from the
 * latest revision of its snapshot, as "Load the snapshot" reads it. Undefined when the snapshot cannot be read: the
 * rollback itself then refuses, and shows no progress.
 */
export async function rollbackMoves(deps: Deps, remediationId: string, groupId: string): Promise<number | undefined> {
  try {
    const revision = (await deps.store.get(snapshotKey(remediationId, 2))) === undefined ? 1 : 2;
    const { plan } = await loadSnapshot(deps, remediationId, groupId, revision);
    return plan.batches.reduce((sum, batch) => sum + batch.length, 0);
  } catch {
    return undefined;
  }
}
