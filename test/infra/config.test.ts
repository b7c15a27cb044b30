/** The CDK context: defaults, string values from `-c`, and clear errors for bad values. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { DEFAULT_AUDIT_REGIONS } from '../../handlers/steps/audit.ts';
import { DEFAULT_RUN_ALLOWANCE_SECONDS, lockLifetimeSeconds } from '../../handlers/steps/deps.ts';
import { CONTEXT_KEYS, ConfigError, loadConfig, parseDuration } from '../../infra/config.ts';

const load = (context: Record<string, unknown>) => loadConfig((key) => context[key]);

describe('the configuration', () => {
  it('has documented defaults', () => {
    expect(load({})).toEqual({
      notificationEmail: '',
      autoRemediate: false,
      watch: false,
      approvalTimeout: { text: '72 hours', seconds: 72 * 3600 },
      memberRoleName: 'DefaultSgRemediationMember',
      approval: 'always',
      approvalDigestMinutes: 5,
      excludeTag: 'default-sg-remediation:exclude',
      linkExpiryDays: 30,
      logRetentionDays: 365,
      mutatingConcurrency: 2,
      pacingPercent: 50,
      flowLogBuckets: [],
      audit: false,
      auditSchedule: '',
      auditAccounts: [],
      auditOrganization: false,
      auditRegions: [...DEFAULT_AUDIT_REGIONS],
    });
    const deploy = readFileSync('docs/deploy.md', 'utf8');
    for (const key of CONTEXT_KEYS) expect(deploy, key).toContain(`\`${key}\``);
  });

  it('reads -c strings as cdk.json values', () => {
    const config = load({
      notificationEmail: 'secops@example.com',
      autoRemediate: 'true',
      approvalTimeout: '3 days',
      approval: 'when-in-use',
      organizationId: 'o-abcdefghij',
      externalId: 'ext-123',
      linkExpiryDays: '7',
      logRetentionDays: '90',
      mutatingConcurrency: '0',
    });
    expect(config).toMatchObject({
      notificationEmail: 'secops@example.com',
      autoRemediate: true,
      approvalTimeout: { seconds: 3 * 86400 },
      approval: 'when-in-use',
      organizationId: 'o-abcdefghij',
      externalId: 'ext-123',
      linkExpiryDays: 7,
      logRetentionDays: 90,
      mutatingConcurrency: 0,
    });
    expect(load({ autoRemediate: false, organizationId: '', externalId: '' })).toMatchObject({
      autoRemediate: false,
      organizationId: undefined,
      externalId: undefined,
    });
  });

  it.each([
    ['90 minutes', 5400],
    ['1 hour', 3600],
    ['72 hours', 259200],
    ['2 Days', 172800],
    ['72h', undefined],
    ['soon', undefined],
  ])('reads the duration %s', (text, seconds) => {
    expect(parseDuration(text)).toBe(seconds);
  });

  it('keeps the member role prefix short enough for "-<Step>" within IAM’s 64 characters', () => {
    // The longest step that calls a member account is CreateReplacement / RemoveReplacement (17 characters).
    expect(load({ memberRoleName: 'x'.repeat(46) }).memberRoleName).toHaveLength(46);
    expect(() => load({ memberRoleName: 'x'.repeat(47) })).toThrow(/memberRoleName: .*1–46/);
  });

  it('refuses an approval wait that, with the run, would outlast an execution (one year); the lock outlives both', () => {
    expect(load({ approvalTimeout: '363 days' }).approvalTimeout.seconds).toBe(363 * 86400);
    expect(() => load({ approvalTimeout: '364 days' })).toThrow(
      /approvalTimeout: "364 days" must be between 5 minutes and 363 days/,
    );
    expect(() => load({ approvalTimeout: '365 days' })).toThrow(ConfigError);
    // What the functions then derive: the lock lives for the wait plus the run allowance, within the year.
    const approvalTimeoutSeconds = load({ approvalTimeout: '363 days' }).approvalTimeout.seconds;
    const lock = lockLifetimeSeconds({ approvalTimeoutSeconds, runAllowanceSeconds: DEFAULT_RUN_ALLOWANCE_SECONDS });
    expect(lock).toBeGreaterThan(approvalTimeoutSeconds);
    expect(lock).toBeLessThanOrEqual(365 * 86400);
  });

  it('reads flowLogBuckets from a cdk.json list or a comma-separated -c value, and refuses what is not a bucket name', () => {
    expect(load({ flowLogBuckets: 'central-flow-logs, org.logs' }).flowLogBuckets).toEqual([
      'central-flow-logs',
      'org.logs',
    ]);
    expect(load({ flowLogBuckets: ['central-flow-logs'] }).flowLogBuckets).toEqual(['central-flow-logs']);
    expect(load({ flowLogBuckets: '' }).flowLogBuckets).toEqual([]);
    expect(() => load({ flowLogBuckets: 'Central_Logs' })).toThrow(/flowLogBuckets\.0: must be S3 bucket names/);
    expect(() => load({ flowLogBuckets: 's3://central-flow-logs' })).toThrow(/flowLogBuckets/);
  });

  it('refuses bad values with one line per problem, naming the key', () => {
    let error: unknown;
    try {
      load({
        notificationEmail: 'not-an-email',
        autoRemediate: 'maybe',
        approvalTimeout: '2 minutes',
        approval: 'sometimes',
        memberRoleName: 'bad name!',
        organizationId: 'org-1',
        logRetentionDays: 42,
        linkExpiryDays: 0,
      });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const problems = (error as ConfigError).problems.map((problem) => problem.split(':')[0]);
    expect(problems.sort()).toEqual(
      [
        'approval',
        'approvalTimeout',
        'autoRemediate',
        'linkExpiryDays',
        'logRetentionDays',
        'memberRoleName',
        'notificationEmail',
        'organizationId',
      ].sort(),
    );
    expect((error as Error).message).toMatch(/^Invalid CDK context:\n {2}- /);
  });
});
