/**
 * The EC2 part of the IAM policies, shared by the step functions' roles (remediation account) and the member role
 * (member accounts), so that both grant exactly the same actions under the same conditions.
 *
 * Scope, per kind of change (infra/steps.ts `Ec2Write`):
 * - resources are ARN patterns of the account that owns the role (`arn:<partition>:ec2:*:<account>:…`): the region is
 *   open because findings of every region arrive in the Security Hub aggregation region;
 * - every change to a security group's rules or the group itself requires `ec2:Vpc` to be a VPC of that account
 *   (https://docs.aws.amazon.com/vpc/latest/userguide/vpc-policy-examples.html#vpc-security-groups-iam): groups in
 *   VPCs shared by another account are out of reach;
 * - the copy is created only with the remediation tag in the request (`aws:RequestTag`, with `aws:TagKeys` limited to
 *   it and `Name`), CreateTags only within that CreateSecurityGroup call (`ec2:CreateAction`), and only groups that
 *   carry the tag (`aws:ResourceTag`) may have their rules changed by CreateReplacement or be deleted
 *   (https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/supported-iam-actions-tagging.html);
 * - the strip may tag groups only with the mark of core/marker.ts (`Name` = "DO NOT USE. DO NOT ADD RULES" and the
 *   status tag naming a remediation: `aws:RequestTag`, `aws:TagKeys`); the rollback may write back or delete only those
 *   two keys, and only on a group that carries the status tag (`aws:ResourceTag`);
 * - describe actions do not support resource-level permissions and are granted on `*`
 *   (https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonec2.html: the Describe* actions
 *   list no resource types; https://docs.aws.amazon.com/AWSEC2/latest/APIReference/ec2-api-permissions.html).
 * ModifyNetworkInterfaceAttribute is authorized against each resource of the request: the interface, every group of
 * the new list and, for an attached interface, its instance. One statement per resource type, so that each carries
 * only the condition keys its type has (Service Authorization Reference, Amazon EC2 resource types): `ec2:Vpc` (the
 * VPC's ARN) on the interface and on the groups, none on the instance (the instance type has no `ec2:Vpc`; a key
 * missing from the request context would deny every move). What remains possible is in docs/threat-model.md.
 */
import { Aws } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { MARK_KEYS, MARK_TEXT, markValue, STATUS_TAG } from '../handlers/core/marker.ts';
import { REMEDIATION_TAG } from '../handlers/steps/migrate.ts';
import type { Ec2Read, Ec2Write } from './steps.ts';

export { REMEDIATION_TAG };

export interface Ec2Grant {
  statements: iam.PolicyStatement[];
  /** cdk-nag IAM5 finding ids of the wildcards these statements introduce, with the reason for each. */
  wildcards: { finding: string; reason: string }[];
}

const RULE_CHANGES_ADD = [
  'ec2:AuthorizeSecurityGroupIngress',
  'ec2:AuthorizeSecurityGroupEgress',
  'ec2:UpdateSecurityGroupRuleDescriptionsIngress',
  'ec2:UpdateSecurityGroupRuleDescriptionsEgress',
];
const RULE_CHANGES_REVOKE = ['ec2:RevokeSecurityGroupIngress', 'ec2:RevokeSecurityGroupEgress'];

/** The ARN pattern of an EC2 resource type in `account`, any region. */
function arnOf(type: string, account: string): string {
  return `arn:${Aws.PARTITION}:ec2:*:${account}:${type}/*`;
}

/** `ec2:Vpc` is a VPC of `account` (the key holds the VPC's ARN). */
export function inVpcOf(account: string): Record<string, Record<string, string>> {
  return { ArnLike: { 'ec2:Vpc': `arn:${Aws.PARTITION}:ec2:*:${account}:vpc/*` } };
}

/** The same pattern as cdk-nag prints it in finding ids (tokens as `<AWS::…>`). */
function nagArnOf(type: string, accountLabel: string): string {
  return `Resource::arn:<AWS::Partition>:ec2:*:${accountLabel}:${type}/*`;
}

