/**
 * Everything a step may call in the finding's account, from its access list (infra/steps.ts): the EC2 part
 * (infra/ec2-policy.ts), the services owning interfaces (infra/services-policy.ts) and the Service Quotas reads. The
 * step's own role (remediation account) and the step's member role (member accounts) are both built from this one
 * function, so that a step may do exactly the same in either.
 */
import { Aws } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { ec2Grant } from './ec2-policy.ts';
import { flowLogsGrant } from './flow-logs-policy.ts';
import { servicesGrant } from './services-policy.ts';
import type { Access } from './steps.ts';

export interface AccountGrant {
  statements: iam.PolicyStatement[];
  /** cdk-nag IAM5 finding ids of the wildcards these statements introduce, with the reason for each. */
  wildcards: { finding: string; reason: string }[];
}

/**
 * The applied and default values of the rules-per-group and groups-per-interface quotas
 * (https://docs.aws.amazon.com/servicequotas/2019-06-24/apireference/API_GetServiceQuota.html,
 * API_GetAWSDefaultServiceQuota.html).
 */
export const QUOTA_READ_ACTIONS = ['servicequotas:GetAWSDefaultServiceQuota', 'servicequotas:GetServiceQuota'];

/** What the deployment says about the account's resources, beyond the step's access list. */
export interface AccountGrantOptions {
  /** The buckets flow logs are read from (config `flowLogBuckets`); empty: any bucket of the account. */
  flowLogBuckets?: readonly string[];
}

export function accountGrant(
  access: Access,
  account: string = Aws.ACCOUNT_ID,
  accountLabel = '<AWS::AccountId>',
  options: AccountGrantOptions = {},
): AccountGrant {
  const ec2 =
    access.ec2Read?.length || access.ec2Write?.length
      ? ec2Grant(access.ec2Read ?? [], access.ec2Write ?? [], account, accountLabel)
      : { statements: [], wildcards: [] };
  const services = access.services ? servicesGrant(access.services, account, accountLabel) : undefined;
  const statements = [...ec2.statements, ...(services?.statements ?? [])];
  const reasons = new Map<string, string[]>();
  const because = (finding: string, reason: string) => reasons.set(finding, [...(reasons.get(finding) ?? []), reason]);
  for (const { finding, reason } of [...ec2.wildcards, ...(services?.wildcards ?? [])]) because(finding, reason);
  if (access.quotas) {
    statements.push(
      new iam.PolicyStatement({
        sid: 'ReadTheVpcQuotasAsTheAccountHasThem',
        actions: QUOTA_READ_ACTIONS,
        resources: ['*'],
      }),
    );
    because(
      'Resource::*',
      'Service Quotas GetServiceQuota and GetAWSDefaultServiceQuota are read-only and granted on "*": the quotas read are AWS-defined codes (VPC rules per group, groups per interface), not resources of this deployment.',
    );
  }
  if (access.stacks) {
    // DescribeStacks is authorized on the stack (resource type `stack`,
    // https://docs.aws.amazon.com/service-authorization/latest/reference/list_awscloudformation.html): any stack of
    // this account, any Region; the names come from the resources' tags at run time.
    const stacks = `arn:${Aws.PARTITION}:cloudformation:*:${account}:stack/*/*`;
    statements.push(
      new iam.PolicyStatement({
        sid: 'ReadTheStacksThatManageWhatMoved',
        actions: ['cloudformation:DescribeStacks'],
        resources: [stacks],
      }),
    );
    because(
      `Resource::arn:<AWS::Partition>:cloudformation:*:${accountLabel}:stack/*/*`,
      "The stacks read are named by the moved resources' aws:cloudformation:stack-name tags, known only at run time; DescribeStacks is read-only and limited to stacks of this account.",
    );
  }
  if (access.flowLogs) {
    const flowLogs = flowLogsGrant(
      options.flowLogBuckets?.length ? { buckets: options.flowLogBuckets } : {},
      account,
      accountLabel,
    );
    statements.push(...flowLogs.statements);
    for (const { finding, reason } of flowLogs.wildcards) because(finding, reason);
  }
  const wildcards = [...reasons].map(([finding, all]) => ({ finding, reason: [...new Set(all)].join(' ') }));
  return { statements, wildcards };
}
