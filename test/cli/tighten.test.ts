/**
 * `tighten` through the command line's entry point, on the sample (a generated VPC after a plain copy, 30 days of
 * flow logs in the S3 layout): read-only, the proposal, what will no longer be allowed, the guarantee; bad input
 * exits 2 naming the field, and without flow logs nothing is tightened.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SAMPLE_END, writeSample } from '../../cli/sample-flow-logs.ts';
import { logFormatOf } from '../../handlers/core/flow-logs/format.ts';
import { runCli, tempDirPerTest } from '../support/cli.ts';

const dir = tempDirPerTest('tighten-');
let sample: { state: string; log: string; groupId: string };

describe('tighten (read-only)', () => {
  it('proposes least-privilege rules from the sample flow log, says what will no longer be allowed, changes nothing', async () => {
    sample = await writeSample(dir(), 5000);
    const before = readFileSync(sample.state, 'utf8');
    const run = await runCli(
      'tighten',
      '--state',
      sample.state,
      '--group',
      sample.groupId,
      '--flow-logs',
      sample.log,
      '--end',
      SAMPLE_END,
      '--json',
    );
    expect(run.code).toBe(0);
    const answer = run.json;
    expect(answer).toMatchObject({ outcome: 'planned', groupId: sample.groupId, tighten: true, applied: false });
    expect(answer.revoke).toEqual([`inbound all traffic from ${sample.groupId}`, 'outbound all traffic to 0.0.0.0/0']);
    expect(answer.rules.map((r: { words: string }) => r.words.replace(/ \(.*\)$/, ''))).toContain(
      'outbound tcp 443 to 0.0.0.0/0',
    );
    expect(answer.noLongerAllowed.length).toBeGreaterThan(0);
    expect(answer.newlyAllowed).toEqual([]);
    expect(answer.guarantee.broken).toEqual([]);
    expect(answer.guarantee.observedConnectionsKept).toBeGreaterThan(0);
    expect(answer.window).toMatchObject({ days: 30, from: '2026-11-01T00:00:00Z', to: '2026-12-01T00:00:00Z' });
    expect(readFileSync(sample.state, 'utf8')).toBe(before);
  });

  it('without flow logs tightens nothing and offers the command that turns them on', async () => {
    sample = await writeSample(dir(), 10);
    const run = await runCli('tighten', '--state', sample.state, '--group', sample.groupId, '--json');
    expect(run.code).toBe(0);
    expect(run.json).toMatchObject({ outcome: 'planned', tighten: false, add: [], revoke: [] });
    expect(run.json.warnings[0]).toContain('aws ec2 create-flow-logs');
  });

  it('refuses bad input with exit 2, naming the field', async () => {
    sample = await writeSample(dir(), 10);
    const cases: [string[], RegExp][] = [
      [['--state', sample.state], /--group: required/],
      [['--state', sample.state, '--group', 'sg-xyz'], /--group: not a security group id/],
      [['--state', sample.state, '--group', 'sg-0123456789abcdef0'], /group sg-0123456789abcdef0 is not in the state/],
      [['--group', sample.groupId, '--region', 'nowhere'], /--region: not a region/],
      [
        ['--state', sample.state, '--group', sample.groupId, '--flow-logs', join(dir(), 'none.log')],
        /--flow-logs: .*none\.log is not a readable file/,
      ],
      [['--state', sample.state, '--group', sample.groupId, '--window-days', '0'], /--window-days/],
      [['--state', sample.state, '--group', sample.groupId, '--end', 'yesterday'], /--end: not a date/],
      [
        ['--state', sample.state, '--group', sample.groupId, '--log-format', logFormatOf(['version', 'nope'])],
        /--log-format: .*unknown flow log field "nope"/,
      ],
      [['--state', sample.state, '--group', sample.groupId, '--approve', 'maybe'], /--approve: auto, reject/],
      [['--state', sample.state, '--group', sample.groupId, '--store', dir()], /--store: goes with --approve/],
    ];
    for (const [args, message] of cases) {
      const run = await runCli('tighten', ...args, '--json');
      expect(run.code, args.join(' ')).toBe(2);
      expect(run.json, args.join(' ')).toMatchObject({ outcome: 'failed', error: 'InvalidInput' });
      expect(run.json.reasons[0], args.join(' ')).toMatch(message);
    }
    const notState = join(dir(), 'x.json');
    writeFileSync(notState, '{"hello": 1}');
    const run = await runCli('tighten', '--state', notState, '--group', sample.groupId, '--json');
    expect(run.code).toBe(2);
    expect(run.json.reasons[0]).toMatch(/--state: .* is not describe-security-groups/);
  });
});
