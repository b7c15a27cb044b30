/**
 * Idempotent building blocks over the EC2 port (I5): each reads what is there, changes only the difference, and
 * counts "already exists" / "already gone" answers as done.
 */
import type { IpPermission, NetworkInterface, SecurityGroup, Tag } from '../core/ec2-shapes.ts';
import { errorCode } from '../core/errors.ts';
import { missingMark, unmark } from '../core/marker.ts';
import { describeRule } from '../core/messages.ts';
import { chunk } from '../core/plan.ts';
import {
  type Direction,
  descriptionChanges,
  explode,
  implode,
  minus,
  type Rule,
  ruleKey,
  rulesOf,
} from '../core/rules.ts';
import type { Ec2Port } from '../ports.ts';
import { StepError } from './common.ts';
import type { Pace } from './pacing.ts';

/** Values per filter in one describe call; EC2 accepts up to 200. */
const FILTER_VALUES_PER_CALL = 200;
const PAGE_SIZE = 1000;

export async function describeGroups(
  ec2: Ec2Port,
  filters: { Name: string; Values: string[] }[],
): Promise<SecurityGroup[]> {
  const groups: SecurityGroup[] = [];
  let token: string | undefined;
  do {
    const page = await ec2.describeSecurityGroups({ Filters: filters, MaxResults: PAGE_SIZE, NextToken: token });
    groups.push(...(page.SecurityGroups ?? []));
    token = page.NextToken;
  } while (token);
  return groups;
}

export async function describeInterfaces(
  ec2: Ec2Port,
  filters: { Name: string; Values: string[] }[],
): Promise<NetworkInterface[]> {
  const interfaces: NetworkInterface[] = [];
  let token: string | undefined;
  do {
    const page = await ec2.describeNetworkInterfaces({ Filters: filters, MaxResults: PAGE_SIZE, NextToken: token });
    interfaces.push(...(page.NetworkInterfaces ?? []));
    token = page.NextToken;
  } while (token);
  return interfaces;
}

/** The groups with these ids that still exist (a filter, unlike GroupIds, does not fail on a deleted group). */
export async function readGroups(ec2: Ec2Port, groupIds: string[]): Promise<Map<string, SecurityGroup>> {
  const found = new Map<string, SecurityGroup>();
  for (const ids of chunk([...new Set(groupIds)], FILTER_VALUES_PER_CALL)) {
    for (const group of await describeGroups(ec2, [{ Name: 'group-id', Values: ids }])) {
      if (group.GroupId) found.set(group.GroupId, group);
    }
  }
  return found;
}

/** The interfaces with these ids that still exist. */
export async function readInterfaces(ec2: Ec2Port, ids: string[]): Promise<Map<string, NetworkInterface>> {
  const found = new Map<string, NetworkInterface>();
  for (const batch of chunk([...new Set(ids)], FILTER_VALUES_PER_CALL)) {
    for (const eni of await describeInterfaces(ec2, [{ Name: 'network-interface-id', Values: batch }])) {
      if (eni.NetworkInterfaceId) found.set(eni.NetworkInterfaceId, eni);
    }
  }
  return found;
}

/**
 * The interfaces with these ids that still exist, read mostly through the groups they are expected on: `known` (just
 * read) first, then the members of `groupIds` by `group-id` (pages of 1,000), and only the rest by id (200 per call).
 * In the map's order of `ids`.
 */
export async function readInterfacesOn(
  ec2: Ec2Port,
  ids: string[],
  groupIds: string[],
  known: NetworkInterface[] = [],
): Promise<Map<string, NetworkInterface>> {
  const wanted = new Set(ids);
  const found = new Map<string, NetworkInterface>();
  const take = (eni: NetworkInterface) => {
    if (eni.NetworkInterfaceId && wanted.has(eni.NetworkInterfaceId)) found.set(eni.NetworkInterfaceId, eni);
  };
  if (ids.length === 0) return found;
  known.forEach(take);
  if (groupIds.length > 0) (await describeInterfaces(ec2, [{ Name: 'group-id', Values: groupIds }])).forEach(take);
  for (const eni of (
    await readInterfaces(
      ec2,
      ids.filter((id) => !found.has(id)),
    )
  ).values())
    take(eni);
  const ordered = new Map<string, NetworkInterface>();
  for (const id of ids) {
    const eni = found.get(id);
    if (eni) ordered.set(id, eni);
  }
  return ordered;
}

