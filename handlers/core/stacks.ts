/**
 * Infrastructure as code (issue 11): what a remediation moves that a CloudFormation stack manages. CloudFormation
 * tags every resource it creates with `aws:cloudformation:stack-name`
 * (https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-properties-resource-tags.html), and the stack's
 * template still names the default group (`!GetAtt <VPC>.DefaultSecurityGroup`, or its id): the next stack update puts
 * the resource back on it, or — for a security group whose rule references the default group — removes the twin rule
 * the remediation added outside the template. The plan names each stack and the template change; the re-check after
 * approval stops while a stack is being updated (docs/decisions.md, "Stacks (issue 11)"). Pure: no AWS SDK.
 */
import type { NetworkInterface, Tag } from './ec2-shapes.ts';
import { quote } from './untrusted.ts';

/** The tag CloudFormation puts on every resource of a stack (it names the stack). */
export const STACK_NAME_TAG = 'aws:cloudformation:stack-name';

/** A stack name is 1-128 characters (CreateStack, StackName); longer text in the tag is not a stack's. */
const STACK_NAME_MAX_CHARS = 128;

/** The stack named by a resource's tags, if any. */
export function stackOfTags(tags: readonly Tag[] | undefined): string | undefined {
  const value = (tags ?? []).find((tag) => tag.Key === STACK_NAME_TAG)?.Value;
  return value && value.length <= STACK_NAME_MAX_CHARS ? value : undefined;
}

/** `{ stack }` for a ResourceState, from tags as a list (RDS TagList, EC2 Tags) or a map (Lambda's ListTags). */
export function stackEntry(tags: readonly Tag[] | Readonly<Record<string, string>> | undefined): { stack?: string } {
  const list = Array.isArray(tags)
    ? (tags as readonly Tag[])
    : Object.entries(tags ?? {}).map(([Key, Value]) => ({ Key, Value }));
  const stack = stackOfTags(list);
  return stack ? { stack } : {};
}

/** What one stack manages that the remediation moves: the stack's template names the default group for each. */
export interface StackUse {
  /** Untrusted (the tag's text): quoted wherever it is shown. */
  stackName: string;
  /** Resources moved through their service ("Lambda function orders"). */
  resources: string[];
  /** Interfaces EC2 moves, with their instance: "i-0abc (eni-0def)". */
  interfaces: string[];
  /** Groups whose rules reference the default group and got a twin referencing the copy. */
  groups: string[];
}

/** Where Discover found each stack: the moves of the plan and the stacks it read for them. */
export interface StackSources {
  /** The plan's interface moves (plan.ts InterfaceMove; structural here, so plan.ts can name StackUse). */
  moves: readonly { networkInterfaceId: string; owner: { mover?: string } }[];
  /** The plan's resource moves (plan.ts ResourceMove). */
  resourceMoves: readonly { resource: { kind: string; id: string }; label: string }[];
  /** The interfaces as Discover read them (their `TagSet`). */
  members: readonly NetworkInterface[];
  /** Instance id → its stack, for the instances of moved interfaces (DescribeTags). */
  instanceStacks?: Readonly<Record<string, string>>;
  /** Resource key → its stack, where the service answered tags. */
  resourceStacks: ReadonlyMap<string, string>;
  /** Referencing groups (ids that got a twin) → their stack, from their `Tags`. */
  groupStacks: ReadonlyMap<string, string>;
}

/** The stacks of what a plan moves, by name; an interface's own tag wins over its instance's. */
export function stacksOf(sources: StackSources): StackUse[] {
  const uses = new Map<string, StackUse>();
  const use = (name: string): StackUse => {
    let found = uses.get(name);
    if (!found) {
      found = { stackName: name, resources: [], interfaces: [], groups: [] };
      uses.set(name, found);
    }
    return found;
  };
  const members = new Map(sources.members.map((eni) => [eni.NetworkInterfaceId ?? '', eni]));
  for (const move of sources.moves) {
    if (move.owner.mover !== 'ec2-modify-network-interface') continue;
    const eni = members.get(move.networkInterfaceId);
    const instanceId = eni?.Attachment?.InstanceId;
    const name =
      stackOfTags(eni?.TagSet) ?? (instanceId ? sources.instanceStacks?.[instanceId] : undefined) ?? undefined;
    if (name)
      use(name).interfaces.push(instanceId ? `${instanceId} (${move.networkInterfaceId})` : move.networkInterfaceId);
  }
  for (const move of sources.resourceMoves) {
    const name = sources.resourceStacks.get(`${move.resource.kind}:${move.resource.id}`);
    if (name) use(name).resources.push(move.label);
  }
  for (const [groupId, name] of sources.groupStacks) use(name).groups.push(groupId);
  return [...uses.values()].sort((a, b) => a.stackName.localeCompare(b.stackName));
}

