/**
 * The fewest EC2 calls a plan needs, and the least simulated time a pacer within the buckets needs for them.
 *
 * Mutating calls — each one irreducible with the EC2 API:
 *  - with a replacement: one CreateSecurityGroup; the copy's rules in one Authorize call per direction that has rules
 *    EC2 did not create with the group, plus one RevokeSecurityGroupEgress when the born allow-all outbound rule is
 *    not one of the default group's; one Authorize call per group and direction that gets twins (the default group's
 *    own self-references included); one ModifyNetworkInterfaceAttribute per interface EC2 moves (the API takes one
 *    interface; those of resources moved through their service follow them);
 *    after approval one Revoke per direction of the default group that has rules, of the copy that holds the
 *    transitional references to the default group, and of each group and direction whose references get revoked;
 *  - without one (nothing uses the group): one Revoke per direction of the default group that has rules;
 *  - either way, one CreateTags that marks the stripped default group (CIS 5.4: "DO NOT USE. DO NOT ADD RULES").
 * Reads — the inventory must be read in full three times, at EC2's page size of 1,000: to plan (Discover), after
 * approval (Re-check: I2 needs a fresh look before anything is revoked) and after the strip (Verify). Each read is the
 * default group (1), its members (⌈members / 1000⌉, at least 1), the groups referencing it by ingress and by egress
 * rules (two filters — EC2 ANDs filters, so they can't share a call — at least 1 each) and
 * DescribeSecurityGroupReferences (1). Planning also needs the default group's stale rules once
 * (DescribeStaleSecurityGroups: a rule through a deleted peering connection could not be restored), and the
 * CloudFormation stack of the members' instances whose interfaces do not carry it (DescribeTags, one call per 200
 * instances: EC2's limit of values per filter; handlers/core/stacks.ts).
 * Reads the design adds on top (each batch reads its interfaces before swapping, the copy is read back after it is
 * created, the VPC's tags for the opt-out) are overhead the benchmark measures against this bound.
 */

import { DEFAULT_ADAPTIVE_OPTIONS } from '../../handlers/core/adaptive-rate.ts';
import type { NetworkInterface } from '../../handlers/core/ec2-shapes.ts';
import { type Plan, replacementRulesDuringMove } from '../../handlers/core/plan.ts';
import { bucketOf } from '../../handlers/core/rate-limits.ts';
import { type Direction, minus, type Rule, referencesGroup, rulesOf } from '../../handlers/core/rules.ts';
import { stackOfTags } from '../../handlers/core/stacks.ts';
import { pacedRate } from '../../handlers/steps/pacing.ts';

const PAGE = 1000;
/** Instance ids per DescribeTags call (EC2 takes up to 200 values per filter). */
const INSTANCES_PER_TAG_READ = 200;
const DIRECTIONS: Direction[] = ['ingress', 'egress'];

export interface LowerBound {
  /** Calls by action. */
  byAction: Record<string, number>;
  total: number;
  /** Seconds: the busiest bucket's calls past the burst at the free rate (buckets are independent, they overlap). */
  floorSeconds: number;
}

/** The outbound allow-all rules EC2 gives a new group (and ::/0 in a VPC with IPv6). */
function bornRules(ipv6: boolean): Rule[] {
  const born = rulesOf({
    IpPermissionsEgress: [
      {
        IpProtocol: '-1',
        IpRanges: [{ CidrIp: '0.0.0.0/0' }],
        ...(ipv6 ? { Ipv6Ranges: [{ CidrIpv6: '::/0' }] } : {}),
      },
    ],
  });
  return born;
}

/** The distinct instances of members whose interface does not name its stack: Discover reads their tags. */
export function instancesWithoutStackTag(members: readonly NetworkInterface[]): number {
  return new Set(
    members.flatMap((eni) =>
      eni.Attachment?.InstanceId && !stackOfTags(eni.TagSet) ? [eni.Attachment.InstanceId] : [],
    ),
  ).size;
}

