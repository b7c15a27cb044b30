import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type ParsedInput, parseRemediationInput, quote } from '../../handlers/core/finding.ts';

const EXAMPLES = join(import.meta.dirname, '../../../shared/examples');
/**
 * Finding events: ASFF (Security Hub CSPM) and, in `*-ocsf-*.json`, OCSF (the new Security Hub: the "Findings Imported
 * V2" envelope of securityhub-v2-cwe-event-formats.html around an OCSF 1.6 Compliance Finding as Security Hub emits
 * it; what is assumed is in docs/decisions.md, "Findings from the new Security Hub and batches (issue 13)").
 */
const FIXTURES = join(import.meta.dirname, '../fixtures/events');

const readJson = (path: string): unknown => JSON.parse(readFileSync(path, 'utf8'));

interface Fixture {
  description: string;
  expect:
    | { kind: 'target'; target: Record<string, unknown> }
    | { kind: 'skip'; reason: string }
    | { kind: 'invalid'; reason: string };
  input: unknown;
}

const fixtures = readdirSync(FIXTURES)
  .filter((file) => file.endsWith('.json'))
  .sort()
  .map((file) => ({ file, ...(readJson(join(FIXTURES, file)) as Fixture) }));

/** Every reason must be short and quote at most ~80 characters of input verbatim. */
function expectBoundedReasons(result: ParsedInput): void {
  const texts = result.kind === 'invalid' ? result.reasons : result.kind === 'skip' ? [result.reason] : [];
  for (const text of texts) {
    expect(text.length).toBeLessThanOrEqual(300);
    for (const control of ['\n', '\r', '\u0000']) expect(text).not.toContain(control);
    expect(text).not.toMatch(/(.)\1{80}/);
  }
  if (result.kind === 'invalid') {
    expect(result.reasons.length).toBeGreaterThan(0);
    expect(result.reasons.length).toBeLessThanOrEqual(11);
  }
}

describe('parseRemediationInput — the sample events', () => {
  const common = {
    accountId: '111122223333',
    region: 'us-east-1',
    groupId: 'sg-07d2e3f4a5b6c7d8e',
    vpcId: 'vpc-07e1f2a3b4c5d6e7f',
    productArn: 'arn:aws:securityhub:us-east-1::product/aws/securityhub',
  };

  it('takes the consolidated EC2.2 finding', () => {
    expect(parseRemediationInput(readJson(join(EXAMPLES, 'finding-ec2.2-consolidated.json')))).toEqual({
      kind: 'target',
      target: {
        ...common,
        findingId:
          'arn:aws:securityhub:us-east-1:111122223333:security-control/EC2.2/finding/1f2e3d4c-5b6a-4789-8a9b-0c1d2e3f4a5b',
        source: 'imported',
      },
    });
  });

  it('takes the CIS 1.2.0 4.3 finding', () => {
    expect(parseRemediationInput(readJson(join(EXAMPLES, 'finding-cis-4.3-legacy.json')))).toEqual({
      kind: 'target',
      target: {
        ...common,
        findingId:
          'arn:aws:securityhub:us-east-1:111122223333:subscription/cis-aws-foundations-benchmark/v/1.2.0/4.3/finding/9a8b7c6d-5e4f-4a3b-9c2d-1e0f9a8b7c6d',
        source: 'imported',
      },
    });
  });

  it('takes the custom action on one finding', () => {
    expect(parseRemediationInput(readJson(join(EXAMPLES, 'finding-custom-action.json')))).toEqual({
      kind: 'target',
      target: {
        ...common,
        findingId:
          'arn:aws:securityhub:us-east-1:111122223333:security-control/EC2.2/finding/1f2e3d4c-5b6a-4789-8a9b-0c1d2e3f4a5b',
        source: 'custom-action',
      },
    });
  });
});

describe('parseRemediationInput — fixture corpus', () => {
  it('has a corpus of at least 20 hostile, malformed or skipped events', () => {
    expect(fixtures.filter((f) => f.expect.kind !== 'target').length).toBeGreaterThanOrEqual(20);
  });

  it.each(fixtures.map((f) => [f.file, f] as const))('%s', (_file, fixture) => {
    const result = parseRemediationInput(fixture.input);
    expectBoundedReasons(result);
    const expected = fixture.expect;
    if (expected.kind === 'target') {
      expect(result).toEqual({ kind: 'target', target: expect.objectContaining(expected.target) });
      if (result.kind === 'target' && !('vpcId' in expected.target)) expect(result.target.vpcId).toBeUndefined();
    } else if (expected.kind === 'skip') {
      expect(result.kind, JSON.stringify(result)).toBe('skip');
      if (result.kind === 'skip') expect(result.reason).toContain(expected.reason);
    } else {
      expect(result.kind, JSON.stringify(result)).toBe('invalid');
      if (result.kind === 'invalid') expect(result.reasons.join(' | ')).toContain(expected.reason);
    }
  });
});