export interface RuleChanges {
  added: number;
  removed: number;
  described: number;
}

/**
 * Makes `wanted` present in the group (current rules read from `group`): authorizes the missing ones in one call
 * per direction and fixes differing descriptions. Concurrent duplicates count as done.
 */
export async function addRules(ec2: Ec2Port, group: SecurityGroup, wanted: Rule[], pace: Pace): Promise<RuleChanges> {
  const groupId = group.GroupId ?? '';
  let current = rulesOf(group);
  const missing = minus(wanted, current);
  const changes: RuleChanges = { added: 0, removed: 0, described: 0 };
  let raced = false;
  for (const direction of ['ingress', 'egress'] as Direction[]) {
    const rules = missing.filter((rule) => rule.direction === direction);
    if (rules.length === 0) continue;
    await pace(AUTHORIZE[direction]);
    try {
      await authorize(ec2, groupId, direction, rules);
      changes.added += rules.length;
    } catch (error) {
      if (errorCode(error) !== 'InvalidPermission.Duplicate') throw error;
      // Someone (or an earlier attempt) added part of them meanwhile: add the rest one by one.
      raced = true;
      for (const rule of rules) {
        await pace(AUTHORIZE[direction]);
        try {
          await authorize(ec2, groupId, direction, [rule]);
          changes.added++;
        } catch (inner) {
          if (errorCode(inner) !== 'InvalidPermission.Duplicate') throw inner;
        }
      }
    }
  }
  // After a race the rules the other writer added may carry other descriptions: compare with a fresh read.
  if (raced) current = rulesOf((await readGroups(ec2, [groupId])).get(groupId) ?? group);
  const redescribe = descriptionChanges(current, wanted);
  for (const direction of ['ingress', 'egress'] as Direction[]) {
    const rules = redescribe.filter((rule) => rule.direction === direction);
    if (rules.length === 0) continue;
    await pace(
      direction === 'ingress'
        ? 'UpdateSecurityGroupRuleDescriptionsIngress'
        : 'UpdateSecurityGroupRuleDescriptionsEgress',
    );
    const input = { GroupId: groupId, IpPermissions: implode(rules) };
    if (direction === 'ingress') await ec2.updateSecurityGroupRuleDescriptionsIngress(input);
    else await ec2.updateSecurityGroupRuleDescriptionsEgress(input);
    changes.described += rules.length;
  }
  return changes;
}

/** Revokes those of `unwanted` that the group has (current rules read from `group`); already gone counts as done. */
export async function removeRules(
  ec2: Ec2Port,
  group: SecurityGroup,
  unwanted: Rule[],
  pace: Pace,
): Promise<RuleChanges> {
  const groupId = group.GroupId ?? '';
  const present = new Set(rulesOf(group).map(ruleKey));
  const toRevoke = unwanted.filter((rule) => present.has(ruleKey(rule)));
  const changes: RuleChanges = { added: 0, removed: 0, described: 0 };
  for (const direction of ['ingress', 'egress'] as Direction[]) {
    const rules = toRevoke.filter((rule) => rule.direction === direction);
    if (rules.length === 0) continue;
    await pace(REVOKE[direction]);
    try {
      checkRevoked(groupId, direction, rules, await revoke(ec2, groupId, direction, rules));
    } catch (error) {
      if (errorCode(error) !== 'InvalidPermission.NotFound') throw error;
      for (const rule of rules) {
        await pace(REVOKE[direction]);
        try {
          checkRevoked(groupId, direction, [rule], await revoke(ec2, groupId, direction, [rule]));
        } catch (inner) {
          if (errorCode(inner) !== 'InvalidPermission.NotFound') throw inner;
        }
      }
    }
    changes.removed += rules.length;
  }
  return changes;
}

