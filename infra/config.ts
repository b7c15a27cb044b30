/**
 * The deployment's configuration: CDK context values (`cdk.json` or `-c key=value`), validated with zod.
 *
 * `-c` values arrive as strings, `cdk.json` values with their JSON types: both are accepted (`-c autoRemediate=true`
 * and `"autoRemediate": true` mean the same). A bad value stops the synth with one line per problem, naming the key.
 * The defaults are documented in docs/deploy.md (keep the two in step: test/infra/config.test.ts checks the table).
 */
import * as z from 'zod';
import { MAX_EXECUTION_SECONDS } from '../handlers/core/durations.ts';
import { DEFAULT_AUDIT_REGIONS, MAX_AUDIT_ACCOUNTS, MAX_AUDIT_REGIONS } from '../handlers/steps/audit.ts';
import { DEFAULT_RUN_ALLOWANCE_SECONDS } from '../handlers/steps/deps.ts';
import { BUCKET_NAME as FLOW_LOG_BUCKET_NAME } from './flow-logs-policy.ts';
import { MEMBER_ROLE_PREFIX_MAX } from './steps.ts';

/** Retention periods CloudWatch Logs accepts, in days. */
export const LOG_RETENTION_DAYS = [
  1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
] as const;

const UNIT_SECONDS = { minute: 60, hour: 3600, day: 86400 } as const;

/** "72 hours", "3 days", "90 minutes" (singular or plural) → seconds. */
export function parseDuration(text: string): number | undefined {
  const match = /^\s*(\d{1,6})\s*(minute|hour|day)s?\s*$/i.exec(text);
  if (!match) return undefined;
  const unit = (match[2] ?? '').toLowerCase() as keyof typeof UNIT_SECONDS;
  return Number(match[1]) * UNIT_SECONDS[unit];
}

const flag = z.union([
  z.boolean(),
  z.enum(['true', 'false', 'yes', 'no', '1', '0', '']).transform((value) => ['true', 'yes', '1'].includes(value)),
]);

const integer = (min: number, max: number) =>
  z
    .union([z.number(), z.string().regex(/^\d+$/, 'must be a whole number').transform(Number)])
    .pipe(
      z.number().int('must be a whole number').min(min, `must be at least ${min}`).max(max, `must be at most ${max}`),
    );

/**
 * Shorter than 5 minutes leaves no time to read the mail. A Standard execution runs for at most one year
 * (https://docs.aws.amazon.com/step-functions/latest/dg/service-quotas.html), and the wait shares it with the run
 * (migration, strip, a rollback: the run allowance), so the wait is at most a year less that allowance. The lock lives
 * for the wait plus the allowance (handlers/steps/deps.ts `lockLifetimeSeconds`), so it always outlives the run.
 */
const MIN_APPROVAL_SECONDS = 5 * 60;
export const MAX_APPROVAL_SECONDS = MAX_EXECUTION_SECONDS - DEFAULT_RUN_ALLOWANCE_SECONDS;

/** A comma-separated list (`-c`) or a JSON array (`cdk.json`), each item matching `pattern`; duplicates folded. */
const list = (pattern: RegExp, what: string, max: number) =>
  z
    .union([z.array(z.string()), z.string().transform((text) => (text.trim() === '' ? [] : text.split(',')))])
    .transform((items) => [...new Set(items.map((item) => item.trim()))])
    .pipe(z.array(z.string().regex(pattern, `each must be ${what}`)).max(max, `at most ${max}`));

/**
 * An EventBridge schedule expression, `rate(N unit)` or `cron(…)` with six fields
 * (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-scheduled-rule-pattern.html); empty: on demand only.
 */
const SCHEDULE = /^(rate\(\d{1,5} (minute|minutes|hour|hours|day|days)\)|cron\(\S+( \S+){5}\))$/;

