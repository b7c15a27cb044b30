/**
 * The trigger patterns of infra/patterns.ts against the sample events of ../shared/examples and the finding fixtures
 * (what must start a run, and what must not), with the matcher of event-pattern.ts, itself checked on the
 * documented EventBridge examples first.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseRemediationInput } from '../../handlers/core/finding.ts';
import { WATCHED_CALLS } from '../../handlers/core/watch.ts';
import {
  CUSTOM_ACTIONS,
  customActionPattern,
  FINDING_IMPORTED_PATTERN,
  FINDINGS_CUSTOM_ACTION,
  WATCH_PATTERN,
} from '../../infra/patterns.ts';
import { matches, type Pattern } from './event-pattern.ts';

const EXAMPLES = join(import.meta.dirname, '..', '..', '..', 'shared', 'examples');
const FIXTURES = join(import.meta.dirname, '..', 'fixtures', 'events');
const example = (name: string) => JSON.parse(readFileSync(join(EXAMPLES, name), 'utf8'));
const fixture = (name: string) => JSON.parse(readFileSync(join(FIXTURES, name), 'utf8')).input;

const imported = FINDING_IMPORTED_PATTERN as unknown as Pattern;
const REMEDIATE_ARN = `arn:aws:securityhub:us-east-1:111122223333:action/custom/${CUSTOM_ACTIONS.remediate.id}`;
const ROLLBACK_ARN = `arn:aws:securityhub:us-east-1:111122223333:action/custom/${CUSTOM_ACTIONS.rollback.id}`;

/** The fields of a finding the patterns look at. */
interface Finding {
  Compliance: { Status: string; SecurityControlId?: string };
  Workflow?: { Status: string };
  RecordState: string;
  GeneratorId: string;
  ProductArn: string;
}

/** A deep copy of the consolidated sample with the first finding changed. */
function consolidatedWith(change: (finding: Finding) => void) {
  const event = example('finding-ec2.2-consolidated.json');
  change(event.detail.findings[0]);
  return event;
}

describe('the test matcher follows the EventBridge documentation', () => {
  const event = {
    source: 'aws.ec2',
    'detail-type': 'EC2 Instance State-change Notification',
    resources: ['arn:aws:ec2:us-east-1:123456789012:instance/i-1', 'arn:aws:ec2:us-east-1:123456789012:instance/i-2'],
    detail: { state: 'running', 'c-count': 5, tags: [{ key: 'a' }, { key: 'b', value: 'x' }], empty: null },
  };
  it.each([
    [{ source: ['aws.ec2'] }, true],
    [{ source: ['aws.s3', 'aws.ec2'] }, true],
    [{ source: ['aws.s3'] }, false],
    [{ source: ['AWS.EC2'] }, false],
    [{ source: [{ 'equals-ignore-case': 'AWS.EC2' }] }, true],
    [{ source: [{ prefix: 'aws.' }] }, true],
    [{ source: [{ suffix: '.ec2' }] }, true],
    [{ source: [{ wildcard: 'aws.*' }] }, true],
    [{ resources: ['arn:aws:ec2:us-east-1:123456789012:instance/i-2'] }, true],
    [{ resources: ['arn:aws:ec2:us-east-1:123456789012:instance/i-3'] }, false],
    [{ detail: { state: [{ 'anything-but': 'stopped' }] } }, true],
    [{ detail: { state: [{ 'anything-but': ['stopped', 'running'] }] } }, false],
    [{ detail: { state: [{ 'anything-but': { prefix: 'run' } }] } }, false],
    [{ detail: { missing: [{ 'anything-but': 'x' }] } }, false],
    [{ detail: { missing: [{ exists: false }] } }, true],
    [{ detail: { state: [{ exists: true }] } }, true],
    [{ detail: { state: [{ exists: false }] } }, false],
    [{ detail: { tags: [{ exists: true }] } }, false],
    [{ detail: { 'c-count': [{ numeric: ['>', 0, '<=', 5] }] } }, true],
    [{ detail: { 'c-count': [5] } }, true],
    [{ detail: { 'c-count': ['5'] } }, false],
    [{ detail: { empty: [null] } }, true],
    [{ detail: { tags: { key: ['b'], value: ['x'] } } }, true],
    [{ detail: { tags: { key: ['a'], value: ['x'] } } }, false],
    [{ detail: { state: ['running'], $or: [{ 'c-count': [1] }, { tags: { key: ['a'] } }] } }, true],
    [{ detail: { $or: [{ 'c-count': [1] }, { tags: { key: ['c'] } }] } }, false],
    [{ detail: { state: ['running'], missing: { inner: ['x'] } } }, false],
    [{ nothing: { here: [{ exists: false }] } }, true],
  ])('%j → %s', (pattern, expected) => {
    expect(matches(pattern as Pattern, event)).toBe(expected);
  });

  it('refuses a matcher it does not implement', () => {
    expect(() => matches({ source: [{ cidr: '10.0.0.0/8' }] }, event)).toThrow(/not supported/);
  });
});