/**
 * A Revoke whose answer says a rule was not revoked fails at once, naming it: in a default VPC EC2 answers rules it did
 * not match in `UnknownIpPermissions` instead of an error, and `Return` is false when the request did not succeed
 * (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_RevokeSecurityGroupIngress.html). The rule was read
 * just before, so it stays where it is: going on would strip less than planned.
 */
function checkRevoked(
  groupId: string,
  direction: Direction,
  rules: Rule[],
  answer: { Return?: boolean; UnknownIpPermissions?: IpPermission[] },
): void {
  const unknown = explode(answer.UnknownIpPermissions ?? [], direction);
  if (unknown.length === 0 && answer.Return !== false) return;
  const named = (unknown.length > 0 ? unknown : rules).map((rule) => describeRule(rule));
  throw new StepError('RevokeNotApplied', [
    `${REVOKE[direction]} on ${groupId} ${unknown.length > 0 ? 'did not find' : 'answered Return: false for'} ${named.join('; ')}; the rule is still there. Describe the group and compare it with the rule above.`,
  ]);
}

const AUTHORIZE = { ingress: 'AuthorizeSecurityGroupIngress', egress: 'AuthorizeSecurityGroupEgress' } as const;
const REVOKE = { ingress: 'RevokeSecurityGroupIngress', egress: 'RevokeSecurityGroupEgress' } as const;

function authorize(ec2: Ec2Port, groupId: string, direction: Direction, rules: Rule[]) {
  const input = { GroupId: groupId, IpPermissions: implode(rules) };
  return direction === 'ingress' ? ec2.authorizeSecurityGroupIngress(input) : ec2.authorizeSecurityGroupEgress(input);
}

function revoke(ec2: Ec2Port, groupId: string, direction: Direction, rules: Rule[]) {
  const input = { GroupId: groupId, IpPermissions: implode(rules) };
  return direction === 'ingress' ? ec2.revokeSecurityGroupIngress(input) : ec2.revokeSecurityGroupEgress(input);
}

/**
 * Marks the default group as stripped (core/marker.ts): writes, in one CreateTags call, the mark tags it does not carry
 * yet (none on a re-run, I5). Answers how many tags were written.
 */
export async function markGroup(
  ec2: Ec2Port,
  group: SecurityGroup,
  remediationId: string,
  pace: Pace,
): Promise<number> {
  const missing = missingMark(group.Tags, remediationId);
  if (missing.length === 0) return 0;
  await pace('CreateTags');
  await ec2.createTags({ Resources: [group.GroupId ?? ''], Tags: missing });
  return missing.length;
}

/**
 * Puts the mark's keys back as `before` (the snapshot's tags of the group) had them: the values the mark replaced are
 * written back, the tags it added are deleted — each only while it still has the value the strip wrote, so a change
 * someone made since is kept (answered in `foreign`). Nothing to do on a re-run (I5).
 */
export async function unmarkGroup(
  ec2: Ec2Port,
  group: SecurityGroup,
  before: readonly Tag[] | undefined,
  remediationId: string,
  pace: Pace,
): Promise<{ changed: number; foreign: string[] }> {
  const { restore, remove, foreign } = unmark(group.Tags, before, remediationId);
  const resources = [group.GroupId ?? ''];
  if (restore.length > 0) {
    await pace('CreateTags');
    await ec2.createTags({ Resources: resources, Tags: restore });
  }
  if (remove.length > 0) {
    await pace('DeleteTags');
    await ec2.deleteTags({ Resources: resources, Tags: remove });
  }
  return { changed: restore.length + remove.length, foreign };
}

/** Groups of an interface, as ids. */
export function groupIdsOf(eni: NetworkInterface): string[] {
  return (eni.Groups ?? []).map((group) => group.GroupId ?? '');
}
