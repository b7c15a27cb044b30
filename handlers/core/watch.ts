/**
 * The watcher's decisions, pure: which EC2 calls recorded by CloudTrail could put something back on a stripped default
 * group, which groups a call touched, who made it, and the notice that says so and offers the remediation again.
 *
 * CloudTrail records a call's `requestParameters` and `responseElements` in the EC2 Query API's shapes, lists as
 * `{ items: [...] }` (https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-event-reference-record-contents.html),
 * and EventBridge delivers the record as the `detail` of an "AWS API Call via CloudTrail" event
 * (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-service-event-cloudtrail.html). The event pattern can
 * name the calls but cannot read a group's tags, so the handler reads the groups a call names and asks
 * {@link strippedGroups} which of them carry the mark (core/marker.ts).
 */
import type { IpPermission, SecurityGroup } from './ec2-shapes.ts';
import { GROUP_ID } from './finding.ts';
import { STATUS_TAG, strippedBy, tagValue } from './marker.ts';
import { describeRule } from './messages.ts';
import { boundedList, cleanSubject, composeNotice, NOTICE_LIST_LIMIT } from './notices.ts';
import { type Direction, explode } from './rules.ts';
import { plainText, quote } from './untrusted.ts';

/**
 * The calls that add a rule to a group, or put a group on a network interface (and so an instance, a task… on it):
 * https://docs.aws.amazon.com/AWSEC2/latest/APIReference/ (AuthorizeSecurityGroupIngress/Egress,
 * ModifySecurityGroupRules, ModifyNetworkInterfaceAttribute, ModifyInstanceAttribute, CreateNetworkInterface,
 * RunInstances — which uses the VPC's default group when no group is named).
 */
export const WATCHED_CALLS = [
  'AuthorizeSecurityGroupIngress',
  'AuthorizeSecurityGroupEgress',
  'ModifySecurityGroupRules',
  'ModifyNetworkInterfaceAttribute',
  'ModifyInstanceAttribute',
  'CreateNetworkInterface',
  'RunInstances',
] as const;

export type WatchedCall = (typeof WATCHED_CALLS)[number];

export function isWatchedCall(name: string): name is WatchedCall {
  return (WATCHED_CALLS as readonly string[]).includes(name);
}

/** CloudTrail's `userIdentity` (https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-event-reference-user-identity.html). */
export interface CallerIdentity {
  type?: string;
  arn?: string;
  accountId?: string;
  principalId?: string;
  userName?: string;
  invokedBy?: string;
  sessionContext?: { sessionIssuer?: { type?: string; arn?: string; userName?: string; accountId?: string } };
}

/** The fields of a CloudTrail record the watcher reads. */
export interface CloudTrailCall {
  eventName: string;
  eventTime?: string;
  eventID?: string;
  awsRegion: string;
  recipientAccountId?: string;
  sourceIPAddress?: string;
  userAgent?: string;
  errorCode?: string;
  userIdentity?: CallerIdentity;
  requestParameters?: unknown;
  responseElements?: unknown;
}

type Json = Record<string, unknown>;

function object(value: unknown): Json | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Json) : undefined;
}

/** `{ items: [...] }` → the items (objects only). */
function items(value: unknown): Json[] {
  const list = object(value)?.items;
  return Array.isArray(list) ? list.map(object).filter((item): item is Json => item !== undefined) : [];
}

