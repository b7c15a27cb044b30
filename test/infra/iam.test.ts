/**
 * Least privilege, checked on the synthesized templates: no wildcard actions anywhere, each function exactly the
 * actions its handler calls, EC2 changes under their conditions, Step Functions callbacks and AssumeRole scoped.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { REMEDIATION_TAG } from '../../infra/ec2-policy.ts';
import { EC2_STEPS, STEP_NAMES } from '../../infra/steps.ts';
import {
  actionsOf,
  allStatements,
  logicalId,
  resourcesOf,
  roleStatements,
  type Statement,
  type Synthesized,
  synthesize,
} from './synth.ts';

let s: Synthesized;
beforeAll(() => {
  s = synthesize();
});

const stepStatements = (step: string) =>
  roleStatements(s.remediationTemplate, logicalId(s.remediationTemplate, 'AWS::IAM::Role', `${step}StepRole`));
const actionsOfStep = (step: string) => [...new Set(stepStatements(step).flatMap(actionsOf))].sort();

const BASE = ['logs:CreateLogStream', 'logs:PutLogEvents', 'xray:PutTelemetryRecords', 'xray:PutTraceSegments'];
const DESCRIBE_GROUPS = 'ec2:DescribeSecurityGroups';
const DESCRIBE_ENIS = 'ec2:DescribeNetworkInterfaces';
const DESCRIBE_REFS = 'ec2:DescribeSecurityGroupReferences';
const ADD = [
  'ec2:AuthorizeSecurityGroupEgress',
  'ec2:AuthorizeSecurityGroupIngress',
  'ec2:UpdateSecurityGroupRuleDescriptionsEgress',
  'ec2:UpdateSecurityGroupRuleDescriptionsIngress',
];
const REVOKE = ['ec2:RevokeSecurityGroupEgress', 'ec2:RevokeSecurityGroupIngress'];
const ASSUME = 'sts:AssumeRole';
/** What the planner and the re-check read besides groups, interfaces and references: prefix lists, stale rules,
 * peering connections, and the VPC quotas as the account has them. */
const PLAN_READS = [
  'ec2:DescribeManagedPrefixLists',
  'ec2:DescribeStaleSecurityGroups',
  'ec2:DescribeVpcPeeringConnections',
  'servicequotas:GetAWSDefaultServiceQuota',
  'servicequotas:GetServiceQuota',
];
/** The owners of requester-managed interfaces: reading their groups (infra/services-policy.ts). */
const SERVICES_READ = [
  'autoscaling:DescribeAutoScalingGroups',
  'autoscaling:DescribeLaunchConfigurations',
  'ec2:DescribeLaunchTemplateVersions',
  'ec2:DescribeLaunchTemplates',
  // Launchers that pin a template version outside Auto Scaling (read only: they block the plan, never move).
  'ec2:DescribeFleets',
  'ec2:DescribeSpotFleetRequests',
  'eks:DescribeNodegroup',
  'eks:ListClusters',
  'eks:ListNodegroups',
  'batch:DescribeComputeEnvironments',
  'codebuild:BatchGetProjects',
  'codebuild:ListProjects',
  'dms:DescribeReplicationInstances',
  'ec2:DescribeVpcEndpoints',
  'ecs:DescribeServices',
  'ecs:DescribeTasks',
  'ecs:ListClusters',
  'ecs:ListServices',
  'ecs:ListTasks',
  'elasticache:DescribeCacheClusters',
  'elasticache:DescribeReplicationGroups',
  'elasticfilesystem:DescribeMountTargetSecurityGroups',
  'elasticfilesystem:DescribeMountTargets',
  'elasticloadbalancing:DescribeLoadBalancers',
  'lambda:GetFunctionConfiguration',
  'lambda:ListFunctions',
  // The stack tag of each function on the default group (handlers/core/stacks.ts).
  'lambda:ListTags',
  'rds:DescribeDBClusters',
  'rds:DescribeDBInstances',
  'redshift:DescribeClusters',
];
/** …and moving them: one change per service, plus the describes Lambda requires for a VpcConfig change. */
const SERVICES_MOVE = [
  ...SERVICES_READ,
  // Launch sources: a template version naming the copy, the default moved, pins and launch configurations switched;
  // Auto Scaling checks the caller may launch from the template it is pointed at (RunInstances on the template).
  'autoscaling:CreateLaunchConfiguration',
  'autoscaling:DeleteLaunchConfiguration',
  'autoscaling:UpdateAutoScalingGroup',
  'ec2:CreateLaunchTemplateVersion',
  'ec2:DeleteLaunchTemplateVersions',
  'ec2:ModifyLaunchTemplate',
  'ec2:RunInstances',
  'batch:UpdateComputeEnvironment',
  'codebuild:UpdateProject',
  'dms:ModifyReplicationInstance',
  'ec2:DescribeSecurityGroups',
  'ec2:DescribeSubnets',
  'ec2:DescribeVpcs',
  'ec2:ModifyVpcEndpoint',
  'ecs:UpdateService',
  'elasticache:ModifyCacheCluster',
  'elasticache:ModifyReplicationGroup',
  'elasticfilesystem:ModifyMountTargetSecurityGroups',
  'elasticloadbalancing:SetSecurityGroups',
  'lambda:UpdateFunctionConfiguration',
  'rds:ModifyDBCluster',
  'rds:ModifyDBInstance',
  'redshift:ModifyCluster',
];

