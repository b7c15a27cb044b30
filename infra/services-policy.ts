/**
 * IAM for the services that own requester-managed interfaces (handlers/adapters/aws/services.ts), shared by the step
 * roles and the member roles like infra/ec2-policy.ts. Per the Service Authorization Reference
 * (https://docs.aws.amazon.com/service-authorization/latest/reference/):
 * - `read`: the describe calls. lambda:ListFunctions, elasticloadbalancing:DescribeLoadBalancers and
 *   ec2:DescribeVpcEndpoints have no resource types and are granted on "*"; the others are scoped to this account's
 *   functions, DB instances and clusters, file systems and ElastiCache clusters / replication groups.
 * - `move`: the group changes, each on its own resource type in this account only, and each narrowed by the condition
 *   keys its service defines for the request (MOVER_CONDITIONS below, what they cannot guard in docs/threat-model.md).
 *   Changing a function's VpcConfig also needs ec2:DescribeSecurityGroups, DescribeSubnets and DescribeVpcs of the
 *   caller (https://docs.aws.amazon.com/lambda/latest/dg/configuration-vpc.html#configuration-vpc-permissions), on
 *   "*"; EFS also needs ec2:ModifyNetworkInterfaceAttribute on the mount target's interface, which the
 *   `move-interfaces` EC2 grant has.
 * Resource ids are discovered at run time, so each pattern is `<type>:*` / `<type>/*` in this account, any region
 * (findings of every region arrive in the aggregation region). A request naming another resource type (a DB parameter,
 * option or subnet group, an ElastiCache parameter or user group, an endpoint's route table or subnet) needs a grant on
 * that type too, which none of these statements gives.
 */
import { Aws } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { inVpcOf } from './ec2-policy.ts';

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

type Conditions = Record<string, Record<string, string>>;

/** ElastiCache keys set from a request's own parameters (elasticache:CacheNodeType, …): a move sets none of them. */
const CACHE_SETTINGS_UNCHANGED = {
  'elasticache:CacheNodeType': 'true',
  'elasticache:CacheParameterGroupName': 'true',
  'elasticache:EngineVersion': 'true',
  'elasticache:SnapshotRetentionLimit': 'true',
};

/**
 * The request condition keys each mover's change is narrowed by: everything the key lets us require of a group change
 * (the actions and their keys: Service Authorization Reference, and the pages cited per entry).
 */
export const MOVER_CONDITIONS: Record<string, Conditions> = {
  // lambda:Layer holds the layer versions a request names, lambda:VpcIds / SubnetIds / SecurityGroupIds its VPC
  // settings (https://docs.aws.amazon.com/lambda/latest/dg/lambda-api-permissions-ref.html,
  // https://docs.aws.amazon.com/lambda/latest/dg/configuration-vpc.html#vpc-conditions,
  // https://docs.aws.amazon.com/lambda/latest/dg/permissions-user-layer.html): the request must name no layer and
  // must keep the function in a VPC with subnets and groups (a move never detaches it).
  'lambda:UpdateFunctionConfiguration': {
    Null: {
      'lambda:Layer': 'true',
      'lambda:SecurityGroupIds': 'false',
      'lambda:SubnetIds': 'false',
      'lambda:VpcIds': 'false',
    },
  },
  // ModifyDBInstance has one request key, rds:ManageMasterUserPassword; its others describe the instance as it is
  // (https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonrds.html). IfExists: a request that
  // does not mention it passes whether RDS leaves the key out or sets it false.
  'rds:ModifyDBInstance': { BoolIfExists: { 'rds:ManageMasterUserPassword': 'false' } },
  // ModifyDBCluster's request keys also carry the class, storage size and IOPS a request asks for.
  'rds:ModifyDBCluster': {
    BoolIfExists: { 'rds:ManageMasterUserPassword': 'false' },
    Null: { 'rds:DatabaseClass': 'true', 'rds:Piops': 'true', 'rds:StorageSize': 'true' },
  },
  // elasticloadbalancing:SecurityGroup holds the groups a request sets: a move always names at least one.
  'elasticloadbalancing:SetSecurityGroups': { Null: { 'elasticloadbalancing:SecurityGroup': 'false' } },
  // ElastiCache keys from the request's parameters
  // (https://docs.aws.amazon.com/AmazonElastiCache/latest/dg/IAM.ConditionKeys.html): no new node type, engine version,
  // parameter group, snapshot retention, shard or replica count, and no new AUTH token (AuthTokenEnabled: a non-empty
  // AuthToken in the request).
  'elasticache:ModifyReplicationGroup': {
    Null: {
      ...CACHE_SETTINGS_UNCHANGED,
      'elasticache:NumNodeGroups': 'true',
      'elasticache:ReplicasPerNodeGroup': 'true',
    },
    BoolIfExists: { 'elasticache:AuthTokenEnabled': 'false' },
  },
  'elasticache:ModifyCacheCluster': {
    Null: CACHE_SETTINGS_UNCHANGED,
    BoolIfExists: { 'elasticache:AuthTokenEnabled': 'false' },
  },
};

export function servicesGrant(
  access: ServicesAccess,
  account: string = Aws.ACCOUNT_ID,
  accountLabel = '<AWS::AccountId>',
): ServicesGrant {
  const statements: iam.PolicyStatement[] = [];
  const wildcards = new Map<string, string>();
  const scoped = (sid: string, actions: string[], patterns: Pattern[], conditions?: Conditions) => {
    statements.push(
      new iam.PolicyStatement({
        sid,
        actions,
        resources: patterns.map((p) => p.arn(account)),
        ...(conditions ? { conditions } : {}),
      }),
    );
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
    const mover = (sid: string, action: string, patterns: Pattern[]) =>
      scoped(sid, [action], patterns, MOVER_CONDITIONS[action]);
    mover('MoveFunctionsByTheirVpcGroupsOnly', 'lambda:UpdateFunctionConfiguration', [FUNCTIONS]);
    mover('MoveDbInstances', 'rds:ModifyDBInstance', [DB_INSTANCES]);
    mover('MoveDbClusters', 'rds:ModifyDBCluster', [DB_CLUSTERS]);
    mover('MoveApplicationAndNetworkLoadBalancers', 'elasticloadbalancing:SetSecurityGroups', [ALBS, NLBS]);
    // ModifyMountTargetSecurityGroups changes nothing but the groups; EFS defines no request key for it.
    mover('MoveMountTargets', 'elasticfilesystem:ModifyMountTargetSecurityGroups', [FILE_SYSTEMS]);
    // ModifyVpcEndpoint is authorized against the endpoint and each group it adds or removes: the groups must be in
    // this account's VPCs (ec2:Vpc); the endpoint type has no ec2:Vpc key, so it stays limited by its ARN only.
    mover('MoveInterfaceEndpoints', 'ec2:ModifyVpcEndpoint', [ENDPOINTS]);
    scoped('MoveInterfaceEndpointsToGroupsOfThisAccountsVpcs', ['ec2:ModifyVpcEndpoint'], [GROUPS], inVpcOf(account));
    mover('MoveReplicationGroups', 'elasticache:ModifyReplicationGroup', [REPLICATION_GROUPS]);
    mover('MoveCacheClusters', 'elasticache:ModifyCacheCluster', [CACHE_CLUSTERS]);
  }
  return { statements, wildcards: [...wildcards].map(([finding, reason]) => ({ finding, reason })) };
}