/** How many things of a stack are listed on its line before "and N more". */
const ITEMS_PER_STACK = 5;

/** One line per stack: its name (quoted) and what of it moves. */
export function describeStackUse(use: StackUse): string {
  const items = [
    ...use.interfaces.map((item) => `EC2 instance/interface ${item}`),
    ...use.resources,
    ...use.groups.map((groupId) => `security group ${groupId} (rule referencing the default group)`),
  ];
  const shown = items.slice(0, ITEMS_PER_STACK).join(', ');
  const more = items.length > ITEMS_PER_STACK ? `, and ${items.length - ITEMS_PER_STACK} more` : '';
  return `Stack ${quote(use.stackName)}: ${shown}${more}`;
}

/**
 * The template change, said once under the list of stacks: what to replace, with what, and what happens until then.
 * `replacement` is the copy's name (before it exists) or id.
 */
export function stackTemplateChange(defaultGroupId: string, replacement: string): string[] {
  return [
    `In each stack's template, replace the default group — !GetAtt <VPC>.DefaultSecurityGroup, or ${defaultGroupId} written out — with the copy ${replacement}: pass its id as a parameter, or export it from the stack that owns it and !ImportValue it. For an instance: SecurityGroupIds (or NetworkInterfaces[].GroupSet); for a Lambda function: VpcConfig.SecurityGroupIds; for a security group rule: SourceSecurityGroupId / DestinationSecurityGroupId (docs/runbook.md, "Stacks that name the default group").`,
    'Until the templates change, a stack update puts these resources back on the default group, or removes the twin rules added outside the template (stack drift): the re-check before the strip, or the watcher after it, catches it.',
  ];
}

/** A stack as DescribeStacks answers it (the fields the re-check reads). */
export interface StackDescription {
  StackName?: string;
  StackStatus?: string;
  /** ISO time (the SDK's Date, serialised). */
  LastUpdatedTime?: string;
  CreationTime?: string;
}

/**
 * Why the re-check stops, or notes, for the stacks of a plan made at `plannedAt` (ISO), given what DescribeStacks
 * answered now (`undefined`: the stack no longer exists).
 * - A stack with an operation in progress (`…_IN_PROGRESS`, https://docs.aws.amazon.com/AWSCloudFormation/latest/APIReference/API_Stack.html)
 *   stops the run: the update may change the groups of its resources between the re-check's read and the strip.
 * - A stack updated since the plan, and settled, is a note: its effects are in the live state the re-check has just
 *   read (a resource put back on the default group, a twin removed, is drift like any other), but its template may
 *   still name the default group.
 * - A stack deleted since is a note.
 */
export function stackDrift(
  uses: readonly StackUse[],
  described: ReadonlyMap<string, StackDescription | undefined>,
  plannedAt: string,
): { stop: string[]; notes: string[] } {
  const stop: string[] = [];
  const notes: string[] = [];
  const planned = Date.parse(plannedAt);
  for (const use of uses) {
    const name = quote(use.stackName);
    const stack = described.get(use.stackName);
    if (!stack) {
      notes.push(`Stack ${name} no longer exists: nothing of it can put resources back on the default group.`);
      continue;
    }
    const status = stack.StackStatus ?? '';
    if (status.endsWith('_IN_PROGRESS')) {
      stop.push(
        `Stack ${name} is being changed (${status}) right now: it manages resources this remediation moved, and its template may put them back on the default group or remove the twin rules while the strip runs. Nothing was revoked; wait for the stack to settle, change its template to name the copy, then run the remediation again.`,
      );
      continue;
    }
    const updated = Date.parse(stack.LastUpdatedTime ?? '');
    if (Number.isFinite(updated) && Number.isFinite(planned) && updated > planned) {
      notes.push(
        `Stack ${name} was updated (${stack.LastUpdatedTime}, ${status}) after the plan was made: what it changed was checked with the live state, but unless its template now names the copy, the next update puts its resources back on the default group.`,
      );
    }
  }
  return { stop, notes };
}
