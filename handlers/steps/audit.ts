/**
 * The organization audit: every VPC default group of every account × region in scope, read as Discover reads it and
 * judged by the planner, so the audit and a remediation never disagree about a group. Read-only.
 *
 * The same per-place audit runs from the command line (`plan --all-regions`, cli/org.ts) and in the deployed audit
 * state machine (`state-machine/audit.asl.json`), whose four Tasks are the steps at the end of this module: check the
 * scope, audit one batch of accounts (its regions side by side, each account/region's calls one after the other and
 * paced under its own EC2 buckets), gather the batches' parts from the store into the report, send the summary.
 * Results travel by reference (`audits/<id>/parts/<batch>.json`), never through the execution's state: 17,000 groups
 * are megabytes, the state's payload limit 256 KiB.
 */
import * as z from 'zod';
import {
  AUDIT_STATUSES,
  type AuditedGroup,
  type AuditResult,
  type AuditStatus,
  type Place,
  summarizeAudit,
} from '../core/audit.ts';
import { InvalidInputError } from '../core/errors.ts';
import { cleanSubject, composeNotice } from '../core/notices.ts';
import { type Inventory, type Plan, planRemediation } from '../core/plan.ts';
import { renderAuditCsv } from '../core/report/csv.ts';
import { renderAuditHtml } from '../core/report/html.ts';
import type { Ec2Port, ServiceQuotasPort, ServicesPort } from '../ports.ts';
import { parseInput } from './common.ts';
import type { Deps, Settings } from './deps.ts';
import { readInventory } from './discover.ts';
import { describeGroups } from './ec2-ops.ts';
import { type Pace, pacer } from './pacing.ts';

/**
 * The audit's share of each describe bucket's refill per account and region: a quarter (5 of the 20 calls/s of
 * https://docs.aws.amazon.com/ec2/latest/devguide/ec2-api-throttling.html), so the customer's automation keeps the rest.
 */
export const AUDIT_PACING_SHARE = 0.25;

/**
 * The audit status of a default group from what Discover reads and what the planner decides. Opt-out, compliant
 * and blocked are the planner's; a ready plan is `in use` when interfaces or resources (an idle function, a launch
 * template) use the group or any rule elsewhere
 * references it (even without members: stripping alone would be safe then, but the group is not unused), else `empty`.
 */
export function auditStatusOf(inventory: Inventory, plan: Plan): { status: AuditStatus; reasons: string[] } {
  if (plan.status === 'excluded') return { status: 'excluded', reasons: plan.reasons };
  if (plan.status === 'compliant') return { status: 'compliant', reasons: [] };
  if (plan.status === 'blocked') return { status: 'blocked', reasons: plan.reasons };
  const used =
    plan.replacementNeeded ||
    inventory.members.length > 0 ||
    inventory.referencingGroups.length > 0 ||
    inventory.unreachableReferences.length > 0;
  return { status: used ? 'in use' : 'empty', reasons: [] };
}

/** The EC2 error code and message, short: what an operator needs to see why a place was not reached. */
export function reasonOf(error: unknown): string {
  const failure = error instanceof Error ? error : new Error(String(error));
  if (failure instanceof InvalidInputError) return failure.reasons.join(' ');
  const message = failure.message.replace(/\s+/g, ' ').trim().slice(0, 300);
  // SDK errors already name their code in the message (handlers/adapters/aws/sdk-errors.ts).
  return failure.name && failure.name !== 'Error' && !message.includes(failure.name)
    ? `${failure.name}: ${message}`
    : message;
}

/** Every call to the port waits for the pacer of its action's token bucket first. */
export function pacedPort(ec2: Ec2Port, pace: Pace): Ec2Port {
  return new Proxy(ec2, {
    get(target, property, receiver) {
      const value = Reflect.get(target, property, receiver);
      if (typeof value !== 'function') return value;
      return async (input: unknown) => {
        await pace(String(property).replace(/^./, (first) => first.toUpperCase()));
        return value.call(target, input);
      };
    },
  });
}

