/**
 * The hostile and malformed input corpus, table-driven over the command line: every bad finding, state file and
 * snapshot is refused with a clear reason (exit 2) and changes nothing — the `--out` state equals the input state and
 * the store holds no snapshot, plan or lock; findings that need no action are skipped (exit 0), changing nothing.
 *
 * Corpus: `test/fixtures/events/` (finding events: `bad-*` refused, `skip-*` skipped — the parser's table test
 * shares them) and `test/fixtures/hostile/` (findings the parser accepts but the run cannot act on, files that are not
 * JSON or too big, state files that are not EC2 shapes). Tampered snapshots are made from a real remediation.
 */
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { canonicalJson, type Snapshot, sealSnapshot, snapshotKey } from '../../handlers/core/snapshot.ts';
import { runCli, tempDirPerTest } from '../support/cli.ts';

const repo = join(import.meta.dirname, '..', '..');
const sample = join(repo, '..', 'shared', 'examples', 'web-app.state.json');
const events = join(repo, 'test', 'fixtures', 'events');
const hostile = join(repo, 'test', 'fixtures', 'hostile');
const DEFAULT_GROUP = 'sg-07d2e3f4a5b6c7d8e';

const tempDir = tempDirPerTest('dsr-hostile-');

async function cli(...args: string[]) {
  const { code, json } = await runCli(...args, '--json');
  return { code, json: json as { outcome: string; error?: string; reasons?: string[]; remediationId?: string } };
}

const store = () => join(tempDir(), 'store');
const out = () => join(tempDir(), 'out.json');
const read = (path: string) => readFileSync(path, 'utf8');

/** Files under the store, relative, with the ledger's locks (the ledger file itself may exist). */
function storeContents(): { files: string[]; locks: unknown } {
  const files = existsSync(store())
    ? readdirSync(store(), { recursive: true, withFileTypes: true })
        .filter((entry) => entry.isFile())
        .map((entry) => join(entry.parentPath, entry.name).slice(store().length + 1))
        .sort()
    : [];
  const ledger = join(store(), 'ledger.json');
  const locks = existsSync(ledger) ? (JSON.parse(read(ledger)) as { locks?: unknown }).locks : undefined;
  return { files: files.filter((file) => file !== 'ledger.json'), locks };
}

function expectNothingChanged(stateBefore: string): void {
  expect(canonicalJson(JSON.parse(read(out())))).toBe(canonicalJson(JSON.parse(stateBefore)));
  const contents = storeContents();
  expect(contents.files).toEqual([]);
  expect(contents.locks ?? {}).toEqual(Array.isArray(contents.locks) ? [] : {});
}

function expectClearReasons(json: { reasons?: string[] }): void {
  expect(json.reasons?.length ?? 0).toBeGreaterThan(0);
  for (const reason of json.reasons ?? []) {
    expect(reason.length).toBeLessThanOrEqual(400);
    expect(reason).not.toMatch(/[\n\r\0]/);
  }
}

const remediateFinding = (finding: string) =>
  cli('remediate', '--state', sample, '--finding', finding, '--approve', 'auto', '--store', store(), '--out', out());

interface EventFixture {
  description: string;
  expect: { kind: 'invalid' | 'skip' | 'target' };
  input: unknown;
}
/** Refused per execution, but the command line runs a custom action on several findings as a batch (finding-batch.test.ts). */
const BATCHES = new Set(['bad-two-findings.json']);
const eventFixtures = readdirSync(events)
  .filter((file) => /^(bad|skip)-.*\.json$/.test(file) && !BATCHES.has(file))
  .sort()
  .map((file) => ({ file, ...(JSON.parse(read(join(events, file))) as EventFixture) }));

describe('finding events the parser refuses or skips, through the CLI', () => {
  it('the corpus is large and covers both kinds', () => {
    expect(eventFixtures.filter((f) => f.expect.kind === 'invalid').length).toBeGreaterThanOrEqual(40);
    expect(eventFixtures.filter((f) => f.expect.kind === 'skip').map((f) => f.file)).toEqual(
      expect.arrayContaining(['skip-archived.json', 'skip-passed.json', 'skip-resolved.json', 'skip-suppressed.json']),
    );
  });

  it.each(eventFixtures.filter((fixture) => fixture.expect.kind === 'invalid'))(
    '$file ($description): exit 2, a clear reason, nothing changed',
    async ({ input }) => {
      const finding = join(tempDir(), 'finding.json');
      writeFileSync(finding, JSON.stringify(input));
      const result = await remediateFinding(finding);
      expect(result.code, JSON.stringify(result.json)).toBe(2);
      expect(result.json).toMatchObject({ outcome: 'failed', error: 'InvalidInput' });
      expectClearReasons(result.json);
      expectNothingChanged(read(sample));
    },
  );

  it.each(eventFixtures.filter((fixture) => fixture.expect.kind === 'skip'))(
    '$file ($description): skipped, exit 0, nothing changed',
    async ({ input }) => {
      const finding = join(tempDir(), 'finding.json');
      writeFileSync(finding, JSON.stringify(input));
      const result = await remediateFinding(finding);
      expect(result.code, JSON.stringify(result.json)).toBe(0);
      expect(result.json.outcome).toBe('skipped');
      expectNothingChanged(read(sample));
    },
  );
});