export const configSchema = z.object({
  /** Who gets the approval requests and notices. Empty: no subscription (subscribe to the topic yourself). */
  notificationEmail: z
    .string()
    .trim()
    .default('')
    .pipe(z.union([z.literal(''), z.email('must be an email address')])),
  /** Start a remediation for every new FAILED EC2.2 finding. Off: only the "Remediate EC2.2" custom action starts one. */
  autoRemediate: flag.default(false),
  /**
   * Deploy the watcher's EventBridge rule: EC2 calls recorded by CloudTrail that add a rule to a stripped default group
   * or put something on it are reported to the topic (needs a CloudTrail trail with management events).
   */
  watch: flag.default(false),
  /** How long a remediation waits for its approval before everything is put back ("N minutes|hours|days"). */
  approvalTimeout: z
    .string()
    .default('72 hours')
    .transform((text, context) => {
      const seconds = parseDuration(text);
      if (seconds === undefined) {
        context.addIssue({ code: 'custom', message: `"${text}" is not "N minutes", "N hours" or "N days"` });
        return z.NEVER;
      }
      if (seconds < MIN_APPROVAL_SECONDS || seconds > MAX_APPROVAL_SECONDS) {
        context.addIssue({
          code: 'custom',
          message: `"${text}" must be between 5 minutes and ${MAX_APPROVAL_SECONDS / 86400} days (the wait and the run must fit in Step Functions' one-year execution limit)`,
        });
        return z.NEVER;
      }
      return { text: text.trim(), seconds };
    }),
  /**
   * The prefix of the roles the handlers assume in member accounts, `<memberRoleName>-<Step>` (MemberRoleStack creates
   * them): short enough for the longest step name within IAM's 64 characters.
   */
  memberRoleName: z
    .string()
    .regex(
      new RegExp(`^[\\w+=,.@-]{1,${MEMBER_ROLE_PREFIX_MAX}}$`),
      `must be an IAM role name prefix (1–${MEMBER_ROLE_PREFIX_MAX} of letters, digits and +=,.@_-: "-<Step>" is added)`,
    )
    .default('DefaultSgRemediationMember'),
  /** `always` wait for a person; `when-in-use`: a group nothing uses or references is stripped without waiting. */
  approval: z.enum(['always', 'when-in-use']).default('always'),
  /**
   * The batch window of approval digests, in minutes (docs/decisions.md, "One decision per batch"): the approval
   * requests and outcomes of one window go out as one notice. 0: each run mails its own at once, no digest sender.
   */
  approvalDigestMinutes: integer(0, 60).default(5),
  /** A tag (key) on a VPC or on its default group that opts it out of remediation. */
  excludeTag: z
    .string()
    .min(1)
    .max(128)
    .regex(/^(?!aws:)[\p{L}\p{Z}\p{N}_.:/=+\-@]+$/u, 'must be a tag key (not starting with "aws:")')
    .default('default-sg-remediation:exclude'),
  /** AWS Organizations id: the member role trusts only principals of this organization (`aws:PrincipalOrgID`). */
  organizationId: z
    .string()
    .regex(/^o-[a-z0-9]{10,32}$/, 'must be an organization id (o-…)')
    .optional()
    .or(z.literal('').transform(() => undefined)),
  /** External id the handlers present when they assume the member role (`sts:ExternalId`). */
  externalId: z
    .string()
    .regex(/^[\w+=,.@:/-]{2,1224}$/, 'must be 2–1224 of letters, digits and +=,.@:/_-')
    .optional()
    .or(z.literal('').transform(() => undefined)),
  /** How long a rollback link in a completion notice stays usable. */
  linkExpiryDays: integer(1, 365).default(30),
  /** Retention of every log group of the stack (Lambda, state machines, HTTP API access logs). */
  logRetentionDays: integer(1, 3653)
    .refine((days) => (LOG_RETENTION_DAYS as readonly number[]).includes(days), {
      message: `must be one of ${LOG_RETENTION_DAYS.join(', ')}`,
    })
    .default(365),
  /**
   * Reserved concurrency of each function that changes EC2 (create, authorize, revoke, move, delete): caps how many
   * run at once, so a burst of findings cannot exhaust the account's EC2 API rate budget. 0: no reservation (for
   * accounts whose Lambda concurrency quota is too small to reserve any).
   */
  mutatingConcurrency: integer(0, 100).default(2),
  /**
   * Percent of each EC2 API token bucket's refill rate the time budgets (run allowance, rollback timeout) count on
   * being left to one remediation (PACING_SHARE of the functions). The pacer itself adapts to what the account leaves
   * free (docs/decisions.md "Adaptive pacing").
   */
  pacingPercent: integer(1, 100).default(50),
  /**
   * The buckets the tighten workflow reads flow logs from (infra/flow-logs-policy.ts): a central logging bucket, in
   * whatever account. Empty (the default): any bucket of the account whose logs are read (`s3:ResourceAccount`).
   * A list in cdk.json, or comma-separated with `-c`.
   */
  flowLogBuckets: z
    .union([
      z.array(z.string()),
      z.string().transform((text) =>
        text
          .split(',')
          .map((name) => name.trim())
          .filter((name) => name !== ''),
      ),
    ])
    .pipe(z.array(z.string().regex(FLOW_LOG_BUCKET_NAME, 'must be S3 bucket names (3–63 of a-z, 0-9, . and -)')))
    .default([]),
  /**
   * Deploy the organization audit state machine (state-machine/audit.asl.json): every default group of the accounts ×
   * regions below, read through the `<memberRoleName>-AuditAccounts` member role, the report written to the snapshot
   * bucket (`audits/<execution>/`) with one summary notice.
   */
  audit: flag.default(false),
  /** When the audit runs by itself (an EventBridge schedule expression); empty: only when started. */
  auditSchedule: z
    .string()
    .trim()
    .default('')
    .pipe(z.union([z.literal(''), z.string().regex(SCHEDULE, 'must be rate(N minutes|hours|days) or cron(6 fields)')])),
  /** The accounts a scheduled audit reads; empty: this account only (an on-demand run names its own). */
  auditAccounts: list(/^\d{12}$/, 'a 12-digit account id', MAX_AUDIT_ACCOUNTS).default([]),
  /**
   * A scheduled audit reads every ACTIVE account of the organization, listed when it runs (Organizations
   * ListAccounts: deploy in the management account or a delegated administrator); instead of `auditAccounts`.
   */
  auditOrganization: flag.default(false),
  /** The regions a scheduled audit reads: by default the 17 enabled in every account. */
  auditRegions: list(
    /^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d{1,2}$/,
    'a region like us-east-1',
    MAX_AUDIT_REGIONS,
  ).default([...DEFAULT_AUDIT_REGIONS]),
});