/** What each handler calls (read off handlers/steps/*.ts and the adapters), the IAM design in one table. */
const EXPECTED: Record<string, string[]> = {
  ParseFinding: [],
  TakeLock: ['dynamodb:GetItem', 'dynamodb:PutItem'],
  ReleaseLock: ['dynamodb:DeleteItem', 'dynamodb:UpdateItem'],
  Discover: [
    DESCRIBE_ENIS,
    DESCRIBE_REFS,
    DESCRIBE_GROUPS,
    'ec2:DescribeVpcs',
    // The CloudFormation stack of the members' instances (handlers/core/stacks.ts).
    'ec2:DescribeTags',
    's3:PutObject',
    ASSUME,
    ...SERVICES_READ,
    ...PLAN_READS,
  ],
  SaveSnapshot: ['dynamodb:PutItem', 's3:GetObject', 's3:ListBucket', 's3:PutObject'],
  CreateReplacement: [
    ...ADD,
    ...REVOKE,
    'ec2:CreateSecurityGroup',
    'ec2:CreateTags',
    DESCRIBE_GROUPS,
    'dynamodb:PutItem',
    's3:GetObject',
    ASSUME,
  ],
  AddReferences: [...ADD, DESCRIBE_GROUPS, 's3:GetObject', ASSUME],
  MoveInterfaces: [DESCRIBE_ENIS, 'ec2:ModifyNetworkInterfaceAttribute', 's3:GetObject', ASSUME, ...SERVICES_MOVE],
  // UpdateItem: joining the batch window of the approval digest (handlers/steps/digest-window.ts).
  RequestApproval: [
    'dynamodb:PutItem',
    'dynamodb:UpdateItem',
    's3:GetObject',
    'sns:Publish',
    'kms:Decrypt',
    'kms:GenerateDataKey',
  ],
  Recheck: [
    ...ADD,
    ...REVOKE,
    DESCRIBE_ENIS,
    DESCRIBE_REFS,
    DESCRIBE_GROUPS,
    'ec2:DescribeVpcs',
    'ec2:ModifyNetworkInterfaceAttribute',
    's3:GetObject',
    's3:ListBucket',
    's3:PutObject',
    ASSUME,
    // The stacks the plan names: one being updated stops the run (handlers/core/stacks.ts).
    'cloudformation:DescribeStacks',
    ...SERVICES_READ,
    ...PLAN_READS,
  ],
  Strip: [...REVOKE, DESCRIBE_GROUPS, 'ec2:CreateTags', 'dynamodb:PutItem', 's3:GetObject', ASSUME],
  Verify: [DESCRIBE_ENIS, DESCRIBE_REFS, DESCRIBE_GROUPS, 'ec2:DescribeVpcs', 's3:GetObject', ASSUME, ...SERVICES_READ],
  UpdateFinding: ['securityhub:BatchUpdateFindings'],
  Notify: [
    'dynamodb:PutItem',
    'dynamodb:UpdateItem',
    's3:GetObject',
    's3:ListBucket',
    'sns:Publish',
    'kms:Decrypt',
    'kms:GenerateDataKey',
  ],
  LoadRollback: [DESCRIBE_GROUPS, 'dynamodb:GetItem', 's3:GetObject', 's3:ListBucket', ASSUME],
  RestoreRules: [...ADD, DESCRIBE_GROUPS, 'ec2:CreateTags', 'ec2:DeleteTags', 's3:GetObject', ASSUME],
  MoveBack: [DESCRIBE_ENIS, 'ec2:ModifyNetworkInterfaceAttribute', 's3:GetObject', ASSUME, ...SERVICES_MOVE],
  RemoveReplacement: [...REVOKE, DESCRIBE_GROUPS, 'ec2:DeleteSecurityGroup', 's3:GetObject', ASSUME],
  VerifyRollback: [DESCRIBE_ENIS, DESCRIBE_GROUPS, 's3:GetObject', ASSUME, ...SERVICES_READ],
  // The tighten workflow (issue 14): it changes only the copy's rules (groups carrying the remediation's tag).
  ParseTighten: [],
  // Only it reads flow logs (infra/flow-logs-policy.ts): DescribeFlowLogs, Logs Insights, the AWSLogs/ folders.
  ProposeTightening: [
    DESCRIBE_ENIS,
    DESCRIBE_GROUPS,
    'ec2:DescribeFlowLogs',
    'logs:GetQueryResults',
    'logs:StartQuery',
    's3:GetObject',
    's3:ListBucket',
    's3:PutObject',
    ASSUME,
  ],
  SaveTightening: ['dynamodb:PutItem', 's3:GetObject', 's3:ListBucket', 's3:PutObject'],
  RequestTightening: ['dynamodb:PutItem', 's3:GetObject', 'sns:Publish', 'kms:Decrypt', 'kms:GenerateDataKey'],
  AddProposedRules: [...ADD, ...REVOKE, DESCRIBE_GROUPS, 'dynamodb:PutItem', 's3:GetObject', ASSUME],
  RecheckTightening: [DESCRIBE_ENIS, DESCRIBE_GROUPS, 's3:GetObject', ASSUME],
  RevokeBroadRules: [...ADD, ...REVOKE, DESCRIBE_GROUPS, 's3:GetObject', ASSUME],
  VerifyTightening: [DESCRIBE_ENIS, DESCRIBE_GROUPS, 'dynamodb:PutItem', 's3:GetObject', ASSUME],
  RestoreCopyRules: [...ADD, ...REVOKE, DESCRIBE_GROUPS, 's3:GetObject', ASSUME],
  VerifyCopyRules: [DESCRIBE_GROUPS, 'dynamodb:PutItem', 's3:GetObject', ASSUME],
  // The watcher reads the groups a call touched and mails the topic; events it cannot handle go to the DLQ.
  Watch: [DESCRIBE_GROUPS, ASSUME, 'sns:Publish', 'kms:Decrypt', 'kms:GenerateDataKey', 'sqs:SendMessage'],
};