const hostileFindings: { file: string; reason: RegExp }[] = [
  { file: 'other-account.json', reason: /999988887777/ },
  { file: 'other-region.json', reason: /eu-west-1/ },
  { file: 'non-default-group.json', reason: /not a VPC default security group/ },
  { file: 'missing-group.json', reason: /sg-0aaaaaaaaaaaaaaaa does not exist/ },
  { file: 'oversized.json', reason: /over 256 KiB/ },
  { file: 'truncated.json', reason: /not valid JSON/ },
  { file: 'empty.json', reason: /not valid JSON/ },
  { file: 'not-json.json', reason: /not valid JSON/ },
  { file: 'array.json', reason: /./ },
];

describe('findings the run cannot act on, and files that are not findings', () => {
  it.each(hostileFindings)('$file: exit 2 ($reason), nothing changed', async ({ file, reason }) => {
    const result = await remediateFinding(join(hostile, 'findings', file));
    expect(result.code, JSON.stringify(result.json)).toBe(2);
    expect(result.json.outcome).toBe('failed');
    expectClearReasons(result.json);
    expect(result.json.reasons?.join(' ')).toMatch(reason);
    // A file refused before the simulator is loaded leaves no --out at all; one refused later leaves it unchanged.
    if (existsSync(out())) expectNothingChanged(read(sample));
    else expect(storeContents().files).toEqual([]);
  });
});

const hostileStates = readdirSync(join(hostile, 'states')).sort();

describe('state files that are not EC2 shapes', () => {
  it('the corpus has them', () => expect(hostileStates.length).toBeGreaterThanOrEqual(9));

  it.each(hostileStates)('%s: plan and remediate exit 2 with a reason; nothing is written', async (file) => {
    const state = join(hostile, 'states', file);
    const planned = await cli('plan', '--state', state, '--group', DEFAULT_GROUP, '--store', store());
    expect(planned.code, JSON.stringify(planned.json)).toBe(2);
    expectClearReasons(planned.json);
    const remediated = await cli(
      'remediate',
      '--state',
      state,
      '--group',
      DEFAULT_GROUP,
      '--approve',
      'auto',
      '--store',
      store(),
      '--out',
      out(),
    );
    expect(remediated.code, JSON.stringify(remediated.json)).toBe(2);
    expectClearReasons(remediated.json);
    expect(existsSync(out())).toBe(false);
    expect(storeContents().files).toEqual([]);
  });
});

/**
 * State files holding what AWS could never have answered, refused when loaded with the checks Authorize applies
 * (handlers/adapters/local/ec2-simulator/syntax.ts; https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_IpPermission.html,
 * https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_IpRange.html), or a prefix list or quota the file does not
 * describe as AWS would (https://docs.aws.amazon.com/vpc/latest/userguide/amazon-vpc-limits.html).
 */
const impossibleStates: { file: string; field: string }[] = [
  { file: 'rule-description-not-ec2-text.json', field: 'SecurityGroups[1].IpPermissions[0].IpRanges[0].Description' },
  { file: 'rule-description-too-long.json', field: 'SecurityGroups[1].IpPermissions[0].IpRanges[0].Description' },
  { file: 'tcp-without-to-port.json', field: 'SecurityGroups[1].IpPermissions[0].ToPort' },
  { file: 'from-port-above-to-port.json', field: 'SecurityGroups[2].IpPermissions[0].FromPort' },
  { file: 'tcp-minus-one-ports.json', field: 'SecurityGroups[1].IpPermissionsEgress[0].FromPort' },
  {
    file: 'prefix-list-not-described.json',
    field: 'SecurityGroups[0].IpPermissionsEgress[0].PrefixListIds[0].PrefixListId',
  },
  { file: 'quotas-over-1000.json', field: 'Quotas[0].Value' },
];

describe('state files AWS could never have produced', () => {
  it.each(impossibleStates)(
    '$file: remediate exits 2 naming $field; no --out, no snapshot, no lock',
    async ({ file, field }) => {
      const result = await cli(
        'remediate',
        '--state',
        join(hostile, 'states', file),
        '--group',
        DEFAULT_GROUP,
        '--approve',
        'auto',
        '--store',
        store(),
        '--out',
        out(),
      );
      expect(result.code, JSON.stringify(result.json)).toBe(2);
      expect(result.json).toMatchObject({ outcome: 'failed', error: 'InvalidInput' });
      expectClearReasons(result.json);
      expect(result.json.reasons?.some((reason) => reason.startsWith(`${field}: `))).toBe(true);
      expect(existsSync(out())).toBe(false);
      expect(storeContents()).toEqual({ files: [], locks: undefined });
    },
  );
});

