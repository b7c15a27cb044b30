/**
 * The IAM the flow log reads need, next to the calls that need it (finder.ts, s3.ts, insights.ts), as data: the
 * tighten steps' roles get it from infra/flow-logs-policy.ts, which turns it into statements. Per the Service
 * Authorization Reference (https://docs.aws.amazon.com/service-authorization/latest/reference/):
 * - EC2 DescribeFlowLogs and DescribeNetworkInterfaces (the members' subnets) list no resource type: on "*";
 * - CloudWatch Logs StartQuery requires the `log-group` resource type
 *   (`arn:<partition>:logs:<region>:<account>:log-group:<name>`); GetQueryResults names a query id, not a log group,
 *   and is granted on "*" (assumed from the reference's table: no resource type listed for it);
 * - S3 ListBucket on the bucket (`arn:<partition>:s3:::<bucket>`), narrowed by `s3:prefix` to the flow log folders
 *   (`[folder/]AWSLogs/…`, the layout of https://docs.aws.amazon.com/vpc/latest/userguide/flow-logs-s3-path.html),
 *   and GetObject on the objects under them (`<bucket>/…AWSLogs/…`).
 */
export const FLOW_LOG_READ_ACCESS = {
  ec2OnAny: ['ec2:DescribeFlowLogs', 'ec2:DescribeNetworkInterfaces'],
  logsOnAny: ['logs:GetQueryResults'],
  logsOnLogGroups: ['logs:StartQuery'],
  s3OnBuckets: ['s3:ListBucket'],
  s3OnObjects: ['s3:GetObject'],
  /** `s3:prefix` values ListBucket is limited to: the flow log folders, at the bucket's root or under a folder. */
  listPrefixes: ['AWSLogs/*', '*/AWSLogs/*'],
  /** Object keys GetObject is limited to. */
  objectKeys: '*AWSLogs/*',
} as const;