describe('no wildcard actions', () => {
  it('no Allow statement of any policy (IAM, trust, bucket, topic, queue, key) has an action with "*"', () => {
    const statements = [...allStatements(s.remediationTemplate), ...allStatements(s.memberTemplate)];
    expect(statements.length).toBeGreaterThan(100);
    const wild = statements.filter(
      ({ statement }) => statement.Effect === 'Allow' && actionsOf(statement).some((action) => action.includes('*')),
    );
    expect(wild.map(({ where, statement }) => `${where}: ${actionsOf(statement)}`)).toEqual([]);
  });

  it('wildcards appear only in the Deny statements that refuse plain HTTP', () => {
    const denies = allStatements(s.remediationTemplate).filter(({ statement }) => statement.Effect === 'Deny');
    expect(denies.length).toBeGreaterThanOrEqual(3);
    for (const { statement } of denies) {
      expect(statement.Condition).toEqual({ Bool: { 'aws:SecureTransport': 'false' } });
    }
  });

  it('the KMS keys list their actions; CloudWatch Logs may use the log key only for this account’s log groups', () => {
    const keys = s.remediationTemplate.findResources('AWS::KMS::Key');
    expect(Object.keys(keys)).toHaveLength(2);
    for (const key of Object.values(keys)) {
      expect(key.Properties.EnableKeyRotation).toBe(true);
      for (const statement of key.Properties.KeyPolicy.Statement as Statement[]) {
        expect(actionsOf(statement).every((action) => !action.includes('*'))).toBe(true);
      }
    }
    const logKey = Object.entries(keys).find(([id]) => id.startsWith('LogKey'))?.[1];
    const logs = ((logKey?.Properties.KeyPolicy.Statement ?? []) as Statement[]).find(
      (statement) => statement.Sid === 'CloudWatchLogsEncryptsThisStacksLogGroups',
    );
    expect(logs?.Condition?.ArnLike).toHaveProperty(['kms:EncryptionContext:aws:logs:arn']);
  });
});

describe('each step function may do exactly what its handler calls', () => {
  it.each(STEP_NAMES)('%s', (step) => {
    expect(actionsOfStep(step)).toEqual([...new Set([...BASE, ...(EXPECTED[step] ?? ['?'])])].sort());
  });

  it('ledger access is limited to the item kinds the handler uses (dynamodb:LeadingKeys)', () => {
    const expected: Record<string, string[]> = {
      TakeLock: ['lock#*'],
      ReleaseLock: ['lock#*'],
      SaveSnapshot: ['remediation#*'],
      CreateReplacement: ['remediation#*'],
      Strip: ['remediation#*'],
      RequestApproval: ['approval#*', 'digest-window#*'],
      LoadRollback: ['remediation#*'],
      Notify: ['rollback-link#*', 'digest-window#*'],
      SaveTightening: ['remediation#*'],
      RequestTightening: ['approval#*'],
      AddProposedRules: ['remediation#*'],
      VerifyTightening: ['remediation#*'],
      VerifyCopyRules: ['remediation#*'],
    };
    for (const step of STEP_NAMES) {
      const ledger = stepStatements(step).filter((statement) => actionsOf(statement)[0]?.startsWith('dynamodb:'));
      const keys = ledger.flatMap(
        (statement) => statement.Condition?.['ForAllValues:StringLike']?.['dynamodb:LeadingKeys'] as string[],
      );
      expect(keys, step).toEqual(expected[step] ?? []);
    }
  });

  it("object access is limited to the plans/ and snapshots/ keys, and a tightening's", () => {
    for (const step of STEP_NAMES) {
      for (const statement of stepStatements(step)) {
        if (!actionsOf(statement).some((action) => /^s3:(Get|Put)Object$/.test(action))) continue;
        // The flow log objects of the account's buckets (checked in "flow logs" below), not the store's.
        if (statement.Sid === 'ReadFlowLogObjectsOnly') continue;
        for (const resource of resourcesOf(statement)) {
          const suffix = (resource as { 'Fn::Join': [string, unknown[]] })['Fn::Join'][1][1];
          expect(suffix, step).toMatch(/^\/(plans|snapshots|tighten-plans|tightenings)\/\*(\.v2)?\.json$/);
        }
      }
    }
  });

  it('the re-check may write only later snapshot revisions, never the approved snapshot', () => {
    const puts = stepStatements('Recheck').filter((statement) => actionsOf(statement).includes('s3:PutObject'));
    expect(puts).toHaveLength(1);
    for (const resource of puts.flatMap(resourcesOf)) {
      expect((resource as { 'Fn::Join': [string, unknown[]] })['Fn::Join'][1][1]).toBe('/snapshots/*.v2.json');
    }
  });
});

