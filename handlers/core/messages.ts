/** Words for people: rules, plans and outcomes as the CLI prints them and the emails say them. */
import { MARK_TEXT, STATUS_TAG } from './marker.ts';
import { boundedList, countsByKind } from './notices.ts';
import { SERVICE_OWNER_WORDS } from './owners/index.ts';
import type { OwnerKind } from './owners.ts';
import type { Plan } from './plan.ts';
import { resourceKey, resourceKindLabel } from './resources.ts';
import { protocolHasPorts, type Rule } from './rules.ts';
import { describeStackUse, stackTemplateChange } from './stacks.ts';
import { plainText, quote } from './untrusted.ts';

const PROTOCOL_LABELS: Record<string, string> = { tcp: 'TCP', udp: 'UDP', icmp: 'ICMP', icmpv6: 'ICMPv6' };

export function describeTraffic(rule: Rule): string {
  if (rule.protocol === '-1') return 'all traffic';
  const label = PROTOCOL_LABELS[rule.protocol] ?? `IP protocol ${rule.protocol}`;
  if (!protocolHasPorts(rule.protocol)) return label;
  const from = rule.fromPort ?? -1;
  const to = rule.toPort ?? -1;
  if (rule.protocol === 'icmp' || rule.protocol === 'icmpv6') {
    if (from === -1) return `${label} (all types)`;
    return to === -1 ? `${label} type ${from}` : `${label} type ${from} code ${to}`;
  }
  if (from === 0 && to === 65535) return `${label} (all ports)`;
  return from === to ? `${label} ${from}` : `${label} ${from}-${to}`;
}

export function describePeer(rule: Rule, names: Record<string, string> = {}): string {
  const peer = rule.peer;
  switch (peer.kind) {
    case 'cidr4':
    case 'cidr6':
      return peer.cidr;
    case 'prefix-list':
      return `prefix list ${peer.prefixListId}`;
    case 'group': {
      const name = names[peer.groupId];
      const where = peer.vpcPeeringConnectionId ? ` via ${peer.vpcPeeringConnectionId}` : '';
      return `${peer.groupId}${name ? ` ${quote(name)}` : ''}${where}`;
    }
  }
}

/** `inbound TCP 8443 from sg-0abc "default" — "workers on default"`: names and descriptions quoted. */
export function describeRule(rule: Rule, names: Record<string, string> = {}): string {
  const direction = rule.direction === 'ingress' ? 'inbound' : 'outbound';
  const preposition = rule.direction === 'ingress' ? 'from' : 'to';
  const note = rule.description ? ` — ${quote(rule.description)}` : '';
  return `${direction} ${describeTraffic(rule)} ${preposition} ${describePeer(rule, names)}${note}`;
}

/** Who owns the interfaces, in the words of the "By owner" line. */
export const OWNER_KIND_WORDS: Record<OwnerKind, string> = {
  'ec2-instance': 'EC2 instance',
  'detached-interface': 'not attached',
  'nat-gateway': 'NAT gateway',
  'eks-cluster': 'EKS cluster',
  'opensearch-domain': 'OpenSearch domain',
  'sagemaker-domain': 'SageMaker domain',
  'other-managed': 'other service',
  ...SERVICE_OWNER_WORDS,
};

export interface PlanWordsOptions {
  /** Items listed per list (rules, interfaces, resources, references, reasons); all of them when absent. */
  limit?: number;
  /** Where the rest of a cut list is: "the full plan is on the approval page". */
  where?: string;
  /** Leave out the blocked reasons: the notice lists them itself, first. */
  withoutReasons?: boolean;
}

/**
 * The plan in plain lines: what uses the group (counted by owner), what references it, what changes before and
 * after approval. With `limit`, every list stops after that many items with "and N more — <where>"; the command
 * line's `plan` shows everything. Account text is quoted or escaped (handlers/core/untrusted.ts).
 */