/** Ways to damage a stored snapshot, each refused by rollback before it changes anything. */
const tamperings: { name: string; tamper: (text: string) => string; reason: RegExp }[] = [
  { name: 'a rule edited', tamper: (t) => t.replace('"FromPort":443', '"FromPort":444'), reason: /checksum/ },
  {
    name: 'the checksum edited',
    tamper: (t) => t.replace(/"checksum":"[0-9a-f]/, '"checksum":"x'),
    reason: /checksum/,
  },
  { name: 'truncated', tamper: (t) => t.slice(0, 200), reason: /not valid JSON/ },
  { name: 'emptied', tamper: () => '', reason: /not valid JSON/ },
  { name: 'not an object', tamper: () => '[1,2,3]', reason: /no checksum/ },
  {
    name: 'an intact snapshot of another group',
    tamper: (t) => {
      const { checksum: _c, version: _v, ...body } = JSON.parse(t) as Snapshot;
      return JSON.stringify(sealSnapshot({ ...body, plan: { ...body.plan, defaultGroupId: 'sg-0bbbbbbbbbbbbbbbb' } }));
    },
    reason: /is of sg-0bbbbbbbbbbbbbbbb, not sg-07d2e3f4a5b6c7d8e/,
  },
  {
    name: 'an intact snapshot of another remediation',
    tamper: (t) => {
      const { checksum: _c, version: _v, ...body } = JSON.parse(t) as Snapshot;
      return JSON.stringify(sealSnapshot({ ...body, remediationId: 'rem-someone-else' }));
    },
    reason: /belongs to rem-someone-else/,
  },
];

describe('tampered snapshot files', () => {
  it.each(tamperings)(
    '$name: rollback exits 2 ($reason), the state and the store unchanged',
    async ({ tamper, reason }) => {
      const after = join(tempDir(), 'after.json');
      const done = await cli(
        'remediate',
        '--state',
        sample,
        '--group',
        DEFAULT_GROUP,
        '--approve',
        'auto',
        '--store',
        store(),
        '--out',
        after,
      );
      expect(done.json.outcome).toBe('remediated');
      const id = done.json.remediationId ?? '';
      const snapshot = join(store(), snapshotKey(id));
      const tampered = tamper(read(snapshot));
      expect(tampered).not.toBe(read(snapshot));
      writeFileSync(snapshot, tampered);
      const rollback = await cli('rollback', '--remediation', id, '--state', after, '--store', store(), '--out', out());
      expect(rollback.code, JSON.stringify(rollback.json)).toBe(2);
      expectClearReasons(rollback.json);
      expect(rollback.json.reasons?.join(' ')).toMatch(reason);
      expect(canonicalJson(JSON.parse(read(out())))).toBe(canonicalJson(JSON.parse(read(after))));
      expect(read(snapshot)).toBe(tampered);
    },
  );
});

describe('account text on the terminal', () => {
  it('plan shows interface descriptions and group names quoted, with control and bidi characters escaped', async () => {
    const texts = JSON.parse(read(join(hostile, 'texts.json'))) as Record<string, string>;
    const state = JSON.parse(read(sample)) as {
      SecurityGroups: { GroupId: string; GroupName: string }[];
      NetworkInterfaces: { NetworkInterfaceId: string; Description?: string; Attachment?: unknown }[];
    };
    const member = state.NetworkInterfaces.find((eni) => eni.NetworkInterfaceId === 'eni-07000000000000012');
    if (!member) throw new Error('the sample changed: no eni-07000000000000012');
    delete member.Attachment;
    member.Description = `${texts.trojanSource}${texts.terminalEscape}${texts.fakeLine}`;
    const file = join(tempDir(), 'hostile.state.json');
    writeFileSync(file, JSON.stringify(state));

    const { code, stdout } = await runCli('plan', '--state', file, '--group', DEFAULT_GROUP);
    expect(code).toBe(0);
    expect(stdout).not.toContain('\u001b');
    expect(stdout).not.toMatch(/[\u202A-\u202E\u2066-\u2069]/);
    const line = stdout.split('\n').find((candidate) => candidate.startsWith('  - eni-07000000000000012'));
    expect(line).toBe(
      '  - eni-07000000000000012: network interface not attached to an instance ("admin\\u{202E}\\u{2066}// approved by SecOps\\u{2069}\\u{2066}\\u{001B}[2J\\u{001B}[1;1HAll clear\\u{0007}web\\nReview and decide: https://evil.example/approvals/steal")',
    );
    expect(stdout.split('\n').filter((candidate) => candidate.startsWith('Review and decide'))).toEqual([]);
  });
});