describe('findings imported (autoRemediate)', () => {
  it.each(['finding-ec2.2-consolidated.json', 'finding-cis-4.3-legacy.json'])('matches the sample %s', (name) => {
    expect(matches(imported, example(name))).toBe(true);
  });

  it('matches the CIS 4.3 legacy finding on its per-standard ids alone (no consolidated id)', () => {
    const event = example('finding-cis-4.3-legacy.json');
    delete event.detail.findings[0].Compliance.SecurityControlId;
    expect(matches(imported, event)).toBe(true);
  });

  const oks = readdirSync(FIXTURES).filter((name) => name.startsWith('ok-'));
  it.each(oks)('matches every finding the parser accepts from an import: %s', (name) => {
    const event = fixture(name);
    if (event?.['detail-type'] !== 'Security Hub Findings - Imported') return;
    expect(parseRemediationInput(event).kind).toBe('target');
    expect(matches(imported, event)).toBe(true);
  });

  const changes: [string, (finding: Finding) => void][] = [
    [
      'another control',
      (f) => {
        f.Compliance.SecurityControlId = 'EC2.19';
        f.GeneratorId = 'security-control/EC2.19';
      },
    ],
    [
      'PASSED',
      (f) => {
        f.Compliance.Status = 'PASSED';
      },
    ],
    [
      'WARNING',
      (f) => {
        f.Compliance.Status = 'WARNING';
      },
    ],
    [
      'NOT_AVAILABLE',
      (f) => {
        f.Compliance.Status = 'NOT_AVAILABLE';
      },
    ],
    [
      'SUPPRESSED',
      (f) => {
        f.Workflow = { Status: 'SUPPRESSED' };
      },
    ],
    [
      'NOTIFIED',
      (f) => {
        f.Workflow = { Status: 'NOTIFIED' };
      },
    ],
    [
      'RESOLVED (the workflow’s own update)',
      (f) => {
        f.Workflow = { Status: 'RESOLVED' };
      },
    ],
    [
      'ARCHIVED',
      (f) => {
        f.RecordState = 'ARCHIVED';
      },
    ],
    [
      'from another product',
      (f) => {
        f.ProductArn = 'arn:aws:securityhub:us-east-1:444455556666:product/444455556666/default';
      },
    ],
    [
      'without a workflow status',
      (f) => {
        delete f.Workflow;
      },
    ],
  ];
  it.each(changes)('does not match a finding that is %s', (_, change) => {
    expect(matches(imported, consolidatedWith(change))).toBe(false);
  });
  it.each([
    'bad-other-control.json',
    'bad-cis-1.4.0-5.4.json',
    'bad-cis-3.0.0-5.3.json',
    'bad-unknown-standard-5.4.json',
    'bad-detail-type.json',
    'skip-archived.json',
    'skip-not-available.json',
    'skip-passed.json',
    'skip-resolved.json',
    'skip-suppressed.json',
    'skip-warning.json',
  ])('does not match the fixture %s', (name) => {
    expect(matches(imported, fixture(name))).toBe(false);
  });

  it('does not match a custom action event', () => {
    expect(matches(imported, example('finding-custom-action.json'))).toBe(false);
  });
});

describe('findings imported from the new Security Hub (OCSF, "Findings Imported V2")', () => {
  // Fixtures (test/fixtures/events/*-ocsf-*.json): the event envelope documented in
  // https://docs.aws.amazon.com/securityhub/latest/userguide/securityhub-v2-cwe-event-formats.html around an OCSF 1.6
  // Compliance Finding in the shape Security Hub emits for its controls (fields as in
  // https://docs.aws.amazon.com/securityhub/latest/userguide/securityhub-ocsf.html and API_OcsfFindingIdentifier;
  // EC2.2 values from the ASFF samples of this corpus). docs/decisions.md lists what is assumed.
  const oks = readdirSync(FIXTURES).filter((name) => name.startsWith('ok-ocsf-'));
  it('has OCSF fixtures', () => expect(oks.length).toBeGreaterThanOrEqual(4));

  it.each(oks.filter((name) => name !== 'ok-ocsf-in-progress.json'))(
    'matches every New finding the parser accepts: %s',
    (name) => {
      const event = fixture(name);
      expect(parseRemediationInput(event).kind).toBe('target');
      expect(matches(imported, event)).toBe(true);
    },
  );

  // What the pattern can see; the rest (account, Region, uid consistency) only the parser checks.
  it.each([
    'skip-ocsf-passed.json',
    'skip-ocsf-resolved.json',
    'skip-ocsf-suppressed.json',
    'skip-ocsf-warning.json',
    'skip-ocsf-unknown.json',
    'skip-ocsf-closed.json',
    'bad-ocsf-third-party-product.json',
    'bad-ocsf-other-control.json',
    'bad-ocsf-cis-1.4.0-5.4.json',
    'bad-ocsf-detection-finding.json',
    'bad-ocsf-asff-finding.json',
    'bad-ocsf-no-compliance-status.json',
  ])('does not match the fixture %s', (name) => {
    expect(matches(imported, fixture(name))).toBe(false);
  });

  it('does not match the workflow’s own update (status_id 4, Resolved) nor an In Progress finding', () => {
    const event = fixture('ok-ocsf-imported.json');
    event.detail.findings[0].status_id = 4;
    expect(matches(imported, event)).toBe(false);
    expect(matches(imported, fixture('ok-ocsf-in-progress.json'))).toBe(false);
  });

  it('does not match an ASFF finding under the V2 detail-type, nor an OCSF finding under the ASFF one', () => {
    const ocsf = fixture('ok-ocsf-imported.json');
    expect(matches(imported, { ...ocsf, 'detail-type': 'Security Hub Findings - Imported' })).toBe(false);
    const asff = example('finding-ec2.2-consolidated.json');
    expect(matches(imported, { ...asff, 'detail-type': 'Findings Imported V2' })).toBe(false);
  });
});

