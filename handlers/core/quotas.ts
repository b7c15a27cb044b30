/**
 * The security group quotas as EC2 counts them.
 *
 * - "Inbound or outbound rules per security group" (Service Quotas code L-0EA8095F, default 60) holds per direction,
 *   separately for IPv4 and IPv6 rules; "Security groups per network interface" (L-2AFB9258, default 5, up to 16);
 *   the first multiplied by the second cannot exceed 1,000.
 *   https://docs.aws.amazon.com/vpc/latest/userguide/amazon-vpc-limits.html#vpc-limits-security-groups
 * - A rule that references a CIDR block or a security group counts as one rule; one that references a
 *   customer-managed prefix list counts as the list's maximum size (MaxEntries), an AWS-managed one as its weight.
 *   https://docs.aws.amazon.com/vpc/latest/userguide/security-group-rules.html#security-group-size
 * - A rule that references a security group or a prefix list counts for IPv4 and for IPv6 (the quotas page said so
 *   before weights existed; the current page no longer says either way, so both families are counted).
 */
import type { ManagedPrefixList } from './ec2-shapes.ts';
import type { Direction, Rule } from './rules.ts';

export const VPC_SERVICE_CODE = 'vpc';

/** Service Quotas codes of the VPC quotas the workflow depends on. */
export const QUOTA_CODES = {
  /** "Inbound or outbound rules per security group". */
  rulesPerGroup: 'L-0EA8095F',
  /** "Security groups per network interface". */
  groupsPerInterface: 'L-2AFB9258',
} as const;

export type QuotaName = keyof typeof QUOTA_CODES;

/** The documented defaults, used when Service Quotas cannot be read. */
export const DOCUMENTED_DEFAULTS: Record<QuotaName, number> = { rulesPerGroup: 60, groupsPerInterface: 5 };

/** "This quota multiplied by the quota for security groups per network interface cannot exceed 1,000." */
export const MAX_RULES_TIMES_GROUPS = 1000;

/** "Security groups per network interface: up to 16". */
export const MAX_GROUPS_PER_INTERFACE = 16;

/**
 * Weights of the AWS-managed prefix lists (`<region>` stands for the list's Region), from the table of
 * https://docs.aws.amazon.com/vpc/latest/userguide/working-with-aws-managed-prefix-lists.html#available-aws-managed-prefix-lists
 */
export const AWS_MANAGED_PREFIX_LIST_WEIGHTS: Readonly<Record<string, number>> = {
  'com.amazonaws.global.cloudfront.origin-facing': 55,
  'com.amazonaws.global.ipv6.cloudfront.origin-facing': 55,
  'com.amazonaws.<region>.dynamodb': 1,
  'com.amazonaws.<region>.ec2-instance-connect': 2,
  'com.amazonaws.<region>.ipv6.ec2-instance-connect': 2,
  'com.amazonaws.global.groundstation': 5,
  'com.amazonaws.<region>.route53-healthchecks': 25,
  'com.amazonaws.<region>.ipv6.route53-healthchecks': 25,
  'com.amazonaws.<region>.s3': 1,
  'com.amazonaws.<region>.s3express': 6,
  'com.amazonaws.<region>.vpc-lattice': 10,
  'com.amazonaws.<region>.ipv6.vpc-lattice': 10,
};

/** The owner DescribeManagedPrefixLists answers for AWS-managed lists. */
export const AWS_OWNER = 'AWS';

function documentedWeight(name: string): number | undefined {
  const generic = name.replace(/^com\.amazonaws\.([a-z]{2}(?:-[a-z]+)+-\d+)\./, 'com.amazonaws.<region>.');
  return AWS_MANAGED_PREFIX_LIST_WEIGHTS[generic];
}

/**
 * How many rules a reference to `list` counts as: an AWS-managed list its documented weight (else its MaxEntries,
 * for a list newer than the table), any other list its MaxEntries. Undefined when the answer does not say.
 */