export interface PlacePorts {
  ec2: Ec2Port;
  services: ServicesPort;
  serviceQuotas: ServiceQuotasPort;
}

/** One default group, read as Discover reads it (VPC tags included, for the opt-out tag) and judged by the planner. */
export async function auditGroup(
  ec2: Ec2Port,
  ports: Omit<PlacePorts, 'ec2'>,
  place: Place,
  groupId: string,
  settings: Settings,
): Promise<AuditedGroup> {
  // With the services, requester-managed members are judged as Discover judges them: their owner can move, or not;
  // with Service Quotas, rules are counted against the account's quotas.
  const inventory = await readInventory(
    ec2,
    { ...place, groupId },
    { vpcTags: Boolean(settings.excludeTag), ...ports },
  );
  const plan = planRemediation(inventory, {
    remediationId: 'audit',
    batchSize: settings.batchSize,
    excludeTag: settings.excludeTag,
  });
  const { status, reasons } = auditStatusOf(inventory, plan);
  return {
    ...place,
    vpcId: inventory.vpcId,
    groupId,
    status,
    members: inventory.members.length,
    references: inventory.referencingGroups.length + inventory.unreachableReferences.length,
    rules: plan.defaultRules.length,
    reasons,
  };
}

/** Runs `work` over `items` with at most `limit` at once, keeping the items' order in the answer. */
export async function mapBounded<T, R>(items: T[], limit: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await work(items[index] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  return results;
}

/** The default groups of one account and region (`group-name=default`, paginated). */
export async function defaultGroupIds(ec2: Ec2Port): Promise<string[]> {
  const groups = await describeGroups(ec2, [{ Name: 'group-name', Values: ['default'] }]);
  return groups.flatMap((group) => (group.GroupId && group.VpcId ? [group.GroupId] : []));
}

/** A row for a place (or one of its groups) that could not be read, with why. */
export function unreachableRow(place: Place, reason: string, groupId?: string): AuditedGroup {
  return {
    accountId: place.accountId,
    region: place.region,
    ...(groupId ? { groupId } : {}),
    status: 'unreachable',
    members: 0,
    references: 0,
    rules: 0,
    reasons: [reason],
  };
}

/**
 * Every default group of one account and region, its calls one after the other and paced (`connect` paces the EC2
 * port). A place that cannot be read (the member role cannot be assumed, the region is not enabled) is one
 * `unreachable` row; one group that cannot be read does not hide the others.
 */
export async function auditPlace(connect: () => PlacePorts, place: Place, settings: Settings): Promise<AuditedGroup[]> {
  try {
    const ports = connect();
    const rows: AuditedGroup[] = [];
    for (const groupId of await defaultGroupIds(ports.ec2)) {
      try {
        rows.push(await auditGroup(ports.ec2, ports, place, groupId, settings));
      } catch (error) {
        rows.push(unreachableRow(place, reasonOf(error), groupId));
      }
    }
    return rows;
  } catch (error) {
    return [unreachableRow(place, reasonOf(error))];
  }
}

export function byLocation(a: AuditedGroup, b: AuditedGroup): number {
  return (
    a.accountId.localeCompare(b.accountId) ||
    a.region.localeCompare(b.region) ||
    (a.vpcId ?? '').localeCompare(b.vpcId ?? '') ||
    (a.groupId ?? '').localeCompare(b.groupId ?? '')
  );
}

// -----------------------------------------------------------------------------------------------------------------
// The audit state machine's steps

/**
 * Iterations of the audit's inline Map at most. Each costs about 7 history events (iteration start and end, state
 * entered and exited, Lambda scheduled, started, succeeded), so 2,000 stay well under Step Functions' 25,000 events per
 * execution with room for retries (https://docs.aws.amazon.com/step-functions/latest/dg/service-quotas.html).
 */
export const MAX_AUDIT_BATCHES = 2000;
/** Accounts per audit at most: their ids travel in the state (15 bytes each, 150 KB here, under 256 KiB). */
export const MAX_AUDIT_ACCOUNTS = 10_000;
/**
 * The 17 commercial regions enabled by default in every account (the others are opt-in:
 * https://docs.aws.amazon.com/accounts/latest/reference/manage-acct-regions.html): the audit's regions unless the
 * deployment names others.
 */
export const DEFAULT_AUDIT_REGIONS: readonly string[] = [
  'ap-northeast-1',
  'ap-northeast-2',
  'ap-northeast-3',
  'ap-south-1',
  'ap-southeast-1',
  'ap-southeast-2',
  'ca-central-1',
  'eu-central-1',
  'eu-north-1',
  'eu-west-1',
  'eu-west-2',
  'eu-west-3',
  'sa-east-1',
  'us-east-1',
  'us-east-2',
  'us-west-1',
  'us-west-2',
];
/** Regions per audit at most (AWS has fewer than 40 commercial regions). */
export const MAX_AUDIT_REGIONS = 40;
/**
 * Account/region pairs one batch's function audits side by side: each pair's calls stay one after the other, paced
 * under that pair's own buckets, so pairs never compete; 20 covers every enabled region of one account at once.
 */
export const PLACES_AT_ONCE = 20;
/** Batches' parts the report reads side by side. */
const PARTS_AT_ONCE = 16;

const ACCOUNT_ID = /^\d{12}$/;
const REGION = /^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d{1,2}$/;
/** An audit id is its execution's name (1–80 letters, digits, `-`, `_`): it keys the audit's objects. */
const auditIdSchema = z.string().regex(/^[A-Za-z0-9_-]{1,80}$/, 'an audit id is 1–80 letters, digits, "-" or "_"');

export function auditPartKey(auditId: string, batch: number | '*'): string {
  return `audits/${auditId}/parts/${batch}.json`;
}

export type AuditReportFormat = 'json' | 'csv' | 'html';

export function auditReportKey(auditId: string, format: AuditReportFormat | '*'): string {
  return `audits/${auditId}/report.${format}`;
}

const accountsSchema = z.array(z.string().regex(ACCOUNT_ID, 'must be a 12-digit account id'));
const regionsSchema = z
  .array(z.string().regex(REGION, 'must be a region like us-east-1'))
  .min(1)
  .max(MAX_AUDIT_REGIONS);

const scopeSchema = z.object({
  auditId: auditIdSchema,
  scope: z.object({
    /** The accounts, or "organization": every ACTIVE account of the deployment's organization, listed at run time. */
    accounts: z.union([accountsSchema.min(1).max(MAX_AUDIT_ACCOUNTS), z.literal('organization')]),
    regions: regionsSchema,
  }),
});

export interface AuditScope {
  auditId: string;
  regions: string[];
  /** The accounts, cut into batches: one Map iteration, one function invocation each. */
  batches: string[][];
}

/**
 * "Check the audit's scope": the execution's input names the accounts and regions (the schedule's, from the
 * deployment's configuration, or an on-demand run's own); each once and sorted, the accounts cut into batches — one
 * account per batch up to {@link MAX_AUDIT_BATCHES} accounts, more per batch beyond, so that the Map stays within the
 * history limit. The batches are all the state carries: 10,000 accounts are about 160 KB of it.
 */
export async function checkAuditScope(raw: unknown, deps: Deps): Promise<AuditScope> {
  const input = parseInput(scopeSchema, raw);
  const named = input.scope.accounts === 'organization' ? await organizationAccounts(deps) : input.scope.accounts;
  const accounts = [...new Set(named)].sort();
  const regions = [...new Set(input.scope.regions)].sort();
  const batchSize = Math.ceil(accounts.length / MAX_AUDIT_BATCHES);
  const batches = Array.from({ length: Math.ceil(accounts.length / batchSize) }, (_, batch) =>
    accounts.slice(batch * batchSize, (batch + 1) * batchSize),
  );
  return { auditId: input.auditId, regions, batches };
}

/** The organization's active accounts, as many as the audit takes: more is refused, not cut (a silent cut hides some). */
async function organizationAccounts(deps: Deps): Promise<string[]> {
  const accounts = await deps.organization().activeAccounts();
  if (accounts.length === 0) throw new InvalidInputError(['scope.accounts: the organization has no ACTIVE account']);
  if (accounts.length > MAX_AUDIT_ACCOUNTS)
    throw new InvalidInputError([
      `scope.accounts: the organization has ${accounts.length} ACTIVE accounts, more than the ${MAX_AUDIT_ACCOUNTS} one audit takes; name them in several audits`,
    ]);
  return accounts;
}

const batchSchema = z.object({
  auditId: auditIdSchema,
  batch: z
    .number()
    .int()
    .min(0)
    .max(MAX_AUDIT_BATCHES - 1),
  accounts: accountsSchema.min(1).max(Math.ceil(MAX_AUDIT_ACCOUNTS / MAX_AUDIT_BATCHES)),
  regions: regionsSchema,
});

/** What a batch leaves in the store for the report. */
interface AuditPart {
  batch: number;
  accounts: string[];
  groups: AuditedGroup[];
}

/**
 * "Audit one batch of accounts": every account × region of the batch, through the member role of each account
 * (`deps.ec2` assumes it), side by side up to {@link PLACES_AT_ONCE}, each pair paced at {@link AUDIT_PACING_SHARE} of
 * its own describe buckets. Writes the rows to the store and answers only counts.
 */
export async function auditAccounts(
  raw: unknown,
  deps: Deps,
): Promise<{ batch: number; places: number; groups: number; unreachable: number }> {
  const input = parseInput(batchSchema, raw);
  const places = input.accounts.flatMap((accountId) => input.regions.map((region): Place => ({ accountId, region })));
  const perPlace = await mapBounded(places, PLACES_AT_ONCE, (place) =>
    auditPlace(
      () => ({
        ec2: pacedPort(deps.ec2(place), pacer(deps.clock, AUDIT_PACING_SHARE)),
        services: deps.services(place),
        serviceQuotas: deps.serviceQuotas(place),
      }),
      place,
      deps.settings,
    ),
  );
  const groups = perPlace.flat();
  const part: AuditPart = { batch: input.batch, accounts: input.accounts, groups };
  await deps.store.put(auditPartKey(input.auditId, input.batch), JSON.stringify(part));
  return {
    batch: input.batch,
    places: places.length,
    groups: groups.filter((row) => row.groupId).length,
    unreachable: groups.filter((row) => row.status === 'unreachable').length,
  };
}

const reportSchema = z.object({
  auditId: auditIdSchema,
  regions: regionsSchema,
  batches: z.array(accountsSchema.min(1)).min(1).max(MAX_AUDIT_BATCHES),
});

/** The report as stored in JSON: when, the counts, every row. */
export interface AuditReport extends AuditResult {
  auditId: string;
  generatedAt: string;
}

/** The report's formats besides JSON, each rendered from the same result (handlers/core/report/). */
const RENDERERS: [Exclude<AuditReportFormat, 'json'>, (report: AuditReport) => string][] = [
  ['csv', (report) => renderAuditCsv(report)],
  ['html', (report) => renderAuditHtml(report, { generatedAt: new Date(report.generatedAt) })],
];

/**
 * "Write the audit report": reads every batch's part (a batch whose part is missing — its function failed after
 * its retries — is reported as unreachable, account by account), sorts the rows and writes the report in each format.
 * Answers the counts and the report's keys, not the rows.
 */
export async function reportAudit(
  raw: unknown,
  deps: Deps,
): Promise<{ auditId: string; summary: AuditReport['summary']; reports: Partial<Record<AuditReportFormat, string>> }> {
  const input = parseInput(reportSchema, raw);
  const batches = input.batches.map((accounts, batch) => ({ accounts, batch }));
  const parts = await mapBounded(batches, PARTS_AT_ONCE, async ({ accounts, batch }) => {
    const text = await deps.store.get(auditPartKey(input.auditId, batch));
    if (text !== undefined) return (JSON.parse(text) as AuditPart).groups;
    const reason = `The audit of batch ${batch} did not finish (its function failed after every retry; see the execution's history).`;
    return accounts.flatMap((accountId) =>
      input.regions.map((region) => unreachableRow({ accountId, region }, reason)),
    );
  });
  const groups = parts.flat().sort(byLocation);
  const report: AuditReport = {
    auditId: input.auditId,
    generatedAt: deps.now().toISOString(),
    groups,
    summary: summarizeAudit(groups),
  };
  const reports: Partial<Record<AuditReportFormat, string>> = { json: auditReportKey(input.auditId, 'json') };
  await deps.store.put(reports.json as string, JSON.stringify(report));
  for (const [format, render] of RENDERERS) {
    reports[format] = auditReportKey(input.auditId, format);
    await deps.store.put(reports[format] as string, render(report));
  }
  return { auditId: input.auditId, summary: report.summary, reports };
}

const count = z.number().int().min(0);
const summarySchema = z.object({
  auditId: auditIdSchema,
  summary: z.object({
    accounts: count,
    regions: count,
    groups: count,
    'in use': count,
    empty: count,
    compliant: count,
    blocked: count,
    excluded: count,
    unreachable: count,
  }) satisfies z.ZodType<AuditReport['summary']>,
  reports: z.partialRecord(
    z.enum(['json', 'csv', 'html']),
    z.string().regex(/^audits\/[A-Za-z0-9_-]{1,80}\/report\.(json|csv|html)$/),
  ),
});

const failedSchema = z.object({
  auditId: auditIdSchema,
  error: z.object({ Error: z.string().max(256).optional(), Cause: z.string().optional() }),
});

/**
 * "Send the audit summary": one short notice for the whole audit — counts by status and where the report is — or,
 * when the audit could not finish, that it failed and under which error name. Only numbers, this deployment's own keys
 * and Step Functions' error name: nothing read from the accounts (names, tags, reasons) goes into it.
 */
export async function notifyAudit(raw: unknown, deps: Deps): Promise<{ sent: true }> {
  if (typeof raw === 'object' && raw !== null && 'error' in raw) {
    const failed = parseInput(failedSchema, raw);
    const name = (failed.error.Error ?? 'Error').replace(/[^\w.-]/g, '').slice(0, 80) || 'Error';
    await deps.notifier.publish({
      subject: cleanSubject('EC2.2 organization audit failed'),
      message: composeNotice({
        head: [
          `Organization audit ${failed.auditId} failed (${name}): no report was written.`,
          "The execution's history in the Step Functions console says where it stopped.",
        ],
        body: [],
        where: "the execution's history",
      }),
    });
    return { sent: true };
  }
  const input = parseInput(summarySchema, raw);
  const summary = input.summary;
  const needAction = summary.empty + summary['in use'] + summary.blocked;
  const head = [
    `Organization audit ${input.auditId}: ${summary.groups} VPC default group(s) in ${summary.accounts} account(s) and ${summary.regions} region(s); ${needAction} fail EC2.2.`,
    `The report is in the snapshot bucket: ${Object.values(input.reports).join(', ')}.`,
  ];
  const body = [
    '',
    'By status:',
    ...AUDIT_STATUSES.map((status) => `  - ${status}: ${summary[status]}`),
    '',
    'empty: nothing uses the group, stripping it changes no traffic; in use: a remediation moves its members first;',
    'blocked: a remediation would refuse it (the report says why); unreachable: the account/region could not be read.',
  ];
  await deps.notifier.publish({
    subject: cleanSubject(`EC2.2 organization audit: ${needAction} of ${summary.groups} default groups fail`),
    message: composeNotice({ head, body, where: 'the report' }),
  });
  return { sent: true };
}

export const auditSteps = {
  CheckAuditScope: checkAuditScope,
  AuditAccounts: auditAccounts,
  ReportAudit: reportAudit,
  NotifyAudit: notifyAudit,
} satisfies Record<string, (input: unknown, deps: Deps) => Promise<unknown>>;

export type AuditStepName = keyof typeof auditSteps;

export function isAuditStepName(name: string): name is AuditStepName {
  return Object.hasOwn(auditSteps, name);
}