describe('EC2 changes carry their conditions', () => {
  const ec2Statements = () => [
    ...STEP_NAMES.flatMap(stepStatements),
    ...Object.keys(s.memberTemplate.findResources('AWS::IAM::Role')).flatMap((id) =>
      roleStatements(s.memberTemplate, id),
    ),
  ];
  const withAction = (action: string) => ec2Statements().filter((statement) => actionsOf(statement).includes(action));

  it('describes are the only EC2 actions on "*"; with them only the other services\' reads without resource types', () => {
    for (const statement of ec2Statements()) {
      if (!actionsOf(statement).some((action) => action.startsWith('ec2:'))) continue;
      if (resourcesOf(statement).includes('*')) {
        for (const action of actionsOf(statement)) {
          expect(
            action.startsWith('ec2:Describe') ||
              [
                'autoscaling:DescribeAutoScalingGroups',
                'autoscaling:DescribeLaunchConfigurations',
                'batch:DescribeComputeEnvironments',
                'codebuild:ListProjects',
                'dms:DescribeReplicationInstances',
                'ecs:ListClusters',
                'ecs:ListServices',
                // ListClusters has no resource type (Service Authorization Reference, Amazon EKS).
                'eks:ListClusters',
                'ecs:ListTasks',
                'elasticloadbalancing:DescribeLoadBalancers',
                'lambda:ListFunctions',
                // GetQueryResults names a query id, no resource type (infra/flow-logs-policy.ts).
                'logs:GetQueryResults',
              ].includes(action),
            action,
          ).toBe(true);
        }
      }
    }
  });

  it('resource owners are moved only in this account, each change on its own resource type', () => {
    const expected: Record<string, string[]> = {
      'lambda:UpdateFunctionConfiguration': [':lambda:*:', ':function:*'],
      'rds:ModifyDBInstance': [':rds:*:', ':db:*'],
      'rds:ModifyDBCluster': [':rds:*:', ':cluster:*'],
      'elasticloadbalancing:SetSecurityGroups': [':elasticloadbalancing:*:', ':loadbalancer/'],
      'elasticfilesystem:ModifyMountTargetSecurityGroups': [':elasticfilesystem:*:', ':file-system/*'],
      'ec2:ModifyVpcEndpoint': [':ec2:*:', '/*'],
      'elasticache:ModifyReplicationGroup': [':elasticache:*:', ':replicationgroup:*'],
      'elasticache:ModifyCacheCluster': [':elasticache:*:', ':cluster:*'],
      'ecs:UpdateService': [':ecs:*:', ':service/*'],
      'redshift:ModifyCluster': [':redshift:*:', ':cluster:*'],
      'dms:ModifyReplicationInstance': [':dms:*:', ':rep:*'],
      'codebuild:UpdateProject': [':codebuild:*:', ':project/*'],
      'batch:UpdateComputeEnvironment': [':batch:*:', ':compute-environment/*'],
    };
    for (const [action, parts] of Object.entries(expected)) {
      const statements = withAction(action);
      expect(statements.length, action).toBeGreaterThan(0);
      for (const statement of statements) {
        expect(actionsOf(statement), action).toEqual([action]);
        for (const resource of resourcesOf(statement)) {
          const text = JSON.stringify(resource);
          expect(text).not.toBe('"*"');
          for (const part of parts) expect(text, action).toContain(part);
          // This account only: the ARN carries AWS::AccountId (or the member role's own account).
          expect(text).toMatch(/AWS::AccountId/);
        }
      }
    }
    // Gateway Load Balancers have no security groups: only app/ and net/ load balancers.
    const lbResources = withAction('elasticloadbalancing:SetSecurityGroups')
      .flatMap(resourcesOf)
      .map((r) => JSON.stringify(r));
    expect(lbResources.every((r) => r.includes('loadbalancer/app/') || r.includes('loadbalancer/net/'))).toBe(true);
  });

  it('the copy is created only with the remediation tag, and tagged only while being created', () => {
    const creates = withAction('ec2:CreateSecurityGroup');
    expect(creates.length).toBeGreaterThan(0);
    const onGroups = creates.filter((statement) => JSON.stringify(statement.Resource).includes('security-group/*'));
    for (const statement of onGroups) {
      expect(statement.Condition).toEqual({
        Null: { [`aws:RequestTag/${REMEDIATION_TAG}`]: 'false' },
        'ForAllValues:StringEquals': { 'aws:TagKeys': [REMEDIATION_TAG, 'Name'] },
      });
    }
    // CreateReplacement tags only inside its CreateSecurityGroup; the strip and the rollback tag under their own
    // conditions (next test).
    const createReplacement = stepStatements('CreateReplacement').filter((statement) =>
      actionsOf(statement).includes('ec2:CreateTags'),
    );
    expect(createReplacement).toHaveLength(1);
    for (const statement of createReplacement) {
      expect(actionsOf(statement)).toEqual(['ec2:CreateTags']);
      expect(statement.Condition).toEqual({ StringEquals: { 'ec2:CreateAction': 'CreateSecurityGroup' } });
    }
  });

  it('the strip may only write the CIS 5.4 mark; the rollback only its two keys, on groups that carry it', () => {
    const vpc = { 'ec2:Vpc': expect.anything() };
    // https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html: aws:RequestTag/<key>
    // is the value a request sets, aws:TagKeys the keys it names, aws:ResourceTag/<key> the resource's own tag.
    const mark = {
      ArnLike: vpc,
      StringEquals: { 'aws:RequestTag/Name': 'DO NOT USE. DO NOT ADD RULES' },
      StringLike: {
        'aws:RequestTag/default-sg-remediation:status':
          'DO NOT USE. DO NOT ADD RULES. Stripped by default-sg-remediation *',
      },
      'ForAllValues:StringEquals': { 'aws:TagKeys': ['Name', 'default-sg-remediation:status'] },
    };
    const unmark = {
      ArnLike: vpc,
      Null: { 'aws:ResourceTag/default-sg-remediation:status': 'false' },
      'ForAllValues:StringEquals': { 'aws:TagKeys': ['Name', 'default-sg-remediation:status'] },
    };
    const tagging = (step: string) =>
      stepStatements(step).filter((statement) =>
        actionsOf(statement).some((action) => action === 'ec2:CreateTags' || action === 'ec2:DeleteTags'),
      );
    const [strip, ...moreStrip] = tagging('Strip');
    expect(moreStrip).toEqual([]);
    expect(actionsOf(strip as Statement)).toEqual(['ec2:CreateTags']);
    expect(strip?.Condition).toEqual(mark);
    expect(JSON.stringify(strip?.Resource)).toContain(':security-group/*');
    const [restore, ...moreRestore] = tagging('RestoreRules');
    expect(moreRestore).toEqual([]);
    expect(actionsOf(restore as Statement).sort()).toEqual(['ec2:CreateTags', 'ec2:DeleteTags']);
    expect(restore?.Condition).toEqual(unmark);
    expect(JSON.stringify(restore?.Resource)).toContain(':security-group/*');
    // Nobody else may delete tags; the member roles hold the same statements as their steps.
    expect(withAction('ec2:DeleteTags')).toHaveLength(2);
    expect(withAction('ec2:CreateTags')).toHaveLength(3 * 2);
  });

  it('only a group carrying the remediation tag may be deleted, in this account’s VPCs', () => {
    const deletes = withAction('ec2:DeleteSecurityGroup');
    expect(deletes.length).toBe(2);
    for (const statement of deletes) {
      expect(statement.Condition?.Null).toEqual({ [`aws:ResourceTag/${REMEDIATION_TAG}`]: 'false' });
      expect(statement.Condition?.ArnLike).toHaveProperty(['ec2:Vpc']);
    }
  });

  it('rule changes are limited to groups of this account’s VPCs (ec2:Vpc); CreateReplacement to the tagged copy', () => {
    for (const action of [...ADD, ...REVOKE]) {
      for (const statement of withAction(action)) {
        expect(statement.Condition?.ArnLike, action).toHaveProperty(['ec2:Vpc']);
        expect(JSON.stringify(statement.Resource)).toContain(':security-group/*');
      }
    }
    for (const statement of stepStatements('CreateReplacement')) {
      if (actionsOf(statement).some((action) => ADD.includes(action) || REVOKE.includes(action))) {
        expect(statement.Condition?.Null).toEqual({ [`aws:ResourceTag/${REMEDIATION_TAG}`]: 'false' });
      }
    }
  });

  it('interfaces are moved only in this account’s VPCs, to groups of this account’s VPCs (ec2:Vpc per resource type)', () => {
    const statements = withAction('ec2:ModifyNetworkInterfaceAttribute');
    // MoveInterfaces, MoveBack, Recheck: in their own roles and in their member roles.
    expect(statements).toHaveLength(3 * 3 * 2);
    const byType = new Map<string, Statement[]>();
    for (const statement of statements) {
      expect(actionsOf(statement)).toEqual(['ec2:ModifyNetworkInterfaceAttribute']);
      const resources = resourcesOf(statement);
      expect(resources).toHaveLength(1);
      const type = /:(network-interface|security-group|instance)\/\*"/.exec(JSON.stringify(resources[0]))?.[1] ?? '?';
      byType.set(type, [...(byType.get(type) ?? []), statement]);
    }
    expect([...byType.keys()].sort()).toEqual(['instance', 'network-interface', 'security-group']);
    // The interface and each group of its new list carry ec2:Vpc (the VPC's ARN); an instance has no such key, so a
    // condition on it would refuse every move of an attached interface.
    for (const type of ['network-interface', 'security-group']) {
      for (const statement of byType.get(type) ?? []) {
        expect(JSON.stringify(statement.Condition?.ArnLike?.['ec2:Vpc']), type).toMatch(
          /:ec2:\*:".*AWS::AccountId.*":vpc\/\*"/,
        );
      }
    }
    for (const statement of byType.get('instance') ?? []) expect(statement.Condition).toBeUndefined();
  });

  it('no EC2 statement names ec2:* or an unscoped mutating action', () => {
    for (const statement of ec2Statements()) {
      for (const action of actionsOf(statement)) expect(action).not.toBe('ec2:*');
    }
  });
});

