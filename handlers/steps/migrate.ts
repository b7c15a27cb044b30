/** The additive steps before approval (I2): create the copy, add twin references, move the interfaces. */
import * as z from 'zod';
import type { SecurityGroup } from '../core/ec2-shapes.ts';
import { errorCode } from '../core/errors.ts';
import { moveActionOf } from '../core/owners/index.ts';
import { groupsAfterMove, type Plan, replacementRulesDuringMove, twinOf } from '../core/plan.ts';
import {
  parseResourceKey,
  RESOURCE_NOT_FOUND_CODES,
  type ResourceChange,
  type ResourceRef,
  resourceKey,
  swapGroup,
} from '../core/resources.ts';
import { minus, type Rule, rulesOf } from '../core/rules.ts';
import type { Ec2Port, Ec2Target, ServicesPort } from '../ports.ts';
import { loadSnapshot, parseInput, replacementGroupIdSchema, runSchema, StepError } from './common.ts';
import type { Deps } from './deps.ts';
import { addRules, describeGroups, groupIdsOf, readGroups, readInterfaces, removeRules } from './ec2-ops.ts';

/** Tag on everything this workflow creates, so a re-run finds it instead of creating it again (I5). */
export const REMEDIATION_TAG = 'default-sg-remediation:remediation-id';

export const withReplacementSchema = runSchema.extend({
  replacementGroupId: replacementGroupIdSchema,
});

/** The replacement group this remediation created, if it exists. */
export async function findReplacement(ec2: Ec2Port, plan: Plan): Promise<SecurityGroup | undefined> {
  const found = await describeGroups(ec2, [
    { Name: 'vpc-id', Values: [plan.vpcId] },
    { Name: `tag:${REMEDIATION_TAG}`, Values: [plan.remediationId] },
  ]);
  return found[0];
}

/** "Create the replacement group": same VPC, the default group's rules with its self-references doubled. */
export async function createReplacement(raw: unknown, deps: Deps): Promise<{ groupId: string; created: boolean }> {
  const { remediationId, target } = parseInput(runSchema, raw);
  const { plan } = await loadSnapshot(deps, remediationId, target.groupId);
  const ec2 = deps.ec2(target);
  let group = await findReplacement(ec2, plan);
  const created = group === undefined;
  if (!group) {
    await deps.pace('CreateSecurityGroup');
    try {
      const answer = await ec2.createSecurityGroup({
        GroupName: plan.replacementName,
        Description: `Copy of default group ${plan.defaultGroupId} made by default-sg-remediation ${remediationId}`,
        VpcId: plan.vpcId,
        TagSpecifications: [
          {
            ResourceType: 'security-group',
            Tags: [
              { Key: REMEDIATION_TAG, Value: remediationId },
              { Key: 'Name', Value: plan.replacementName },
            ],
          },
        ],
      });
      group = (await readGroups(ec2, [answer.GroupId ?? ''])).get(answer.GroupId ?? '');
    } catch (error) {
      if (errorCode(error) !== 'InvalidGroup.Duplicate') throw error;
      group = await findReplacement(ec2, plan);
      if (!group) {
        throw new StepError('ReplacementNameTaken', [
          `A group named ${plan.replacementName} already exists in ${plan.vpcId} and was not made by this remediation.`,
        ]);
      }
    }
  }
  if (!group?.GroupId) throw new StepError('ReplacementMissing', ['The replacement group could not be read back.']);
  const wanted = replacementRulesDuringMove(plan.defaultRules, plan.defaultGroupId, group.GroupId);
  // A new group starts with EC2's allow-all outbound rule; the copy must have exactly the default group's rules.
  await removeRules(ec2, group, minus(rulesOf(group), wanted), deps.pace);
  await addRules(ec2, group, wanted, deps.pace);
  await deps.ledger.putRemediation({
    remediationId,
    accountId: target.accountId,
    region: target.region,
    groupId: target.groupId,
    vpcId: plan.vpcId,
    findingId: target.findingId,
    productArn: target.productArn,
    status: 'replacement-created',
    replacementGroupId: group.GroupId,
    updatedAt: deps.now().toISOString(),
  });
  deps.log.info('replacement group ready', { remediationId, replacementGroupId: group.GroupId, created });
  return { groupId: group.GroupId, created };
}

/** Twin rules per group: every rule referencing the default group, retargeted at the replacement. */
export function twinsByGroup(plan: Plan, replacementGroupId: string): Map<string, Rule[]> {
  const twins = new Map<string, Rule[]>();
  for (const reference of plan.references) {
    const list = twins.get(reference.groupId) ?? [];
    list.push(twinOf(reference.rule, plan.defaultGroupId, replacementGroupId));
    twins.set(reference.groupId, list);
  }
  return twins;
}