export function prefixListWeight(list: ManagedPrefixList): number | undefined {
  const size = Number.isInteger(list.MaxEntries) && (list.MaxEntries ?? 0) > 0 ? list.MaxEntries : undefined;
  if (list.OwnerId === AWS_OWNER) return documentedWeight(list.PrefixListName ?? '') ?? size;
  return size;
}

/** The quotas of an account and Region, and the sizes of the prefix lists a plan's groups reference. */
export interface Limits {
  /** Inbound or outbound rules per security group, per IP family. */
  rulesPerGroup: number;
  groupsPerInterface: number;
  /** Rules a reference to each prefix list counts as, by id. */
  prefixListWeights: Record<string, number>;
  /** Referenced prefix lists whose size could not be read, by id, with why. */
  unknownPrefixLists: Record<string, string>;
  /** What people should know about where the numbers come from (a fallback, a raised quota). */
  notes: string[];
}

export function documentedLimits(notes: string[] = []): Limits {
  return { ...DOCUMENTED_DEFAULTS, prefixListWeights: {}, unknownPrefixLists: {}, notes };
}

export interface QuotaUsage {
  ipv4: number;
  ipv6: number;
  /** Referenced prefix lists of unknown size (not counted). */
  unknown: string[];
}

/** How `rules` of one direction count against the rules-per-group quota, per IP family. */
export function quotaUsage(
  rules: readonly Rule[],
  direction: Direction,
  weights: Readonly<Record<string, number>>,
): QuotaUsage {
  const usage: QuotaUsage = { ipv4: 0, ipv6: 0, unknown: [] };
  for (const rule of rules) {
    if (rule.direction !== direction) continue;
    const peer = rule.peer;
    if (peer.kind === 'cidr4') usage.ipv4++;
    else if (peer.kind === 'cidr6') usage.ipv6++;
    else if (peer.kind === 'group') {
      usage.ipv4++;
      usage.ipv6++;
    } else {
      const weight = weights[peer.prefixListId];
      if (weight === undefined) {
        if (!usage.unknown.includes(peer.prefixListId)) usage.unknown.push(peer.prefixListId);
        continue;
      }
      usage.ipv4 += weight;
      usage.ipv6 += weight;
    }
  }
  return usage;
}

/** The prefix lists `rules` reference. */
export function prefixListsOf(rules: readonly Rule[]): string[] {
  return [...new Set(rules.flatMap((rule) => (rule.peer.kind === 'prefix-list' ? [rule.peer.prefixListId] : [])))];
}

/**
 * Why `rules`, the rules a group would have, do not fit the quota (`what` names the group), in sentences; empty when
 * they fit. A prefix list of unknown size cannot be counted, so it is a reason too.
 */
export function quotaReasons(what: string, rules: readonly Rule[], limits: Limits): string[] {
  const reasons: string[] = [];
  const unknown = new Set<string>();
  for (const direction of ['ingress', 'egress'] as const) {
    const usage = quotaUsage(rules, direction, limits.prefixListWeights);
    for (const id of usage.unknown) unknown.add(id);
    const weighed = prefixListsOf(rules.filter((rule) => rule.direction === direction))
      .filter((id) => limits.prefixListWeights[id] !== undefined)
      .map((id) => `${id} counts as ${limits.prefixListWeights[id]}`);
    const counted = weighed.length > 0 ? ` (prefix list ${weighed.join(', ')})` : '';
    for (const family of ['ipv4', 'ipv6'] as const) {
      if (usage[family] > limits.rulesPerGroup) {
        reasons.push(
          `${what} would need ${usage[family]} ${direction === 'ingress' ? 'inbound' : 'outbound'} ${family === 'ipv4' ? 'IPv4' : 'IPv6'} rules, over the quota of ${limits.rulesPerGroup}${counted}.`,
        );
      }
    }
  }
  for (const id of unknown) {
    reasons.push(
      `${what} references prefix list ${id}, whose size could not be read (${limits.unknownPrefixLists[id] ?? 'not looked up'}): its rules cannot be counted against the quota of ${limits.rulesPerGroup}, so adding rules to it could be refused.`,
    );
  }
  return reasons;
}