export function ec2Grant(
  reads: readonly Ec2Read[],
  writes: readonly Ec2Write[],
  account: string = Aws.ACCOUNT_ID,
  accountLabel = '<AWS::AccountId>',
): Ec2Grant {
  const statements: iam.PolicyStatement[] = [];
  const wildcards = new Map<string, string>();
  const inOwnVpc = inVpcOf(account);
  const tagged = { Null: { [`aws:ResourceTag/${REMEDIATION_TAG}`]: 'false' } };
  const groups = arnOf('security-group', account);
  const why = {
    groups:
      'Security group ids are created and discovered at run time (the default group of any VPC named by a finding, ' +
      'the groups referencing it, the copy); the pattern is limited to this account, and conditions limit it further.',
    vpcs: 'The copy is created in the VPC named by the finding, known only at run time; limited to this account.',
    interfaces:
      'The interfaces to move are discovered at run time; limited to this account (and to its groups and instances).',
  };

  const uniqueReads = [...new Set(reads)].sort();
  if (uniqueReads.length > 0) {
    statements.push(
      new iam.PolicyStatement({
        sid: 'Ec2DescribeNoResourceLevelPermissions',
        actions: uniqueReads.map((action) => `ec2:${action}`),
        resources: ['*'],
      }),
    );
    wildcards.set(
      'Resource::*',
      `EC2 ${uniqueReads.join(', ')} do not support resource-level permissions (the Service Authorization Reference lists no resource type for them), so they can only be granted on "*"; they are read-only.`,
    );
  }
  const has = (write: Ec2Write) => writes.includes(write);
  if (has('create-replacement')) {
    statements.push(
      new iam.PolicyStatement({
        sid: 'CreateTheCopyOnlyWithTheRemediationTag',
        actions: ['ec2:CreateSecurityGroup'],
        resources: [groups],
        conditions: {
          Null: { [`aws:RequestTag/${REMEDIATION_TAG}`]: 'false' },
          'ForAllValues:StringEquals': { 'aws:TagKeys': [REMEDIATION_TAG, 'Name'] },
        },
      }),
      new iam.PolicyStatement({
        sid: 'CreateTheCopyInThisAccountsVpcs',
        actions: ['ec2:CreateSecurityGroup'],
        resources: [arnOf('vpc', account)],
      }),
      new iam.PolicyStatement({
        sid: 'TagOnlyWhileCreatingTheCopy',
        actions: ['ec2:CreateTags'],
        resources: [groups],
        conditions: { StringEquals: { 'ec2:CreateAction': 'CreateSecurityGroup' } },
      }),
    );
    wildcards.set(nagArnOf('security-group', accountLabel), why.groups);
    wildcards.set(nagArnOf('vpc', accountLabel), why.vpcs);
  }
  if (has('replacement-rules')) {
    statements.push(
      new iam.PolicyStatement({
        sid: 'ChangeRulesOfTheTaggedCopyOnly',
        actions: [...RULE_CHANGES_ADD, ...RULE_CHANGES_REVOKE],
        resources: [groups],
        conditions: { ...tagged, ...inOwnVpc },
      }),
    );
    wildcards.set(nagArnOf('security-group', accountLabel), why.groups);
  }
  if (has('add-rules')) {
    statements.push(
      new iam.PolicyStatement({
        sid: 'AddRulesInThisAccountsVpcs',
        actions: RULE_CHANGES_ADD,
        resources: [groups],
        conditions: inOwnVpc,
      }),
    );
    wildcards.set(nagArnOf('security-group', accountLabel), why.groups);
  }
  if (has('revoke-rules')) {
    statements.push(
      new iam.PolicyStatement({
        sid: 'RevokeRulesInThisAccountsVpcs',
        actions: RULE_CHANGES_REVOKE,
        resources: [groups],
        conditions: inOwnVpc,
      }),
    );
    wildcards.set(nagArnOf('security-group', accountLabel), why.groups);
  }
  if (has('move-interfaces')) {
    statements.push(
      new iam.PolicyStatement({
        sid: 'SwapGroupsOnInterfacesOfThisAccountsVpcs',
        actions: ['ec2:ModifyNetworkInterfaceAttribute'],
        resources: [arnOf('network-interface', account)],
        conditions: inOwnVpc,
      }),
      new iam.PolicyStatement({
        sid: 'SwapInGroupsOfThisAccountsVpcs',
        actions: ['ec2:ModifyNetworkInterfaceAttribute'],
        resources: [groups],
        conditions: inOwnVpc,
      }),
      new iam.PolicyStatement({
        sid: 'SwapGroupsOnInterfacesAttachedToThisAccountsInstances',
        actions: ['ec2:ModifyNetworkInterfaceAttribute'],
        resources: [arnOf('instance', account)],
      }),
    );
    wildcards.set(nagArnOf('network-interface', accountLabel), why.interfaces);
    wildcards.set(nagArnOf('security-group', accountLabel), why.groups);
    wildcards.set(nagArnOf('instance', accountLabel), why.interfaces);
  }
  if (has('mark-default')) {
    statements.push(
      new iam.PolicyStatement({
        sid: 'TagTheStrippedGroupWithTheMarkOnly',
        actions: ['ec2:CreateTags'],
        resources: [groups],
        conditions: {
          ...inOwnVpc,
          StringEquals: { 'aws:RequestTag/Name': MARK_TEXT },
          StringLike: { [`aws:RequestTag/${STATUS_TAG}`]: markValue('*') },
          'ForAllValues:StringEquals': { 'aws:TagKeys': [...MARK_KEYS] },
        },
      }),
    );
    wildcards.set(nagArnOf('security-group', accountLabel), why.groups);
  }
  if (has('unmark-default')) {
    statements.push(
      new iam.PolicyStatement({
        sid: 'RestoreTheMarkedKeysOfMarkedGroupsOnly',
        actions: ['ec2:CreateTags', 'ec2:DeleteTags'],
        resources: [groups],
        conditions: {
          ...inOwnVpc,
          Null: { [`aws:ResourceTag/${STATUS_TAG}`]: 'false' },
          'ForAllValues:StringEquals': { 'aws:TagKeys': [...MARK_KEYS] },
        },
      }),
    );
    wildcards.set(nagArnOf('security-group', accountLabel), why.groups);
  }
  if (has('delete-replacement')) {
    statements.push(
      new iam.PolicyStatement({
        sid: 'DeleteTheTaggedCopyOnly',
        actions: ['ec2:DeleteSecurityGroup'],
        resources: [groups],
        conditions: { ...tagged, ...inOwnVpc },
      }),
    );
    wildcards.set(nagArnOf('security-group', accountLabel), why.groups);
  }
  return { statements, wildcards: [...wildcards].map(([finding, reason]) => ({ finding, reason })) };
}
