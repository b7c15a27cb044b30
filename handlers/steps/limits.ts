/**
 * The account's security group quotas and the sizes of the prefix lists a plan's groups reference, read so that the
 * planner counts rules as EC2 counts them (core/quotas.ts).
 */
import type { ManagedPrefixList } from '../core/ec2-shapes.ts';
import { errorCode } from '../core/errors.ts';
import { chunk } from '../core/plan.ts';
import {
  DOCUMENTED_DEFAULTS,
  type Limits,
  prefixListWeight,
  QUOTA_CODES,
  type QuotaName,
  VPC_SERVICE_CODE,
} from '../core/quotas.ts';
import type { Ec2Port, ServiceQuotasPort } from '../ports.ts';

/** Error codes that mean "this principal may not make the call": the answer is unknown, not the call broken. */
const DENIED = new Set(['UnauthorizedOperation', 'AccessDenied', 'AccessDeniedException']);

const QUOTA_LABELS: Record<QuotaName, string> = {
  rulesPerGroup: 'inbound or outbound rules per security group',
  groupsPerInterface: 'security groups per network interface',
};

/** Values per filter in one call (EC2 accepts up to 200) and DescribeManagedPrefixLists' largest page. */
const IDS_PER_CALL = 200;
const PAGE_SIZE = 100;

function short(error: unknown): string {
  const name = errorCode(error) ?? 'Error';
  const message = (error instanceof Error ? error.message : String(error)).replace(/\s+/g, ' ').trim().slice(0, 160);
  return message ? `${name}: ${message}` : name;
}

function quotaValue(answer: { Quota?: { Value?: number } }): number | undefined {
  const value = answer.Quota?.Value;
  return typeof value === 'number' && Number.isFinite(value) && value >= 1 ? Math.floor(value) : undefined;
}

/**
 * One VPC quota: the account's applied value (GetServiceQuota), else — when Service Quotas has no applied value for
 * it (NoSuchResourceException) — the AWS default (GetAWSDefaultServiceQuota). When Service Quotas cannot be reached
 * or is denied, the documented default, and why.
 */
async function readQuota(port: ServiceQuotasPort, name: QuotaName): Promise<{ value: number; failure?: string }> {
  const request = { ServiceCode: VPC_SERVICE_CODE, QuotaCode: QUOTA_CODES[name] };
  try {
    const applied = quotaValue(await port.getServiceQuota(request));
    if (applied !== undefined) return { value: applied };
  } catch (error) {
    if (errorCode(error) !== 'NoSuchResourceException')
      return { value: DOCUMENTED_DEFAULTS[name], failure: short(error) };
  }
  try {
    return { value: quotaValue(await port.getAWSDefaultServiceQuota(request)) ?? DOCUMENTED_DEFAULTS[name] };
  } catch (error) {
    return { value: DOCUMENTED_DEFAULTS[name], failure: short(error) };
  }
}

/** The lists with these ids that DescribeManagedPrefixLists shows (a filter, unlike PrefixListIds, does not fail on one it does not know). */
async function describePrefixLists(ec2: Ec2Port, ids: string[]): Promise<Map<string, ManagedPrefixList>> {
  const found = new Map<string, ManagedPrefixList>();
  for (const batch of chunk(ids, IDS_PER_CALL)) {
    let token: string | undefined;
    do {
      const page = await ec2.describeManagedPrefixLists({
        Filters: [{ Name: 'prefix-list-id', Values: batch }],
        MaxResults: PAGE_SIZE,
        NextToken: token,
      });
      for (const list of page.PrefixLists ?? []) if (list.PrefixListId) found.set(list.PrefixListId, list);
      token = page.NextToken;
    } while (token);
  }
  return found;
}

/**
 * Reads the quotas through Service Quotas and, when `prefixListIds` is not empty, the lists through EC2. A denied or
 * unreachable Service Quotas falls back to the documented defaults with a note; a denied DescribeManagedPrefixLists
 * leaves the lists of unknown size (the planner blocks where that matters). Other EC2 errors are thrown (the Task
 * retries them).
 */
export async function readLimits(
  ec2: Ec2Port,
  serviceQuotas: ServiceQuotasPort,
  prefixListIds: string[],
): Promise<Limits> {
  const notes: string[] = [];
  const values = {} as Record<QuotaName, number>;
  const failures: string[] = [];
  for (const name of Object.keys(QUOTA_CODES) as QuotaName[]) {
    const { value, failure } = await readQuota(serviceQuotas, name);
    values[name] = value;
    if (failure) failures.push(`${QUOTA_LABELS[name]} (${QUOTA_CODES[name]}): ${failure}`);
    else if (value !== DOCUMENTED_DEFAULTS[name])
      notes.push(`The account's quota of ${QUOTA_LABELS[name]} is ${value} (Service Quotas ${QUOTA_CODES[name]}).`);
  }
  if (failures.length > 0) {
    notes.push(
      `Service Quotas could not be read, so the documented defaults are counted (${DOCUMENTED_DEFAULTS.rulesPerGroup} rules per security group, ${DOCUMENTED_DEFAULTS.groupsPerInterface} groups per interface) and a raised quota is not seen: ${failures.join('; ')}.`,
    );
  }

  const prefixListWeights: Record<string, number> = {};
  const unknownPrefixLists: Record<string, string> = {};
  const ids = [...new Set(prefixListIds)].sort();
  if (ids.length > 0) {
    let lists: Map<string, ManagedPrefixList> | undefined;
    try {
      lists = await describePrefixLists(ec2, ids);
    } catch (error) {
      if (!DENIED.has(errorCode(error) ?? '')) throw error;
      for (const id of ids) unknownPrefixLists[id] = `DescribeManagedPrefixLists was refused: ${short(error)}`;
    }
    for (const id of lists ? ids : []) {
      const list = lists?.get(id);
      const weight = list ? prefixListWeight(list) : undefined;
      if (weight !== undefined) prefixListWeights[id] = weight;
      else
        unknownPrefixLists[id] = list
          ? 'DescribeManagedPrefixLists gives neither its maximum entries nor a documented weight'
          : 'DescribeManagedPrefixLists does not show it';
    }
  }
  return { ...values, prefixListWeights, unknownPrefixLists, notes };
}
