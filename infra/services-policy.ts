/**
 * IAM for the services that own requester-managed interfaces (handlers/adapters/aws/services.ts), shared by the step
 * roles and the member role like infra/ec2-policy.ts. Per the Service Authorization Reference
 * (https://docs.aws.amazon.com/service-authorization/latest/reference/):
 * - `read`: the describe calls. lambda:ListFunctions, elasticloadbalancing:DescribeLoadBalancers and
 *   ec2:DescribeVpcEndpoints have no resource types and are granted on "*"; the others are scoped to this account's
 *   functions, DB instances and clusters, file systems and ElastiCache clusters / replication groups.
 * - `move`: the group changes, each on its own resource type in this account only: lambda:UpdateFunctionConfiguration
 *   (function), rds:ModifyDBInstance (db) / rds:ModifyDBCluster (cluster), elasticloadbalancing:SetSecurityGroups
 *   (Application and Network Load Balancers only, not gateway ones), elasticfilesystem:ModifyMountTargetSecurityGroups
 *   (file-system; EFS also needs ec2:ModifyNetworkInterfaceAttribute on the mount target's interface, which the
 *   `move-interfaces` EC2 grant has), ec2:ModifyVpcEndpoint (vpc-endpoint, and the security groups it adds and
 *   removes), elasticache:ModifyReplicationGroup (replicationgroup) / ModifyCacheCluster (cluster). Changing a
 *   function's VpcConfig also needs ec2:DescribeSecurityGroups, DescribeSubnets and DescribeVpcs of the caller
 *   (https://docs.aws.amazon.com/lambda/latest/dg/configuration-vpc.html#configuration-vpc-permissions), on "*".
 * Resource ids are discovered at run time, so each pattern is `<type>:*` / `<type>/*` in this account, any region
 * (findings of every region arrive in the aggregation region).
 */
import { Aws } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';

export interface ServicesAccess {
  read?: boolean;
  move?: boolean;
}

export interface ServicesGrant {
  statements: iam.PolicyStatement[];
  /** cdk-nag IAM5 finding ids of the wildcards these statements introduce, with the reason for each. */
  wildcards: { finding: string; reason: string }[];
}

interface Pattern {
  arn: (account: string) => string;
  nag: (accountLabel: string) => string;
}

function pattern(service: string, resource: string): Pattern {
  return {
    arn: (account) => `arn:${Aws.PARTITION}:${service}:*:${account}:${resource}`,
    nag: (accountLabel) => `Resource::arn:<AWS::Partition>:${service}:*:${accountLabel}:${resource}`,
  };
}

const FUNCTIONS = pattern('lambda', 'function:*');
const DB_INSTANCES = pattern('rds', 'db:*');
const DB_CLUSTERS = pattern('rds', 'cluster:*');
const ALBS = pattern('elasticloadbalancing', 'loadbalancer/app/*/*');
const NLBS = pattern('elasticloadbalancing', 'loadbalancer/net/*/*');
const FILE_SYSTEMS = pattern('elasticfilesystem', 'file-system/*');
const ENDPOINTS = pattern('ec2', 'vpc-endpoint/*');
const GROUPS = pattern('ec2', 'security-group/*');
const CACHE_CLUSTERS = pattern('elasticache', 'cluster:*');
const REPLICATION_GROUPS = pattern('elasticache', 'replicationgroup:*');

const WHY =
  'The resources that own requester-managed interfaces on a default group (functions, databases, load balancers, ' +
  'mount targets, endpoints, caches) are discovered at run time; the pattern is limited to this account and to the ' +
  'one resource type the action needs.';

export const SERVICE_READ_ACTIONS_ON_ANY = [
  'ec2:DescribeVpcEndpoints',
  'elasticloadbalancing:DescribeLoadBalancers',
  'lambda:ListFunctions',
];
export const LAMBDA_VPC_CHANGE_DESCRIBES = ['ec2:DescribeSecurityGroups', 'ec2:DescribeSubnets', 'ec2:DescribeVpcs'];
export const SERVICE_MOVE_ACTIONS = [
  'ec2:ModifyVpcEndpoint',
  'elasticache:ModifyCacheCluster',
  'elasticache:ModifyReplicationGroup',
  'elasticfilesystem:ModifyMountTargetSecurityGroups',
  'elasticloadbalancing:SetSecurityGroups',
  'lambda:UpdateFunctionConfiguration',
  'rds:ModifyDBCluster',
  'rds:ModifyDBInstance',
];

export function servicesGrant(
  access: ServicesAccess,
  account: string = Aws.ACCOUNT_ID,
  accountLabel = '<AWS::AccountId>',
): ServicesGrant {
  const statements: iam.PolicyStatement[] = [];
  const wildcards = new Map<string, string>();
  const scoped = (sid: string, actions: string[], patterns: Pattern[]) => {
    statements.push(new iam.PolicyStatement({ sid, actions, resources: patterns.map((p) => p.arn(account)) }));
    for (const p of patterns) wildcards.set(p.nag(accountLabel), WHY);
  };
  if (access.read || access.move) {
    const onAny = [...SERVICE_READ_ACTIONS_ON_ANY, ...(access.move ? LAMBDA_VPC_CHANGE_DESCRIBES : [])];
    statements.push(
      new iam.PolicyStatement({
        sid: 'ServiceDescribesWithoutResourceLevelPermissions',
        actions: [...new Set(onAny)].sort(),
        resources: ['*'],
      }),
    );
    wildcards.set(
      'Resource::*',
      `${onAny.join(', ')} have no resource-level permissions (Service Authorization Reference) and are read-only.`,
    );
    scoped('ReadFunctionConfigurations', ['lambda:GetFunctionConfiguration'], [FUNCTIONS]);
    scoped('ReadDatabases', ['rds:DescribeDBInstances', 'rds:DescribeDBClusters'], [DB_INSTANCES, DB_CLUSTERS]);
    scoped(
      'ReadMountTargets',
      ['elasticfilesystem:DescribeMountTargets', 'elasticfilesystem:DescribeMountTargetSecurityGroups'],
      [FILE_SYSTEMS],
    );
    scoped(
      'ReadCaches',
      ['elasticache:DescribeCacheClusters', 'elasticache:DescribeReplicationGroups'],
      [CACHE_CLUSTERS, REPLICATION_GROUPS],
    );
  }
  if (access.move) {
    scoped('MoveFunctions', ['lambda:UpdateFunctionConfiguration'], [FUNCTIONS]);
    scoped('MoveDbInstances', ['rds:ModifyDBInstance'], [DB_INSTANCES]);
    scoped('MoveDbClusters', ['rds:ModifyDBCluster'], [DB_CLUSTERS]);
    scoped('MoveApplicationAndNetworkLoadBalancers', ['elasticloadbalancing:SetSecurityGroups'], [ALBS, NLBS]);
    scoped('MoveMountTargets', ['elasticfilesystem:ModifyMountTargetSecurityGroups'], [FILE_SYSTEMS]);
    scoped('MoveInterfaceEndpoints', ['ec2:ModifyVpcEndpoint'], [ENDPOINTS, GROUPS]);
    scoped('MoveReplicationGroups', ['elasticache:ModifyReplicationGroup'], [REPLICATION_GROUPS]);
    scoped('MoveCacheClusters', ['elasticache:ModifyCacheCluster'], [CACHE_CLUSTERS]);
  }
  return { statements, wildcards: [...wildcards].map(([finding, reason]) => ({ finding, reason })) };
}