describe('the movers are narrowed by the request condition keys their services define', () => {
  const allRoleStatements = () => [
    ...STEP_NAMES.flatMap(stepStatements),
    ...Object.keys(s.memberTemplate.findResources('AWS::IAM::Role')).flatMap((id) =>
      roleStatements(s.memberTemplate, id),
    ),
  ];
  const conditionsOf = (action: string) =>
    allRoleStatements()
      .filter((statement) => actionsOf(statement).includes(action))
      .map((statement) => statement.Condition);

  /**
   * Written from the services' pages, not from infra/services-policy.ts: which keys each action's request sets and what
   * a security-group change must leave alone.
   */
  const REQUIRED: Record<string, Record<string, Record<string, string>>> = {
    // https://docs.aws.amazon.com/lambda/latest/dg/lambda-api-permissions-ref.html: UpdateFunctionConfiguration
    // supports lambda:Layer, lambda:VpcIds, lambda:SubnetIds, lambda:SecurityGroupIds. No layer in the request; the
    // function stays attached to a VPC with subnets and groups.
    'lambda:UpdateFunctionConfiguration': {
      Null: {
        'lambda:Layer': 'true',
        'lambda:VpcIds': 'false',
        'lambda:SubnetIds': 'false',
        'lambda:SecurityGroupIds': 'false',
      },
    },
    // Service Authorization Reference, Amazon RDS: ModifyDBInstance's one request key.
    'rds:ModifyDBInstance': { BoolIfExists: { 'rds:ManageMasterUserPassword': 'false' } },
    'rds:ModifyDBCluster': {
      BoolIfExists: { 'rds:ManageMasterUserPassword': 'false' },
      Null: { 'rds:DatabaseClass': 'true', 'rds:Piops': 'true', 'rds:StorageSize': 'true' },
    },
    'elasticloadbalancing:SetSecurityGroups': { Null: { 'elasticloadbalancing:SecurityGroup': 'false' } },
    // https://docs.aws.amazon.com/AmazonElastiCache/latest/dg/IAM.ConditionKeys.html
    'elasticache:ModifyReplicationGroup': {
      Null: {
        'elasticache:CacheNodeType': 'true',
        'elasticache:CacheParameterGroupName': 'true',
        'elasticache:EngineVersion': 'true',
        'elasticache:NumNodeGroups': 'true',
        'elasticache:ReplicasPerNodeGroup': 'true',
        'elasticache:SnapshotRetentionLimit': 'true',
      },
      BoolIfExists: { 'elasticache:AuthTokenEnabled': 'false' },
    },
    'elasticache:ModifyCacheCluster': {
      Null: {
        'elasticache:CacheNodeType': 'true',
        'elasticache:CacheParameterGroupName': 'true',
        'elasticache:EngineVersion': 'true',
        'elasticache:SnapshotRetentionLimit': 'true',
      },
      BoolIfExists: { 'elasticache:AuthTokenEnabled': 'false' },
    },
  };

  it.each(Object.keys(REQUIRED))('%s, in every role that has it (step roles and member roles)', (action) => {
    const conditions = conditionsOf(action);
    // MoveInterfaces and MoveBack, each in its own role and in its member role.
    expect(conditions).toHaveLength(4);
    for (const condition of conditions) expect(condition).toEqual(REQUIRED[action]);
  });

  it('ModifyVpcEndpoint adds and removes only groups of this account’s VPCs; the endpoint has no ec2:Vpc key', () => {
    const statements = allRoleStatements().filter((statement) =>
      actionsOf(statement).includes('ec2:ModifyVpcEndpoint'),
    );
    expect(statements).toHaveLength(8);
    for (const statement of statements) {
      const resource = JSON.stringify(resourcesOf(statement));
      if (resource.includes(':security-group/*')) expect(statement.Condition?.ArnLike).toHaveProperty(['ec2:Vpc']);
      else expect(resource).toContain(':vpc-endpoint/*');
    }
  });

  it('EFS mount targets: the only request is the group list (EFS has no key for it), on file systems of this account', () => {
    const statements = allRoleStatements().filter((statement) =>
      actionsOf(statement).includes('elasticfilesystem:ModifyMountTargetSecurityGroups'),
    );
    expect(statements).toHaveLength(4);
    for (const statement of statements) expect(JSON.stringify(statement.Resource)).toContain(':file-system/*');
  });
});