export function describePlan(plan: Plan, options: PlanWordsOptions = {}): string[] {
  const limit = options.limit ?? Number.POSITIVE_INFINITY;
  const list = (items: readonly string[]) => boundedList(items, options.where ?? 'see the full plan', limit);
  const names: Record<string, string> = { [plan.defaultGroupId]: 'default' };
  for (const reference of plan.references) names[reference.groupId] = reference.groupName ?? reference.groupId;
  const lines = [
    `Default security group ${plan.defaultGroupId} of ${plan.vpcId} (account ${plan.accountId}, ${plan.region})`,
  ];
  if (plan.status === 'excluded') {
    lines.push(plainText(`Opted out, nothing to do: ${plan.reasons.join(' ')}`));
    return lines;
  }
  if (plan.status === 'compliant') {
    lines.push('It has no inbound or outbound rules: already compliant, nothing to do.');
    return lines;
  }
  lines.push('', `Its rules (${plan.defaultRules.length}), revoked after approval:`);
  lines.push(...list(plan.defaultRules.map((rule) => describeRule(rule, names))));
  lines.push('', `Used by ${plan.moves.length} network interface(s):`);
  if (plan.moves.length > 0) {
    lines.push(
      `  By owner: ${countsByKind(plan.moves, (move) => OWNER_KIND_WORDS[move.owner.kind] ?? move.owner.kind)}.`,
    );
  }
  const labels = new Map((plan.resourceMoves ?? []).map((move) => [resourceKey(move.resource), move.label]));
  lines.push(
    ...list(
      plan.moves.map((move) => {
        const via = (move.followsResources ?? []).map((key) => labels.get(key) ?? key);
        return `${move.networkInterfaceId}: ${move.owner.label}${via.length > 0 ? ` (moves with ${via.join(', ')})` : ''}`;
      }),
    ),
  );
  if (plan.moves.length === 0) lines.push('  (none: no replacement group is needed)');
  const left = plan.leftOnDefault ?? [];
  if (left.length > 0) {
    lines.push('', `Left on the default group (${left.length}), carrying no traffic (see the notes):`);
    lines.push(...list(left.map((interfaceLeft) => `${interfaceLeft.networkInterfaceId}: ${interfaceLeft.label}`)));
  }
  const resourceMoves = plan.resourceMoves ?? [];
  if (resourceMoves.length > 0) {
    lines.push('', `Moved through their own service (${resourceMoves.length}), their interfaces following:`);
    lines.push(`  By kind: ${countsByKind(resourceMoves, (move) => resourceKindLabel(move.resource.kind))}.`);
    lines.push(
      ...list(
        resourceMoves.map(
          (move) => `${move.label}: groups ${move.groupsBefore.join(', ')} (${move.interfaceIds.length} interface(s))`,
        ),
      ),
    );
  }
  const outside = plan.references.filter((reference) => reference.groupId !== plan.defaultGroupId);
  lines.push('', `Referenced by ${outside.length} rule(s) in other groups:`);
  lines.push(
    ...list(
      outside.map(
        (reference) =>
          `${reference.groupId}${reference.groupName ? ` ${quote(reference.groupName)}` : ''}: ${describeRule(reference.rule, names)}`,
      ),
    ),
  );
  const stacks = plan.stacks ?? [];
  if (stacks.length > 0 && plan.status !== 'blocked') {
    lines.push('', `CloudFormation stacks whose templates name the default group (${stacks.length}):`);
    lines.push(...list(stacks.map(describeStackUse)));
    lines.push(...stackTemplateChange(plan.defaultGroupId, plan.replacementName).map((line) => `  ${line}`));
  }
  if ((plan.notes ?? []).length > 0) lines.push('', 'Notes:', ...list(plan.notes ?? []));
  if (plan.status === 'blocked') {
    const count = `${plan.reasons.length} reason(s)`;
    if (options.withoutReasons) lines.push('', `BLOCKED — nothing will be changed (${count}, listed above).`);
    else lines.push('', `BLOCKED — nothing will be changed (${count}):`, ...list(plan.reasons));
    return lines;
  }
  lines.push('', 'Before approval (additive, reversible):');
  if (plan.replacementNeeded) {
    lines.push(`  1. create ${plan.replacementName} in ${plan.vpcId} with the same rules`);
    lines.push(`  2. add a twin rule referencing it next to each of the ${plan.references.length} reference(s)`);
    const direct = plan.moves.filter((move) => move.owner.mover === 'ec2-modify-network-interface').length;
    lines.push(
      resourceMoves.length > 0
        ? `  3. swap the default group for it on ${resourceMoves.length} resource(s) through their services and on ${direct} interface(s) through EC2, in ${plan.batches.length} batch(es)`
        : `  3. swap the default group for it on ${plan.moves.length} interface(s), in ${plan.batches.length} batch(es)`,
    );
  } else {
    lines.push('  nothing: the default group is unused');
  }
  lines.push('After approval:');
  lines.push(`  - revoke the default group's ${plan.defaultRules.length} rule(s)`);
  if (plan.replacementNeeded) lines.push('  - revoke the references to the default group that now have twins');
  lines.push(
    `  - tag it as CIS 5.4 recommends: Name "${MARK_TEXT}" (in place of any Name it has) and ${STATUS_TAG}; a rollback puts its tags back`,
  );
  return lines;
}