describe('parseRemediationInput — details', () => {
  // biome-ignore lint/suspicious/noExplicitAny: the tests mutate deep, untyped event JSON
  const consolidated = () => readJson(join(EXAMPLES, 'finding-ec2.2-consolidated.json')) as any;

  it('prefers invalid over skip: a PASSED finding for another control is refused', () => {
    const event = consolidated();
    event.detail.findings[0].Compliance.Status = 'PASSED';
    event.detail.findings[0].Compliance.SecurityControlId = 'S3.1';
    expect(parseRemediationInput(event).kind).toBe('invalid');
  });

  it('prefers invalid over skip: a SUPPRESSED finding on a non-default group is refused', () => {
    const event = consolidated();
    event.detail.findings[0].Workflow.Status = 'SUPPRESSED';
    event.detail.findings[0].Resources[0].Details.AwsEc2SecurityGroup.GroupName = 'app';
    expect(parseRemediationInput(event)).toEqual({
      kind: 'invalid',
      reasons: [
        'detail.findings[0].Resources[0].Details.AwsEc2SecurityGroup.GroupName is "app": not a default security group.',
      ],
    });
  });

  it('uses the deprecated WorkflowState only when Workflow is absent', () => {
    const event = consolidated();
    delete event.detail.findings[0].Workflow;
    event.detail.findings[0].WorkflowState = 'RESOLVED';
    expect(parseRemediationInput(event).kind).toBe('skip');
    event.detail.findings[0].Workflow = { Status: 'NEW' };
    expect(parseRemediationInput(event).kind).toBe('target');
  });

  it('names the field and quotes at most a bounded part of hostile input', () => {
    const event = consolidated();
    event.detail.findings[0].Resources[0].Details.AwsEc2SecurityGroup.GroupName = `${'evil'.repeat(500)}\u0007`;
    const result = parseRemediationInput(event);
    expect(result.kind).toBe('invalid');
    if (result.kind !== 'invalid') return;
    expect(result.reasons[0]).toMatch(
      /^detail\.findings\[0\]\.Resources\[0\]\.Details\.AwsEc2SecurityGroup\.GroupName/,
    );
    expect(result.reasons[0]?.length).toBeLessThan(200);
  });

  it('reports several problems at once, each naming its field', () => {
    const result = parseRemediationInput({ accountId: 'x', region: 'moon-1', groupId: 'sg-1' });
    expect(result).toEqual({
      kind: 'invalid',
      reasons: [
        'accountId is not an AWS account id (12 digits): "x".',
        'region is not an AWS Region name: "moon-1".',
        'groupId is not a security group id (sg- and 8 or 17 hex digits): "sg-1".',
      ],
    });
  });

  it('caps the number of reasons', () => {
    const keys = Object.fromEntries(Array.from({ length: 50 }, (_, i) => [`k${i}`, i]));
    const finding = Object.fromEntries(Array.from({ length: 30 }, (_, i) => [`F${i}`, i]));
    const result = parseRemediationInput({ source: 1, 'detail-type': 2, detail: { findings: [finding] }, ...keys });
    expectBoundedReasons(result);
  });

  it('accepts GovCloud, China and ISO Region names, and refuses look-alikes', () => {
    for (const region of ['us-gov-west-1', 'cn-northwest-1', 'us-isob-east-1', 'ap-southeast-7', 'eu-central-2'])
      expect(parseRemediationInput({ accountId: '111122223333', region, groupId: 'sg-0a1b2c3d' }).kind).toBe('target');
    for (const region of ['US-EAST-1', 'us-east-1 ', 'us-east', 'us-east-123', 'us_east_1', 'useast-1', ''])
      expect(parseRemediationInput({ accountId: '111122223333', region, groupId: 'sg-0a1b2c3d' }).kind).toBe('invalid');
  });

  it('never throws, even on exotic objects', () => {
    const throwing = {
      get source(): string {
        throw new Error('boom');
      },
    };
    expect(parseRemediationInput(throwing).kind).toBe('invalid');
    const revoked = Proxy.revocable({}, {});
    revoked.revoke();
    expect(parseRemediationInput(revoked.proxy).kind).toBe('invalid');
    for (const value of [undefined, 0, true, Symbol('x'), () => 1, 10n, new Date(), new Map()])
      expect(parseRemediationInput(value).kind).toBe('invalid');
  });

  it('never throws and always answers a bounded verdict on arbitrary JSON (property)', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 4 }), (value) => {
        const result = parseRemediationInput(value);
        expect(['target', 'skip', 'invalid']).toContain(result.kind);
        expectBoundedReasons(result);
      }),
      { numRuns: 300 },
    );
  });

  it('refuses every random mutation of one field of a good event that breaks an id (property)', () => {
    const paths = [
      ['AwsAccountId'],
      ['Region'],
      ['Resources', 0, 'Id'],
      ['ProductArn'],
      ['Compliance', 'SecurityControlId'],
    ] as const;
    fc.assert(
      fc.property(
        fc.constantFrom(...paths),
        fc.string({ minLength: 1, maxLength: 40 }).filter((s) => !/^[\w.-]+$/.test(s)),
        (path, garbage) => {
          const event = consolidated();
          let node = event.detail.findings[0];
          for (const key of path.slice(0, -1)) node = node[key];
          node[path[path.length - 1] as string | number] =
            `${node[path[path.length - 1] as string | number]}${garbage}`;
          const result = parseRemediationInput(event);
          expect(result.kind).toBe('invalid');
          expectBoundedReasons(result);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('quotes short strings whole and long ones clipped, escaping control characters', () => {
    expect(quote('sg-1')).toBe('"sg-1"');
    expect(quote('a\nb')).toBe('"a\\nb"');
    expect(quote('y'.repeat(500)).length).toBeLessThanOrEqual(70);
    expect(quote([1])).toBe('an array');
  });
});