function text(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/** Group ids of a `groupSet` (`{ items: [{ groupId }] }`). */
function groupSet(value: unknown): string[] {
  return items(value).flatMap((item) => {
    const id = text(item.groupId);
    return id && GROUP_ID.test(id) ? [id] : [];
  });
}

/** The `ModifySecurityGroupRulesRequest` of a ModifySecurityGroupRules record, as CloudTrail writes it. */
function modifyRulesRequest(call: CloudTrailCall): Json | undefined {
  return object(object(call.requestParameters)?.ModifySecurityGroupRulesRequest);
}

/**
 * The groups the call added a rule to or put on an interface (never a group a rule merely references). Read from the
 * request and, where the request may leave it out, the response: an Authorize by group name (default VPC) names the
 * group in its rules' answer; CreateNetworkInterface and RunInstances without a group get the VPC's default group,
 * which only the answer shows.
 */
export function groupsTouched(call: CloudTrailCall): string[] {
  const request = object(call.requestParameters) ?? {};
  const response = object(call.responseElements) ?? {};
  const found: string[] = [];
  const add = (...ids: (string | undefined)[]) => {
    for (const id of ids) if (id && GROUP_ID.test(id) && !found.includes(id)) found.push(id);
  };
  switch (call.eventName) {
    case 'AuthorizeSecurityGroupIngress':
    case 'AuthorizeSecurityGroupEgress':
      add(text(request.groupId), ...items(response.securityGroupRuleSet).map((rule) => text(rule.groupId)));
      break;
    case 'ModifySecurityGroupRules':
      add(text(modifyRulesRequest(call)?.GroupId), text(request.groupId));
      break;
    case 'ModifyNetworkInterfaceAttribute':
    case 'ModifyInstanceAttribute':
      add(...groupSet(request.groupSet));
      break;
    case 'CreateNetworkInterface':
      add(...groupSet(request.groupSet), ...groupSet(object(response.networkInterface)?.groupSet));
      break;
    case 'RunInstances':
      add(...groupSet(request.groupSet));
      for (const eni of items(request.networkInterfaceSet)) add(...groupSet(eni.groupSet));
      for (const instance of items(object(response.instancesSet))) {
        add(...groupSet(instance.groupSet));
        for (const eni of items(instance.networkInterfaceSet)) add(...groupSet(eni.groupSet));
      }
      break;
  }
  return found;
}

/** The deployment's own roles, whose calls are the workflow's (a rollback moving interfaces back, a new run's twins). */
export interface OwnRoles {
  /** The remediation account: its step roles are `DefaultSgRemediation-<Step>-<region>` (infra/steps.ts). */
  remediationAccountId?: string;
  /** `memberRoleName`: the member roles are `<memberRoleName>-<Step>` in any account. */
  memberRolePrefix?: string;
}

const STEP_ROLE = /^DefaultSgRemediation-[A-Za-z]+-[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d{1,2}$/;

/**
 * Whether the call was made by one of this deployment's roles: an assumed role whose issuer is a step role of the
 * remediation account or a member role (`<prefix>-<Step>`). Role names are unique in an account and these are the
 * deployment's own, so a look-alike needs a role of that very name in that account.
 */
export function isOwnCall(identity: CallerIdentity | undefined, own: OwnRoles): boolean {
  const issuer = identity?.sessionContext?.sessionIssuer;
  if (identity?.type !== 'AssumedRole' || issuer?.type !== 'Role') return false;
  const match = /^arn:[a-z-]+:iam::(\d{12}):role\/(?:[^/]+\/)*([^/]+)$/.exec(issuer.arn ?? '');
  if (!match) return false;
  const [, account, name] = match as unknown as [string, string, string];
  if (own.remediationAccountId && account === own.remediationAccountId && STEP_ROLE.test(name)) return true;
  const prefix = own.memberRolePrefix;
  return prefix !== undefined && name.startsWith(`${prefix}-`) && /^[A-Za-z]+$/.test(name.slice(prefix.length + 1));
}

/** Who made the call, in words: the principal's ARN, the role it assumed, the service that called for it. */
export function describeCaller(identity: CallerIdentity | undefined): string {
  if (!identity) return 'an unknown caller (the record has no userIdentity)';
  const parts = [identity.arn ? quote(identity.arn, 256) : `a ${quote(identity.type ?? 'unknown')} identity`];
  const issuer = identity.sessionContext?.sessionIssuer?.arn;
  if (issuer && issuer !== identity.arn) parts.push(`(role ${quote(issuer, 256)})`);
  if (identity.invokedBy) parts.push(`through ${quote(identity.invokedBy)}`);
  return parts.join(' ');
}

/** CloudTrail's IpPermission items (`ipProtocol`, `ipRanges.items[].cidrIp`, …) as the API's IpPermission. */
function ipPermissions(value: unknown): IpPermission[] {
  return items(value).map((item) => {
    const permission: IpPermission = { IpProtocol: text(item.ipProtocol) ?? String(item.ipProtocol ?? '-1') };
    if (typeof item.fromPort === 'number') permission.FromPort = item.fromPort;
    if (typeof item.toPort === 'number') permission.ToPort = item.toPort;
    const described = (entry: Json) => (text(entry.description) ? { Description: text(entry.description) } : {});
    permission.IpRanges = items(item.ipRanges).map((range) => ({ CidrIp: text(range.cidrIp), ...described(range) }));
    permission.Ipv6Ranges = items(item.ipv6Ranges).map((range) => ({
      CidrIpv6: text(range.cidrIpv6),
      ...described(range),
    }));
    permission.PrefixListIds = items(item.prefixListIds).map((list) => ({
      PrefixListId: text(list.prefixListId),
      ...described(list),
    }));
    permission.UserIdGroupPairs = items(item.groups).map((pair) => ({
      GroupId: text(pair.groupId),
      ...(text(pair.userId) ? { UserId: text(pair.userId) } : {}),
      ...described(pair),
    }));
    return permission;
  });
}

/** `sg-a, sg-b` of a groupSet, or `(none)`. */
function groupList(value: unknown): string {
  return groupSet(value).join(', ') || '(none)';
}

/** Whether the call adds or changes a rule (the group fails EC2.2 again), rather than putting something on the group. */
export function isRuleCall(eventName: string): boolean {
  return eventName.startsWith('Authorize') || eventName === 'ModifySecurityGroupRules';
}

/** What the call did to `groupId`, in words: the rules it added, the interfaces or instances it put on the group. */
export function describeCall(call: CloudTrailCall, groupId: string): { summary: string; details: string[] } {
  const request = object(call.requestParameters) ?? {};
  const response = object(call.responseElements) ?? {};
  switch (call.eventName) {
    case 'AuthorizeSecurityGroupIngress':
    case 'AuthorizeSecurityGroupEgress': {
      const direction: Direction = call.eventName === 'AuthorizeSecurityGroupIngress' ? 'ingress' : 'egress';
      const rules = explode(ipPermissions(request.ipPermissions), direction).map((rule) => describeRule(rule));
      return {
        summary: `${call.eventName} added ${rules.length || 'an unknown number of'} rule(s) to ${groupId}`,
        details: rules,
      };
    }
    case 'ModifySecurityGroupRules': {
      const changed = [modifyRulesRequest(call)?.SecurityGroupRule ?? request.securityGroupRuleSet]
        .flatMap((entry) => (Array.isArray(entry) ? entry : [entry]))
        .map(object)
        .filter((entry): entry is Json => entry !== undefined)
        .map((entry) => {
          const id = text(entry.SecurityGroupRuleId) ?? 'a rule';
          const rule = object(entry.SecurityGroupRule) ?? {};
          const fields = [
            'IpProtocol',
            'FromPort',
            'ToPort',
            'CidrIpv4',
            'CidrIpv6',
            'PrefixListId',
            'ReferencedGroupId',
          ]
            .filter((field) => rule[field] !== undefined)
            .map((field) => `${field} ${String(rule[field])}`);
          return `${id} now ${fields.join(', ') || 'as given in the request'}`;
        });
      return { summary: `ModifySecurityGroupRules changed rule(s) of ${groupId}`, details: changed };
    }
    case 'ModifyNetworkInterfaceAttribute':
      return {
        summary: `ModifyNetworkInterfaceAttribute put ${text(request.networkInterfaceId) ?? 'an interface'} on ${groupId}`,
        details: [`Its groups are now: ${groupList(request.groupSet)}.`],
      };
    case 'ModifyInstanceAttribute':
      return {
        summary: `ModifyInstanceAttribute put instance ${text(request.instanceId) ?? '(unknown)'} on ${groupId}`,
        details: [`Its groups are now: ${groupList(request.groupSet)}.`],
      };
    case 'CreateNetworkInterface': {
      const eni = object(response.networkInterface) ?? {};
      return {
        summary: `CreateNetworkInterface created ${text(eni.networkInterfaceId) ?? 'an interface'} on ${groupId}`,
        details: [
          `In subnet ${text(eni.subnetId) ?? text(request.subnetId) ?? '(unknown)'}, groups ${groupList(eni.groupSet ?? request.groupSet)}.`,
          ...(request.groupSet === undefined ? ['The request named no group: EC2 used the VPC default group.'] : []),
        ],
      };
    }
    case 'RunInstances': {
      const launched = items(object(response.instancesSet)).filter(
        (instance) =>
          groupSet(instance.groupSet).includes(groupId) ||
          items(instance.networkInterfaceSet).some((eni) => groupSet(eni.groupSet).includes(groupId)),
      );
      const ids = launched.map((instance) => text(instance.instanceId) ?? '(unknown id)');
      return {
        summary: `RunInstances launched ${ids.length || 'an unknown number of'} instance(s) on ${groupId}`,
        details: ids.map((id) => `instance ${id}`),
      };
    }
    default:
      return { summary: `${call.eventName} changed ${groupId}`, details: [] };
  }
}

/** A default group of the call that carries the mark: what the notice is about. */
export interface StrippedGroup {
  groupId: string;
  vpcId?: string;
  /** The remediation the status tag names. */
  remediationId: string;
}

/** The groups among those read that are default groups carrying the mark (core/marker.ts). */
export function strippedGroups(groups: readonly SecurityGroup[]): StrippedGroup[] {
  return groups.flatMap((group) => {
    const remediationId = strippedBy(tagValue(group.Tags, STATUS_TAG));
    if (group.GroupName !== 'default' || !group.GroupId || remediationId === undefined) return [];
    return [{ groupId: group.GroupId, ...(group.VpcId ? { vpcId: group.VpcId } : {}), remediationId }];
  });
}

/**
 * The notice: what happened to which stripped group, who did it, when and from where (head, never cut), then how to
 * remediate again or roll back, then the call's parameters in words (bounded). Everything from the record is account
 * text and is quoted or escaped (core/untrusted.ts, core/notices.ts).
 */
export function watchNotice(
  call: CloudTrailCall,
  accountId: string,
  stripped: StrippedGroup,
  /** The remediation's copy of the group, when it made one and it still exists: where a resource put on it belongs. */
  copy?: { groupId: string; groupName?: string },
): { subject: string; message: string } {
  const { summary, details } = describeCall(call, stripped.groupId);
  const rule = isRuleCall(call.eventName);
  const what = rule ? 'A rule was added to' : 'Something was put on';
  const where = `the EC2 call's CloudTrail record (event ${call.eventID ?? 'id unknown'})`;
  const rollback = `the "Roll back EC2.2" action, or npm run cli -- rollback --remediation ${stripped.remediationId}`;
  const copyWords = copy ? `${copy.groupId}${copy.groupName ? ` ${quote(copy.groupName)}` : ''}` : undefined;
  const advice = rule
    ? [
        `To strip it again: run the Security Hub custom action "Remediate EC2.2" on its EC2.2 finding, which turns FAILED again once AWS Config records the change, or: npm run cli -- remediate --group ${stripped.groupId} (with credentials for ${accountId}, AWS_REGION=${call.awsRegion}). The run moves whatever now uses the group to a copy first.`,
        `If the group is needed again, roll the remediation back instead of adding rules by hand: ${rollback}.`,
      ]
    : [
        `It gets no traffic through the default group, which has no rules: give it a group of its own${copyWords ? ` (the remediation's copy ${copyWords} holds the rules the default group had)` : ''}, and name that group in whatever launched it (launch template, Auto Scaling group, service), or the next launch lands here again.`,
        `A new remediation would not move it: a default group without rules passes EC2.2. If the default group is needed again, roll the remediation back: ${rollback}.`,
      ];
  const head = [
    `${what} the stripped default group ${stripped.groupId}${stripped.vpcId ? ` of ${stripped.vpcId}` : ''} in ${accountId} ${call.awsRegion}, marked DO NOT USE by remediation ${stripped.remediationId}.`,
    `What: ${plainText(summary)}.`,
    `Who: ${describeCaller(call.userIdentity)}.`,
    `When: ${quote(call.eventTime ?? 'unknown')}, from ${quote(call.sourceIPAddress ?? 'an unknown address')}.`,
    ...advice,
    'This message has no links.',
  ];
  const body = [
    '',
    rule ? `Rules (${details.length}):` : 'Details:',
    ...boundedList(details, `see ${where}`, NOTICE_LIST_LIMIT),
    '',
    `CloudTrail event ${call.eventID ?? '(no id)'}, user agent ${quote(call.userAgent ?? 'unknown', 200)}.`,
  ];
  return {
    subject: cleanSubject(
      `EC2.2: ${rule ? 'rule added to' : 'resource put on'} stripped default group ${stripped.groupId}`,
    ),
    message: composeNotice({ head, body, where }),
  };
}
