/**
 * A virtual clock: `sleep` moves time forward instead of waiting, so an hour of paced API calls runs in seconds.
 * Concurrent sleepers each wake at their own deadline (time never moves back), so inline Map and Parallel branches
 * that sleep at the same time overlap as they would in real time.
 */
import type { Clock } from '../../ports.ts';

export class VirtualClock implements Clock {
  private current: number;

  /** Starts at the real time by default, so timestamps it lends (locks, approvals) look like today's. */
  constructor(start = Date.now()) {
    this.current = start;
  }

  now(): number {
    return this.current;
  }

  async sleep(ms: number): Promise<void> {
    const until = this.current + Math.max(0, ms);
    // Let whatever else is runnable at this instant run first, as a real timer would.
    await Promise.resolve();
    this.current = Math.max(this.current, until);
  }

  /** Moves time forward by `ms` (Step Functions' retry waits, which no handler sleeps through). */
  advance(ms: number): void {
    this.current += Math.max(0, ms);
  }
}
