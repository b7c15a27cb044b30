/**
 * `plan --all-regions --report DIR`: the CSV and HTML reports beside the table and the JSON, written whole or not at
 * all, and a directory that cannot take them refused before the audit reads anything (exit 2, naming the path).
 */
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { AuditedGroup } from '../../cli/org.ts';
import { runCli, tempDirPerTest } from '../support/cli.ts';

const ORG = join(import.meta.dirname, '..', 'fixtures', 'org');

const tempDir = tempDirPerTest('dsr-report-');

/** The CSV's records (the renderer's own tests check RFC 4180 in depth; these cells hold no quotes or commas). */
function csvRecords(text: string): string[][] {
  return text
    .split('\r\n')
    .filter(Boolean)
    .map((line) => line.split(','));
}

describe('plan --all-regions --report DIR', () => {
  it('writes DIR/audit.csv and DIR/audit.html with the rows and counts the JSON has, and no temporary file', async () => {
    const dir = join(tempDir(), 'reports', 'today');
    const result = await runCli('plan', '--all-regions', '--state', ORG, '--report', dir, '--json');
    expect(result.code).toBe(0);
    expect(result.json.report).toEqual({ csv: join(dir, 'audit.csv'), html: join(dir, 'audit.html') });
    expect(readdirSync(dir).sort()).toEqual(['audit.csv', 'audit.html']);

    const groups = result.json.groups as AuditedGroup[];
    const records = csvRecords(readFileSync(join(dir, 'audit.csv'), 'utf8'));
    expect(records[0]).toEqual([
      'account',
      'region',
      'vpc',
      'group',
      'status',
      'members',
      'references',
      'rules',
      'reasons',
    ]);
    expect(records.slice(1).map((record) => [record[0], record[1], record[3] || undefined, record[4]])).toEqual(
      groups.map((group) => [group.accountId, group.region, group.groupId, group.status]),
    );

    const page = readFileSync(join(dir, 'audit.html'), 'utf8');
    for (const [status, count] of Object.entries(result.json.summary))
      if (!['accounts', 'regions', 'groups'].includes(status))
        expect(page).toContain(`data-status="${status}"><strong>${count}</strong>`);
    for (const group of groups) if (group.groupId) expect(page).toContain(`<code>${group.groupId}</code>`);
  });

  it('says where the report is after the table', async () => {
    const dir = join(tempDir(), 'r');
    const result = await runCli('plan', '--all-regions', '--state', ORG, '--report', dir);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(`Report: ${join(dir, 'audit.html')} and ${join(dir, 'audit.csv')}`);
  });

  it('refuses a directory it cannot make before reading anything (exit 2, naming it)', async () => {
    const file = join(tempDir(), 'a-file');
    writeFileSync(file, 'not a directory');
    for (const dir of [file, join(file, 'below')]) {
      const result = await runCli('plan', '--all-regions', '--state', ORG, '--report', dir, '--json');
      expect(result.code).toBe(2);
      expect(result.json.error).toBe('InvalidInput');
      expect(result.json.reasons.join(' ')).toContain(`Cannot write the report ${dir} (--report)`);
      expect(result.stderr).not.toContain('audited');
    }
  });

  it('writes neither report when one of them cannot be written, and leaves no temporary file', async () => {
    const dir = join(tempDir(), 'r');
    mkdirSync(join(dir, 'audit.html'), { recursive: true });
    const result = await runCli('plan', '--all-regions', '--state', ORG, '--report', dir, '--json');
    expect(result.code).toBe(2);
    expect(result.json.reasons.join(' ')).toContain(`Cannot write the report ${join(dir, 'audit.html')}`);
    expect(readdirSync(dir)).toEqual(['audit.html']);
  });

  it('keeps the previous report whole when the new one cannot replace it', async () => {
    const dir = join(tempDir(), 'r');
    expect((await runCli('plan', '--all-regions', '--state', ORG, '--report', dir)).code).toBe(0);
    const before = readFileSync(join(dir, 'audit.csv'), 'utf8');
    // The HTML's name is taken by a directory now: the CSV must not be replaced alone.
    rmSync(join(dir, 'audit.html'));
    mkdirSync(join(dir, 'audit.html'));
    const result = await runCli('plan', '--all-regions', '--state', ORG, '--regions', 'us-east-1', '--report', dir);
    expect(result.code).toBe(2);
    expect(readFileSync(join(dir, 'audit.csv'), 'utf8')).toBe(before);
    expect(readdirSync(dir).filter((name) => name.endsWith('.tmp'))).toEqual([]);
  });

  it.each([
    [
      'plan --group',
      ['plan', '--group', 'sg-0123456789abcdef0', '--state', join(ORG, '111122223333-us-east-1.state.json')],
    ],
    ['remediate --all-empty', ['remediate', '--all-empty', '--state', ORG, '--approve', 'reject']],
  ])('is refused with %s (exit 2)', async (_name, args) => {
    const result = await runCli(...args, '--report', tempDir(), '--json');
    expect(result.code).toBe(2);
    expect(result.json.reasons).toEqual(['--report goes with plan --all-regions.']);
  });
});