describe('"*" and policy sizes', () => {
  const roles = () => [
    ...Object.keys(s.remediationTemplate.findResources('AWS::IAM::Role')).map((id) => ({
      template: s.remediationTemplate,
      id,
    })),
    ...Object.keys(s.memberTemplate.findResources('AWS::IAM::Role')).map((id) => ({ template: s.memberTemplate, id })),
  ];

  it('only read-only actions are granted on "*" in the step and member roles (Describe, List, Get, X-Ray)', () => {
    const stepAndMemberRoles = roles().filter(
      ({ template, id }) => template === s.memberTemplate || /StepRole|LinksHandlerRole/.test(id),
    );
    expect(stepAndMemberRoles).toHaveLength(STEP_NAMES.length + 1 + EC2_STEPS.length);
    for (const { template, id } of stepAndMemberRoles) {
      for (const statement of roleStatements(template, id)) {
        if (!resourcesOf(statement).includes('*')) continue;
        for (const action of actionsOf(statement)) {
          expect(
            /^[a-z0-9-]+:(Describe|List|Get)[A-Za-z]*$/.test(action) || action.startsWith('xray:Put'),
            `${id}: ${action}`,
          ).toBe(true);
        }
      }
    }
  });

  it('every role’s inline policies fit IAM’s 10,240 characters (white space not counted) with the longest values', () => {
    // https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html: "Role policy size cannot exceed
    // 10,240 characters" for the aggregate of a role's inline policies. Each reference stands for its longest value.
    const longest: Record<string, string> = {
      'AWS::Partition': 'aws-us-gov',
      'AWS::AccountId': '123456789012',
      'AWS::Region': 'ap-southeast-4',
      RemediationAccountId: '123456789012',
    };
    const resolve = (value: unknown): unknown => {
      if (Array.isArray(value)) return value.map(resolve);
      if (value && typeof value === 'object') {
        const entries = Object.entries(value);
        const [key, inner] = entries[0] ?? [];
        if (entries.length === 1 && key === 'Ref') return longest[String(inner)] ?? 'x'.repeat(64);
        if (entries.length === 1 && key === 'Fn::GetAtt')
          return `arn:aws-us-gov:service:ap-southeast-4:123456789012:${'x'.repeat(64)}`;
        if (entries.length === 1 && key === 'Fn::Join') {
          const [separator, parts] = inner as [string, unknown[]];
          return parts.map((part) => String(resolve(part))).join(separator);
        }
        return Object.fromEntries(entries.map(([k, v]) => [k, resolve(v)]));
      }
      return value;
    };
    let largest = 0;
    for (const { template, id } of roles()) {
      const policies = Object.values(
        template.findResources('AWS::IAM::Policy') as Record<string, { Properties: Record<string, unknown> }>,
      ).filter((policy) => (policy.Properties.Roles as { Ref?: string }[]).some((role) => role.Ref === id));
      const size = policies.reduce(
        (sum, policy) => sum + JSON.stringify(resolve(policy.Properties.PolicyDocument)).length,
        0,
      );
      largest = Math.max(largest, size);
      expect(size, id).toBeLessThanOrEqual(10_240);
    }
    expect(largest).toBeGreaterThan(2_000);
  });
});

