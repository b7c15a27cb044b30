/**
 * IAM for reading flow logs (issue 14, the tighten workflow's "propose" step, and the member role when it reads a
 * member account's logs): the data of handlers/adapters/flow-logs/iam.ts as statements, shaped like ec2Grant and
 * servicesGrant (statements plus the cdk-nag IAM5 wildcards they introduce, each with its reason). infra/account-grant.ts
 * adds it for a step whose access says `flowLogs` (ProposeTightening), to its own role and to its member role.
 *
 * Buckets: by default any bucket of this account (`s3:ResourceAccount`), because a flow log's bucket is known only
 * from DescribeFlowLogs at run time; `buckets` names them instead (and is the way to reach a central logging
 * account's bucket, whose bucket policy must also allow this role). Log groups: any of this account, any region.
 */
import { Aws } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { FLOW_LOG_READ_ACCESS as ACCESS } from '../handlers/adapters/flow-logs/iam.ts';

export interface FlowLogsGrantOptions {
  /** The buckets flow logs write to; default any bucket of this account. */
  buckets?: readonly string[];
}

export interface FlowLogsGrant {
  statements: iam.PolicyStatement[];
  /** cdk-nag IAM5 finding ids of the wildcards these statements introduce, with the reason for each. */
  wildcards: { finding: string; reason: string }[];
}

/** An S3 bucket name (general purpose buckets: 3–63 lowercase letters, digits, dots and hyphens). */
export const BUCKET_NAME = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

export function flowLogsGrant(
  options: FlowLogsGrantOptions = {},
  account: string = Aws.ACCOUNT_ID,
  accountLabel = '<AWS::AccountId>',
): FlowLogsGrant {
  for (const bucket of options.buckets ?? [])
    if (!BUCKET_NAME.test(bucket)) throw new Error(`flowLogsGrant: ${JSON.stringify(bucket)} is not a bucket name`);
  const named = options.buckets && options.buckets.length > 0 ? [...new Set(options.buckets)].sort() : undefined;
  const buckets = named ?? ['*'];
  const ownAccount = named ? {} : { StringEquals: { 's3:ResourceAccount': account } };
  const statements = [
    new iam.PolicyStatement({
      sid: 'DescribeFlowLogsNoResourceLevelPermissions',
      actions: [...ACCESS.ec2OnAny, ...ACCESS.logsOnAny],
      resources: ['*'],
    }),
    new iam.PolicyStatement({
      sid: 'QueryLogGroupsOfThisAccount',
      actions: [...ACCESS.logsOnLogGroups],
      resources: [`arn:${Aws.PARTITION}:logs:*:${account}:log-group:*`],
    }),
    new iam.PolicyStatement({
      sid: 'ListFlowLogFoldersOnly',
      actions: [...ACCESS.s3OnBuckets],
      resources: buckets.map((bucket) => `arn:${Aws.PARTITION}:s3:::${bucket}`),
      conditions: { ...ownAccount, StringLike: { 's3:prefix': [...ACCESS.listPrefixes] } },
    }),
    new iam.PolicyStatement({
      sid: 'ReadFlowLogObjectsOnly',
      actions: [...ACCESS.s3OnObjects],
      resources: buckets.map((bucket) => `arn:${Aws.PARTITION}:s3:::${bucket}/${ACCESS.objectKeys}`),
      ...(named ? {} : { conditions: ownAccount }),
    }),
  ];
  const wildcards = [
    {
      finding: 'Resource::*',
      reason:
        'EC2 DescribeFlowLogs and DescribeNetworkInterfaces, and CloudWatch Logs GetQueryResults, list no resource type in the Service Authorization Reference: they can only be granted on "*"; they are read-only.',
    },
    {
      finding: `Resource::arn:<AWS::Partition>:logs:*:${accountLabel}:log-group:*`,
      reason:
        "A flow log's log group is known only from DescribeFlowLogs at run time; StartQuery is limited to this account's log groups and only reads.",
    },
    ...buckets.map((bucket) => ({
      finding: `Resource::arn:<AWS::Partition>:s3:::${bucket}/${ACCESS.objectKeys}`,
      reason:
        'Flow log objects are named by the service per day and interval; reading is limited to the AWSLogs/ folders.',
    })),
    ...(named
      ? []
      : [
          {
            finding: 'Resource::arn:<AWS::Partition>:s3:::*',
            reason:
              "A flow log's bucket is known only from DescribeFlowLogs at run time; limited to this account's buckets (s3:ResourceAccount) and to listing the AWSLogs/ folders.",
          },
        ]),
  ];
  return { statements, wildcards };
}
