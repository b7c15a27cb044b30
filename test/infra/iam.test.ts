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
/** The owners of requester-managed interfaces: reading their groups (infra/services-policy.ts). */
const SERVICES_READ = [
  'ec2:DescribeVpcEndpoints',
  'elasticache:DescribeCacheClusters',
  'elasticache:DescribeReplicationGroups',
  'elasticfilesystem:DescribeMountTargetSecurityGroups',
  'elasticfilesystem:DescribeMountTargets',
  'elasticloadbalancing:DescribeLoadBalancers',
  'lambda:GetFunctionConfiguration',
  'lambda:ListFunctions',
  'rds:DescribeDBClusters',
  'rds:DescribeDBInstances',
];
/** …and moving them: one change per service, plus the describes Lambda requires for a VpcConfig change. */
const SERVICES_MOVE = [
  ...SERVICES_READ,
  'ec2:DescribeSecurityGroups',
  'ec2:DescribeSubnets',
  'ec2:DescribeVpcs',
  'ec2:ModifyVpcEndpoint',
  'elasticache:ModifyCacheCluster',
  'elasticache:ModifyReplicationGroup',
  'elasticfilesystem:ModifyMountTargetSecurityGroups',
  'elasticloadbalancing:SetSecurityGroups',
  'lambda:UpdateFunctionConfiguration',
  'rds:ModifyDBCluster',
  'rds:ModifyDBInstance',
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
    's3:PutObject',
    ASSUME,
    ...SERVICES_READ,
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
  RequestApproval: ['dynamodb:PutItem', 's3:GetObject', 'sns:Publish', 'kms:Decrypt', 'kms:GenerateDataKey'],
  Recheck: [
    ...ADD,
    ...REVOKE,
    DESCRIBE_ENIS,
    DESCRIBE_REFS,
    DESCRIBE_GROUPS,
    'ec2:ModifyNetworkInterfaceAttribute',
    's3:GetObject',
    's3:ListBucket',
    's3:PutObject',
    ASSUME,
    ...SERVICES_READ,
  ],
  Strip: [...REVOKE, DESCRIBE_GROUPS, 'dynamodb:PutItem', 's3:GetObject', ASSUME],
  Verify: [DESCRIBE_ENIS, DESCRIBE_REFS, DESCRIBE_GROUPS, 's3:GetObject', ASSUME, ...SERVICES_READ],
  UpdateFinding: ['securityhub:BatchUpdateFindings'],
  Notify: ['dynamodb:PutItem', 's3:GetObject', 's3:ListBucket', 'sns:Publish', 'kms:Decrypt', 'kms:GenerateDataKey'],
  LoadRollback: [DESCRIBE_GROUPS, 'dynamodb:GetItem', 's3:GetObject', 's3:ListBucket', ASSUME],
  RestoreRules: [...ADD, DESCRIBE_GROUPS, 's3:GetObject', ASSUME],
  MoveBack: [DESCRIBE_ENIS, 'ec2:ModifyNetworkInterfaceAttribute', 's3:GetObject', ASSUME, ...SERVICES_MOVE],
  RemoveReplacement: [...REVOKE, DESCRIBE_GROUPS, 'ec2:DeleteSecurityGroup', 's3:GetObject', ASSUME],
  VerifyRollback: [DESCRIBE_ENIS, DESCRIBE_GROUPS, 's3:GetObject', ASSUME, ...SERVICES_READ],
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
      RequestApproval: ['approval#*'],
      LoadRollback: ['remediation#*'],
      Notify: ['rollback-link#*'],
    };
    for (const step of STEP_NAMES) {
      const ledger = stepStatements(step).filter((statement) => actionsOf(statement)[0]?.startsWith('dynamodb:'));
      const keys = ledger.flatMap(
        (statement) => statement.Condition?.['ForAllValues:StringLike']?.['dynamodb:LeadingKeys'] as string[],
      );
      expect(keys, step).toEqual(expected[step] ?? []);
    }
  });

  it('object access is limited to the plans/ and snapshots/ keys', () => {
    for (const step of STEP_NAMES) {
      for (const statement of stepStatements(step)) {
        if (!actionsOf(statement).some((action) => /^s3:(Get|Put)Object$/.test(action))) continue;
        for (const resource of resourcesOf(statement)) {
          const suffix = (resource as { 'Fn::Join': [string, unknown[]] })['Fn::Join'][1][1];
          expect(suffix, step).toMatch(/^\/(plans|snapshots)\/\*(\.v2)?\.json$/);
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
    ...roleStatements(s.memberTemplate, Object.keys(s.memberTemplate.findResources('AWS::IAM::Role'))[0] ?? ''),
  ];
  const withAction = (action: string) => ec2Statements().filter((statement) => actionsOf(statement).includes(action));

  it('describes are the only EC2 actions on "*"; with them only the other services\' reads without resource types', () => {
    for (const statement of ec2Statements()) {
      if (!actionsOf(statement).some((action) => action.startsWith('ec2:'))) continue;
      if (resourcesOf(statement).includes('*')) {
        for (const action of actionsOf(statement)) {
          expect(
            action.startsWith('ec2:Describe') ||
              ['elasticloadbalancing:DescribeLoadBalancers', 'lambda:ListFunctions'].includes(action),
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
    for (const statement of withAction('ec2:CreateTags')) {
      expect(actionsOf(statement)).toEqual(['ec2:CreateTags']);
      expect(statement.Condition).toEqual({ StringEquals: { 'ec2:CreateAction': 'CreateSecurityGroup' } });
    }
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

  it('interfaces are moved only in this account', () => {
    for (const statement of withAction('ec2:ModifyNetworkInterfaceAttribute')) {
      expect(actionsOf(statement)).toEqual(['ec2:ModifyNetworkInterfaceAttribute']);
      expect(resourcesOf(statement)).not.toContain('*');
      expect(resourcesOf(statement)).toHaveLength(3);
    }
  });

  it('no EC2 statement names ec2:* or an unscoped mutating action', () => {
    for (const statement of ec2Statements()) {
      for (const action of actionsOf(statement)) expect(action).not.toBe('ec2:*');
    }
  });
});

describe('Step Functions callbacks and AssumeRole', () => {
  it('only the links function may SendTaskSuccess / SendTaskFailure, on the remediation state machine only', () => {
    const remediation = logicalId(s.remediationTemplate, 'AWS::StepFunctions::StateMachine', 'WorkflowsRemediation');
    const statements = allStatements(s.remediationTemplate).filter(({ statement }) =>
      actionsOf(statement).some((action) => action.startsWith('states:SendTask')),
    );
    expect(statements).toHaveLength(1);
    expect(statements[0]?.where).toMatch(/^LinksHandlerRole/);
    expect(actionsOf(statements[0]?.statement as Statement)).toEqual([
      'states:SendTaskSuccess',
      'states:SendTaskFailure',
    ]);
    expect(statements[0]?.statement.Resource).toEqual({ Ref: remediation });
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

  it('sts:AssumeRole is granted only to the EC2 steps, only on the member role name', () => {
    const assumes = allStatements(s.remediationTemplate).filter(
      ({ statement }) =>
        statement.Effect === 'Allow' && actionsOf(statement).includes('sts:AssumeRole') && !statement.Principal,
    );
    expect(assumes.map(({ where }) => where.replace(/StepRoleDefaultPolicy.*$/, '')).sort()).toEqual(
      [...EC2_STEPS].sort(),
    );
    for (const { statement } of assumes) {
      expect(actionsOf(statement)).toEqual(['sts:AssumeRole']);
      expect(statement.Resource).toEqual({
        'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':iam::*:role/DefaultSgRemediationMember']],
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