describe('custom actions', () => {
  const remediate = customActionPattern(REMEDIATE_ARN) as Pattern;
  const rollback = customActionPattern(ROLLBACK_ARN) as Pattern;
  const sample = example('finding-custom-action.json');

  it('the sample is the "Remediate EC2.2" action of this deployment', () => {
    expect(sample.resources).toEqual([REMEDIATE_ARN]);
    expect(sample['detail-type']).toBe(FINDINGS_CUSTOM_ACTION);
    expect(sample.detail.actionName).toBe(CUSTOM_ACTIONS.remediate.name);
  });

  it('"Remediate EC2.2" matches its own action only', () => {
    expect(matches(remediate, sample)).toBe(true);
    expect(matches(rollback, sample)).toBe(false);
  });

  it('"Roll back EC2.2" matches its own action only', () => {
    const event = { ...sample, resources: [ROLLBACK_ARN], detail: { ...sample.detail, actionName: 'Roll back EC2.2' } };
    expect(matches(rollback, event)).toBe(true);
    expect(matches(remediate, event)).toBe(false);
  });

  it('neither matches another action, another account’s action, or an imported finding', () => {
    for (const resources of [
      ['arn:aws:securityhub:us-east-1:111122223333:action/custom/SomethingElse'],
      ['arn:aws:securityhub:us-east-1:999999999999:action/custom/RemediateEC22'],
    ]) {
      expect(matches(remediate, { ...sample, resources })).toBe(false);
      expect(matches(rollback, { ...sample, resources })).toBe(false);
    }
    expect(matches(remediate, example('finding-ec2.2-consolidated.json'))).toBe(false);
  });
});

describe('the watcher (watch): EC2 calls recorded by CloudTrail', () => {
  const CLOUDTRAIL = join(import.meta.dirname, '..', 'fixtures', 'cloudtrail');
  const record = (name: string) => JSON.parse(readFileSync(join(CLOUDTRAIL, name), 'utf8'));
  const watch = WATCH_PATTERN as unknown as Pattern;

  // Every successful call that adds a rule to a group or puts a group on an interface reaches the watcher, whoever
  // made it and whichever group it names: the pattern cannot read tags, the watcher decides (test/unit/steps/watch).
  it.each([
    'authorize-ingress.json',
    'authorize-ingress-by-name.json',
    'authorize-egress.json',
    'authorize-referencing-default.json',
    'modify-security-group-rules.json',
    'modify-network-interface-attribute.json',
    'modify-network-interface-attribute-own-role.json',
    'modify-instance-attribute.json',
    'create-network-interface.json',
    'run-instances.json',
  ])('matches %s', (name) => {
    expect(matches(watch, record(name))).toBe(true);
  });

  it.each([
    ['a call EC2 refused (errorCode)', 'authorize-ingress-failed.json'],
    ['a revoke (it takes a rule away)', 'revoke-ingress.json'],
    ['a read', 'describe-security-groups.json'],
  ])('does not match %s', (_, name) => {
    expect(matches(watch, record(name))).toBe(false);
  });

  it('does not match the same call of another service, EC2’s own state-change events, or findings', () => {
    const elsewhere = record('authorize-ingress.json');
    elsewhere.source = 'aws.rds';
    elsewhere.detail.eventSource = 'rds.amazonaws.com';
    expect(matches(watch, elsewhere)).toBe(false);
    const stateChange = record('run-instances.json');
    stateChange['detail-type'] = 'EC2 Instance State-change Notification';
    expect(matches(watch, stateChange)).toBe(false);
    expect(matches(watch, example('finding-ec2.2-consolidated.json'))).toBe(false);
  });

  it('names every call the watcher handles, and only those; docs/deploy.md shows it for forwarding rules', () => {
    expect([...WATCH_PATTERN.detail.eventName].sort()).toEqual([...WATCHED_CALLS].sort());
    const deploy = readFileSync(join(import.meta.dirname, '..', '..', 'docs', 'deploy.md'), 'utf8');
    expect(deploy).toContain(JSON.stringify(WATCH_PATTERN));
  });
});
