import type { FindingRef, FindingsUpdater } from '../../ports.ts';

export interface RecordedFindingUpdate {
  finding: FindingRef;
  change: { workflowStatus?: 'NEW' | 'NOTIFIED' | 'RESOLVED'; note: string };
}

/** A {@link FindingsUpdater} that changes nothing and records each call in `updates` (tests, the CLI's summary). */
export class NoopFindings implements FindingsUpdater {
  readonly updates: RecordedFindingUpdate[] = [];

  async update(
    finding: FindingRef,
    change: { workflowStatus?: 'NEW' | 'NOTIFIED' | 'RESOLVED'; note: string },
  ): Promise<void> {
    this.updates.push({ finding: { ...finding }, change: { ...change } });
  }
}