describe('Step Functions callbacks and AssumeRole', () => {
  it('only the links function may SendTaskSuccess / SendTaskFailure, on the remediation and tighten machines only', () => {
    const remediation = logicalId(s.remediationTemplate, 'AWS::StepFunctions::StateMachine', 'WorkflowsRemediation');
    const tighten = logicalId(s.remediationTemplate, 'AWS::StepFunctions::StateMachine', 'WorkflowsTighten');
    const statements = allStatements(s.remediationTemplate).filter(({ statement }) =>
      actionsOf(statement).some((action) => action.startsWith('states:SendTask')),
    );
    expect(statements).toHaveLength(1);
    expect(statements[0]?.where).toMatch(/^LinksHandlerRole/);
    expect(actionsOf(statements[0]?.statement as Statement)).toEqual([
      'states:SendTaskSuccess',
      'states:SendTaskFailure',
    ]);
    expect(statements[0]?.statement.Resource).toEqual([{ Ref: remediation }, { Ref: tighten }]);
  });

  it('the links function reads and decides approvals and rollback links, and starts the rollback machine', () => {
    const role = logicalId(s.remediationTemplate, 'AWS::IAM::Role', 'LinksHandlerRole');
    const actions = [...new Set(roleStatements(s.remediationTemplate, role).flatMap(actionsOf))].sort();
    expect(actions).toEqual(
      [
        ...BASE,
        'dynamodb:GetItem',
        'dynamodb:PutItem',
        'dynamodb:UpdateItem',
        's3:GetObject',
        'states:SendTaskFailure',
        'states:SendTaskSuccess',
        'states:StartExecution',
      ].sort(),
    );
  });

  it('sts:AssumeRole is granted only to the EC2 steps, each only on its own member role', () => {
    const assumes = allStatements(s.remediationTemplate).filter(
      ({ statement }) =>
        statement.Effect === 'Allow' && actionsOf(statement).includes('sts:AssumeRole') && !statement.Principal,
    );
    expect(assumes.map(({ where }) => where.replace(/StepRole(Default|Overflow)Policy.*$/, '')).sort()).toEqual(
      [...EC2_STEPS].sort(),
    );
    for (const { where, statement } of assumes) {
      const step = where.replace(/StepRole(Default|Overflow)Policy.*$/, '');
      expect(actionsOf(statement)).toEqual(['sts:AssumeRole']);
      expect(statement.Resource).toEqual({
        'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, `:iam::*:role/DefaultSgRemediationMember-${step}`]],
      });
    }
  });

  it('the EC2 step roles have the fixed names the member role trusts', () => {
    for (const step of EC2_STEPS) {
      const id = logicalId(s.remediationTemplate, 'AWS::IAM::Role', `${step}StepRole`);
      s.remediationTemplate.hasResource('AWS::IAM::Role', {
        Properties: {
          RoleName: { 'Fn::Join': ['', [`DefaultSgRemediation-${step}-`, { Ref: 'AWS::Region' }]] },
        },
      });
      expect(id).toBeTruthy();
    }
  });
});

