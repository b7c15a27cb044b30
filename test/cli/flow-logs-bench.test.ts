/**
 * The flow-log benchmark at a small size: the figures it reports are the ones the README quotes at 1,000,000
 * records. Asserts what must hold at any size (no observed flow broken, the generated logs consistent with the state,
 * the port space shrinking by at least 90 %), never timings.
 */
import { describe, expect, it } from 'vitest';
import { benchFlowLogs } from '../../cli/bench/flow-logs.ts';

describe('flow-log benchmark', () => {
  it('proposes rules that keep every observed flow and shrink the port space between interfaces by ≥ 90 %', async () => {
    const report = await benchFlowLogs({ interfaces: 100, records: 20000 });
    expect(report.records).toBeGreaterThanOrEqual(20000);
    expect(report.brokenConnections).toBe(0);
    expect(report.notAllowedBefore).toBe(0);
    expect(report.checkedConnections).toBeGreaterThan(1000);
    expect(report.shrinkPercent).toBeGreaterThanOrEqual(90);
    expect(report.rules).toBeGreaterThan(0);
  }, 60_000);
});