/** "Add references to the replacement" next to every rule that references the default group. */
export async function addReferences(raw: unknown, deps: Deps): Promise<{ added: number; groupsGone: string[] }> {
  const { remediationId, target, replacementGroupId } = parseInput(withReplacementSchema, raw);
  const { plan } = await loadSnapshot(deps, remediationId, target.groupId);
  const ec2 = deps.ec2(target);
  const twins = twinsByGroup(plan, replacementGroupId);
  const groups = await readGroups(ec2, [...twins.keys()]);
  let added = 0;
  const groupsGone: string[] = [];
  for (const [groupId, rules] of twins) {
    const group = groups.get(groupId);
    if (!group) {
      groupsGone.push(groupId);
      continue;
    }
    added += (await addRules(ec2, group, rules, deps.pace)).added;
  }
  return { added, groupsGone };
}

const moveSchema = withReplacementSchema.extend({ batch: z.number().int().min(0) });

export interface MoveOutput {
  batch: number;
  moved: number;
  alreadyMoved: number;
  /** Interfaces (and resources, by key) deleted since discovery: nothing to move. */
  gone: string[];
  /** Interfaces (and resources) that left the default group by other means since discovery. */
  changed: string[];
}

/** "Move the network interfaces" of one batch: the default group swapped for the replacement, in place. */
export async function moveInterfaces(raw: unknown, deps: Deps): Promise<MoveOutput> {
  const { remediationId, target, replacementGroupId, batch } = parseInput(moveSchema, raw);
  const { plan } = await loadSnapshot(deps, remediationId, target.groupId);
  const ids = plan.batches[batch];
  if (!ids) throw new StepError('NoSuchBatch', [`The plan has no batch ${batch}.`]);
  return swapGroups(deps, target, ids, plan.defaultGroupId, replacementGroupId, batch, { remediationId });
}

/**
 * Swaps group `from` for `to` on each batch entry that has it; shared by the move and the move back. Resources
 * (`<kind>:<id>` entries, first in a batch) move through their service and their interfaces follow; interface ids
 * move through EC2.
 */
export async function swapGroups(
  deps: Deps,
  target: Ec2Target,
  entries: string[],
  from: string,
  to: string,
  batch: number,
  change: ResourceChange,
): Promise<MoveOutput> {
  const output: MoveOutput = { batch, moved: 0, alreadyMoved: 0, gone: [], changed: [] };
  const resources = entries.flatMap((entry) => parseResourceKey(entry) ?? []);
  if (resources.length > 0) await swapResourceGroups(deps, deps.services(target), resources, from, to, change, output);
  const ids = entries.filter((entry) => !parseResourceKey(entry));
  if (ids.length === 0) return output;
  const ec2 = deps.ec2(target);
  const live = await readInterfaces(ec2, ids);
  for (const id of ids) {
    const eni = live.get(id);
    if (!eni) {
      output.gone.push(id);
      continue;
    }
    const groups = groupIdsOf(eni);
    if (!groups.includes(from)) {
      if (groups.includes(to)) output.alreadyMoved++;
      else output.changed.push(id);
      continue;
    }
    await deps.pace('ModifyNetworkInterfaceAttribute');
    try {
      await ec2.modifyNetworkInterfaceAttribute({ NetworkInterfaceId: id, Groups: groupsAfterMove(groups, from, to) });
      output.moved++;
    } catch (error) {
      if (errorCode(error) !== 'InvalidNetworkInterfaceID.NotFound') throw error;
      output.gone.push(id);
    }
  }
  return output;
}

/**
 * Each resource's whole group list with `from` swapped for `to`, through its service, then a wait until the service
 * applied it (a re-run after a crash finds it moved and only waits). Gone resources are reported, not errors.
 */
async function swapResourceGroups(
  deps: Deps,
  services: ServicesPort,
  resources: ResourceRef[],
  from: string,
  to: string,
  change: ResourceChange,
  output: MoveOutput,
): Promise<void> {
  for (const ref of resources) {
    const key = resourceKey(ref);
    try {
      const live = await services.describe(ref);
      if (!live) {
        output.gone.push(key);
        continue;
      }
      if (!live.groups.includes(from)) {
        if (live.groups.includes(to)) {
          await services.waitUntilSettled(ref);
          output.alreadyMoved++;
        } else output.changed.push(key);
        continue;
      }
      // Paced under the service's own bucket (Lambda's control plane, RDS's API, ModifyVpcEndpoint's…).
      await deps.pace(moveActionOf(ref.kind));
      await services.setGroups(ref, swapGroup(live.groups, from, to), { ...change, swap: { from, to } });
      await services.waitUntilSettled(ref);
      output.moved++;
    } catch (error) {
      if (!RESOURCE_NOT_FOUND_CODES.has(errorCode(error) ?? '')) throw error;
      output.gone.push(key);
    }
  }
}