export type Config = z.infer<typeof configSchema>;

export const CONTEXT_KEYS = Object.keys(configSchema.shape) as (keyof typeof configSchema.shape)[];

/** A configuration the app refuses; the message lists every problem, one per line. */
export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid CDK context:\n${problems.map((problem) => `  - ${problem}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/** Reads and validates the configuration from a context lookup (e.g. `(key) => app.node.tryGetContext(key)`). */
export function loadConfig(context: (key: string) => unknown): Config {
  const raw: Record<string, unknown> = {};
  for (const key of CONTEXT_KEYS) {
    const value = context(key);
    if (value !== undefined && value !== null) raw[key] = value;
  }
  const result = configSchema.safeParse(raw);
  if (!result.success) {
    throw new ConfigError(result.error.issues.map((issue) => `${issue.path.join('.') || 'context'}: ${issue.message}`));
  }
  const auditOnly = (['auditSchedule', 'auditAccounts', 'auditOrganization'] as const).filter((key) => {
    const value = result.data[key];
    return raw[key] !== undefined && (typeof value === 'boolean' ? value : value.length > 0);
  });
  if (!result.data.audit && auditOnly.length > 0)
    throw new ConfigError(auditOnly.map((key) => `${key}: is read only with audit=true (the audit is off)`));
  if (result.data.auditOrganization && result.data.auditAccounts.length > 0)
    throw new ConfigError(['auditAccounts: leave it out with auditOrganization=true (the organization names them)']);
  return result.data;
}