describe('flow logs: only the tighten propose step reads them, scoped as flowLogsGrant says', () => {
  const FLOW_LOG_ACTIONS = ['ec2:DescribeFlowLogs', 'logs:StartQuery', 'logs:GetQueryResults', 's3:ListBucket'];
  const memberRoleStatements = (step: string) =>
    roleStatements(s.memberTemplate, logicalId(s.memberTemplate, 'AWS::IAM::Role', `${step}MemberRole`));
  const join = (...parts: unknown[]) => ({ 'Fn::Join': ['', parts] });
  const bySid = (statements: Statement[]) => new Map(statements.map((statement) => [statement.Sid, statement]));

  it('no other step role, member role or function may describe flow logs, query logs or read their objects', () => {
    const roles = [
      ...Object.keys(s.remediationTemplate.findResources('AWS::IAM::Role')).map((id) => ({
        id,
        statements: roleStatements(s.remediationTemplate, id),
      })),
      ...Object.keys(s.memberTemplate.findResources('AWS::IAM::Role')).map((id) => ({
        id,
        statements: roleStatements(s.memberTemplate, id),
      })),
    ];
    const readers = roles
      .filter(({ statements }) =>
        statements.some(
          (statement) =>
            actionsOf(statement).some((action) => FLOW_LOG_ACTIONS.slice(0, 3).includes(action)) ||
            statement.Sid === 'ListFlowLogFoldersOnly' ||
            statement.Sid === 'ReadFlowLogObjectsOnly',
        ),
      )
      .map(({ id }) => id.replace(/[0-9A-F]{8}$/, ''));
    expect(readers.sort()).toEqual(['ProposeTighteningMemberRole', 'ProposeTighteningStepRole']);
  });

  it.each([
    ['its own role', () => stepStatements('ProposeTightening')],
    ['its member role', () => memberRoleStatements('ProposeTightening')],
  ])("%s: this account's log groups and buckets, the AWSLogs/ folders only", (_, statements) => {
    const sids = bySid(statements());
    expect(actionsOf(sids.get('DescribeFlowLogsNoResourceLevelPermissions') as Statement).sort()).toEqual([
      'ec2:DescribeFlowLogs',
      'ec2:DescribeNetworkInterfaces',
      'logs:GetQueryResults',
    ]);
    const query = sids.get('QueryLogGroupsOfThisAccount') as Statement;
    expect(actionsOf(query)).toEqual(['logs:StartQuery']);
    expect(query.Resource).toEqual(
      join('arn:', { Ref: 'AWS::Partition' }, ':logs:*:', { Ref: 'AWS::AccountId' }, ':log-group:*'),
    );
    const list = sids.get('ListFlowLogFoldersOnly') as Statement;
    expect(actionsOf(list)).toEqual(['s3:ListBucket']);
    expect(list.Resource).toEqual(join('arn:', { Ref: 'AWS::Partition' }, ':s3:::*'));
    expect(list.Condition).toEqual({
      StringEquals: { 's3:ResourceAccount': { Ref: 'AWS::AccountId' } },
      StringLike: { 's3:prefix': ['AWSLogs/*', '*/AWSLogs/*'] },
    });
    const read = sids.get('ReadFlowLogObjectsOnly') as Statement;
    expect(actionsOf(read)).toEqual(['s3:GetObject']);
    expect(read.Resource).toEqual(join('arn:', { Ref: 'AWS::Partition' }, ':s3:::*/*AWSLogs/*'));
    expect(read.Condition).toEqual({ StringEquals: { 's3:ResourceAccount': { Ref: 'AWS::AccountId' } } });
  });

  it('flowLogBuckets names the buckets instead, in both stacks (a central logging bucket of another account)', () => {
    const named = synthesize({ flowLogBuckets: 'central-flow-logs, org-logs' });
    for (const [template, prefix] of [
      [named.remediationTemplate, 'ProposeTighteningStepRole'],
      [named.memberTemplate, 'ProposeTighteningMemberRole'],
    ] as const) {
      const sids = bySid(roleStatements(template, logicalId(template, 'AWS::IAM::Role', prefix)));
      const list = sids.get('ListFlowLogFoldersOnly') as Statement;
      expect(list.Resource).toEqual([
        join('arn:', { Ref: 'AWS::Partition' }, ':s3:::central-flow-logs'),
        join('arn:', { Ref: 'AWS::Partition' }, ':s3:::org-logs'),
      ]);
      expect(list.Condition).toEqual({ StringLike: { 's3:prefix': ['AWSLogs/*', '*/AWSLogs/*'] } });
      expect((sids.get('ReadFlowLogObjectsOnly') as Statement).Resource).toEqual([
        join('arn:', { Ref: 'AWS::Partition' }, ':s3:::central-flow-logs/*AWSLogs/*'),
        join('arn:', { Ref: 'AWS::Partition' }, ':s3:::org-logs/*AWSLogs/*'),
      ]);
    }
  });
});