export function lowerBound(
  plan: Plan,
  counts: { referencingGroups: number; ipv6?: boolean; instancesWithoutStackTag?: number },
  freeShare: number,
): LowerBound {
  const calls: Record<string, number> = {};
  const add = (action: string, count = 1) => {
    if (count > 0) calls[action] = (calls[action] ?? 0) + count;
  };
  const authorize = (direction: Direction) =>
    direction === 'ingress' ? 'AuthorizeSecurityGroupIngress' : 'AuthorizeSecurityGroupEgress';
  const revoke = (direction: Direction) =>
    direction === 'ingress' ? 'RevokeSecurityGroupIngress' : 'RevokeSecurityGroupEgress';
  const has = (rules: Rule[], direction: Direction) => rules.some((rule) => rule.direction === direction);

  if (plan.status === 'ready' || plan.status === 'compliant') {
    const defaultId = plan.defaultGroupId;
    if (plan.replacementNeeded) {
      const copyId = 'sg-00000000000000000';
      add('CreateSecurityGroup');
      const wanted = replacementRulesDuringMove(plan.defaultRules, defaultId, copyId);
      const born = bornRules(counts.ipv6 ?? false);
      for (const direction of DIRECTIONS) if (has(minus(wanted, born), direction)) add(authorize(direction));
      if (minus(born, wanted).length > 0) add('RevokeSecurityGroupEgress');
      const referenced = new Map<string, Rule[]>();
      for (const reference of plan.references) {
        referenced.set(reference.groupId, [...(referenced.get(reference.groupId) ?? []), reference.rule]);
      }
      for (const rules of referenced.values()) {
        for (const direction of DIRECTIONS) if (has(rules, direction)) add(authorize(direction));
      }
      // Interfaces a service moves follow their resource (mixed.ts counts those calls): EC2 moves only its own.
      add(
        'ModifyNetworkInterfaceAttribute',
        plan.moves.filter((move) => move.owner.mover === 'ec2-modify-network-interface').length,
      );
      for (const direction of DIRECTIONS) {
        if (has(plan.defaultRules, direction)) add(revoke(direction));
        if (plan.defaultRules.some((rule) => rule.direction === direction && referencesGroup(rule, defaultId)))
          add(revoke(direction));
      }
      for (const [groupId, rules] of referenced) {
        if (groupId === defaultId) continue;
        for (const direction of DIRECTIONS) if (has(rules, direction)) add(revoke(direction));
      }
    } else {
      for (const direction of DIRECTIONS) if (has(plan.defaultRules, direction)) add(revoke(direction));
    }
    const inventoryReads = plan.status === 'compliant' ? 1 : 3;
    const referencePages = Math.max(1, Math.ceil(counts.referencingGroups / PAGE));
    add('DescribeSecurityGroups', inventoryReads * (1 + 2 * referencePages));
    add('DescribeNetworkInterfaces', inventoryReads * Math.max(1, Math.ceil(plan.moves.length / PAGE)));
    add('DescribeSecurityGroupReferences', inventoryReads);
    if (plan.status !== 'compliant') {
      add('DescribeStaleSecurityGroups');
      add('DescribeTags', Math.ceil((counts.instancesWithoutStackTag ?? 0) / INSTANCES_PER_TAG_READ));
      add('CreateTags');
    }
  }
  const total = Object.values(calls).reduce((sum, count) => sum + count, 0);
  return { byAction: calls, total, floorSeconds: pacingFloor(calls, freeShare) };
}

/**
 * The least time any pacer that keeps within the bucket needs when `freeShare` of each bucket's refill is left to it
 * (1: the full-rate floor; 0.5 beside a neighbour spending half): of `n` calls of one action, the pacer's share of the
 * burst goes at once (half the bucket's capacity, core/adaptive-rate.ts), the rest at the free rate; buckets are
 * independent, so the run needs at least as long as its busiest bucket. Describes are not paced.
 */
export function pacingFloor(calls: Record<string, number>, freeShare: number): number {
  let floor = 0;
  for (const [action, count] of Object.entries(calls)) {
    if (/^(Describe|List|Get|Search)/.test(action) || count < 1) continue;
    const burst = Math.max(1, Math.floor(bucketOf(action).limits.capacity * DEFAULT_ADAPTIVE_OPTIONS.burstShare));
    floor = Math.max(floor, Math.max(0, count - burst) / pacedRate(action, freeShare));
  }
  return floor;
}
