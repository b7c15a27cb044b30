/**
 * The synthesized templates (default configuration, synthesized once): functions, state machines, triggers, links
 * API, storage, notifications, alarms, and the member roles (one per step) with their trust.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Match } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { definitionText, LOCAL_SUBSTITUTION, loadDefinition } from '../../cli/runner.ts';
import { steps } from '../../handlers/steps/index.ts';
import { LINK_ROUTES, LINK_THROTTLE } from '../../infra/constructs/links.ts';
import { flowLogsGrant } from '../../infra/flow-logs-policy.ts';
import { CUSTOM_ACTIONS } from '../../infra/patterns.ts';
import { EC2_STEPS, READ_ONLY_STEPS, STEP_NAMES, STEP_SPECS } from '../../infra/steps.ts';
import { actionsOf, logicalId, roleStatements, type Statement, type Synthesized, synthesize } from './synth.ts';

let s: Synthesized;
beforeAll(() => {
  s = synthesize();
});

type Resource = { Type: string; Properties: Record<string, unknown> };
const resources = () => s.remediationTemplate.toJSON().Resources as Record<string, Resource>;
const functionId = (step: string) => logicalId(s.remediationTemplate, 'AWS::Lambda::Function', `${step}StepFunction`);
const environmentOf = (step: string) =>
  (
    (resources()[functionId(step)]?.Properties.Environment ?? { Variables: {} }) as {
      Variables: Record<string, unknown>;
    }
  ).Variables;

describe('the step functions', () => {
  it('exist for exactly the steps of handlers/steps/index.ts, plus the links function, the two dispatchers and the digest sender', () => {
    expect([...STEP_NAMES].sort()).toEqual(Object.keys(steps).sort());
    s.remediationTemplate.resourceCountIs('AWS::Lambda::Function', STEP_NAMES.length + 4);
  });

  it('run Node.js 22 on arm64 with X-Ray, JSON logs to their own log group, source maps, and their entry', () => {
    for (const step of STEP_NAMES) {
      const props = resources()[functionId(step)]?.Properties ?? {};
      expect(props).toMatchObject({
        Runtime: 'nodejs22.x',
        Architectures: ['arm64'],
        TracingConfig: { Mode: 'Active' },
        Handler: 'index.handler',
        Timeout: STEP_SPECS[step].timeoutSeconds,
        MemorySize: STEP_SPECS[step].memoryMb,
        LoggingConfig: { LogFormat: 'JSON', LogGroup: { Ref: expect.stringMatching(new RegExp(`^${step}StepLogs`)) } },
        Environment: { Variables: expect.objectContaining({ NODE_OPTIONS: '--enable-source-maps' }) },
      });
      expect(readFileSync(join('handlers/lambda', `${STEP_SPECS[step].entry}.ts`), 'utf8')).toMatch(
        /export const handler\b/,
      );
    }
  });

  it('have log groups with retention, encrypted with the stack key', () => {
    const logGroups = s.remediationTemplate.findResources('AWS::Logs::LogGroup');
    expect(Object.keys(logGroups).length).toBeGreaterThanOrEqual(STEP_NAMES.length + 4);
    for (const group of Object.values(logGroups)) {
      expect(group.Properties).toMatchObject({
        RetentionInDays: 365,
        KmsKeyId: { 'Fn::GetAtt': [expect.stringMatching(/^LogKey/), 'Arn'] },
      });
    }
  });

  it('reserve concurrency for the functions that change EC2 only', () => {
    for (const step of STEP_NAMES) {
      const reserved = resources()[functionId(step)]?.Properties.ReservedConcurrentExecutions;
      expect(reserved, step).toBe(STEP_SPECS[step].mutating ? 2 : undefined);
    }
  });

  it('get the settings of handlers/lambda/runtime.ts; links and the member role only where used', () => {
    for (const step of STEP_NAMES) {
      const env = environmentOf(step);
      expect(Object.keys(env)).toEqual(expect.arrayContaining(['SNAPSHOT_BUCKET', 'LEDGER_TABLE', 'TOPIC_ARN']));
      expect(env.APPROVAL_TIMEOUT_SECONDS).toBe(String(72 * 3600));
      expect('LINK_BASE_URL' in env, step).toBe(['RequestApproval', 'RequestTightening', 'Notify'].includes(step));
      expect('MEMBER_ROLE_NAME' in env, step).toBe(EC2_STEPS.includes(step));
      if (EC2_STEPS.includes(step)) expect(env.MEMBER_ROLE_NAME).toBe(`DefaultSgRemediationMember-${step}`);
    }
  });

  it('time out before the Task that calls them does (so a slow call is a retryable Sandbox.Timedout)', () => {
    for (const machine of ['remediate', 'rollback', 'tighten'] as const) {
      const visit = (states: Record<string, Record<string, unknown>>) => {
        for (const state of Object.values(states)) {
          const inner = (state.ItemProcessor ?? state.Iterator) as { States: typeof states } | undefined;
          if (inner) visit(inner.States);
          const reference = String((state.Parameters as { FunctionName?: string })?.FunctionName ?? state.Resource);
          const step = /function:(\w+)$/.exec(reference)?.[1] as keyof typeof STEP_SPECS | undefined;
          if (!step || typeof state.TimeoutSeconds !== 'number') continue;
          expect(STEP_SPECS[step].timeoutSeconds, `${machine}: ${step}`).toBeLessThan(state.TimeoutSeconds);
        }
      };
      visit(loadDefinition(machine).States as Record<string, Record<string, unknown>>);
    }
  });
});

describe('the state machines', () => {
  const machines = {
    remediate: 'WorkflowsRemediation',
    rollback: 'WorkflowsRollback',
    tighten: 'WorkflowsTighten',
  } as const;

  it('are Standard workflows logging ALL to an encrypted log group, with X-Ray tracing', () => {
    s.remediationTemplate.resourceCountIs('AWS::StepFunctions::StateMachine', 4);
    for (const machine of Object.values(s.remediationTemplate.findResources('AWS::StepFunctions::StateMachine'))) {
      expect(machine.Properties).toMatchObject({
        StateMachineType: 'STANDARD',
        TracingConfiguration: { Enabled: true },
        LoggingConfiguration: {
          Level: 'ALL',
          IncludeExecutionData: false,
          Destinations: [{ CloudWatchLogsLogGroup: { LogGroupArn: { 'Fn::GetAtt': [expect.any(String), 'Arn'] } } }],
        },
      });
    }
  });

  it.each(Object.entries(machines))(
    'deploy %s.asl.json unchanged, and after substitution it is what the local runner executes',
    (name, prefix) => {
      const id = logicalId(s.remediationTemplate, 'AWS::StepFunctions::StateMachine', prefix);
      const props = resources()[id]?.Properties as {
        DefinitionS3Location: { Key: string };
        DefinitionSubstitutions: Record<string, { 'Fn::GetAtt'?: [string, string]; Ref?: string }>;
      };
      // The definition asset is the file itself.
      const asset = readFileSync(join(s.assembly.directory, `asset.${props.DefinitionS3Location.Key}`), 'utf8');
      const file = definitionText(name as 'remediate' | 'rollback');
      expect(asset).toBe(file);
      // Every placeholder of the file is substituted, and by the function of the step it names.
      const placeholders = [...new Set([...file.matchAll(/\$\{(\w+)\}/g)].map((match) => match[1]))].sort();
      expect(Object.keys(props.DefinitionSubstitutions).sort()).toEqual(placeholders);
      const deployed = file.replace(/\$\{(\w+)\}/g, (_, key: string) => {
        const value = props.DefinitionSubstitutions[key];
        const target = value?.['Fn::GetAtt']?.[0] ?? value?.Ref ?? '';
        const step = /^(\w+?)StepFunction[0-9A-F]{8}$/.exec(target)?.[1];
        if (step) return `arn:aws:lambda:us-east-1:000000000000:function:${step}`;
        if (/^WorkflowsRollback[0-9A-F]{8}$/.test(target)) return LOCAL_SUBSTITUTION('RollbackStateMachineArn');
        throw new Error(`${key} is bound to ${JSON.stringify(value)}`);
      });
      expect(JSON.parse(deployed)).toEqual(loadDefinition(name as 'remediate' | 'rollback'));
    },
  );

  it('may invoke exactly the functions their definitions name', () => {
    for (const [name, prefix] of Object.entries(machines)) {
      const role = logicalId(s.remediationTemplate, 'AWS::IAM::Role', `${prefix}Role`);
      const invoke = roleStatements(s.remediationTemplate, role).filter((statement) =>
        [statement.Action].flat().includes('lambda:InvokeFunction'),
      );
      expect(invoke).toHaveLength(1);
      const named = [
        ...new Set([...definitionText(name as 'remediate').matchAll(/\$\{(\w+)FunctionArn\}/g)].map((m) => m[1])),
      ];
      const granted = [invoke[0]?.Resource]
        .flat()
        .map(
          (resource) =>
            /^(\w+?)StepFunction/.exec((resource as { 'Fn::GetAtt': string[] })['Fn::GetAtt'][0] ?? '')?.[1],
        );
      expect(granted.sort()).toEqual(named.sort());
    }
  });

  it('the remediation machine may run the rollback machine as a .sync child, and nothing else of Step Functions', () => {
    const role = logicalId(s.remediationTemplate, 'AWS::IAM::Role', 'WorkflowsRemediationRole');
    const statements = roleStatements(s.remediationTemplate, role);
    const rollback = logicalId(s.remediationTemplate, 'AWS::StepFunctions::StateMachine', 'WorkflowsRollback');
    expect(statements).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ Action: 'states:StartExecution', Resource: { Ref: rollback } }),
        expect.objectContaining({
          Action: ['states:DescribeExecution', 'states:StopExecution'],
          Resource: {
            'Fn::Join': ['', expect.arrayContaining([':execution:', { 'Fn::GetAtt': [rollback, 'Name'] }, ':*'])],
          },
        }),
        expect.objectContaining({
          Action: ['events:PutTargets', 'events:PutRule', 'events:DescribeRule'],
          Resource: {
            'Fn::Join': ['', expect.arrayContaining([':rule/StepFunctionsGetEventsForStepFunctionsExecutionRule'])],
          },
        }),
      ]),
    );
    const rollbackRole = logicalId(s.remediationTemplate, 'AWS::IAM::Role', 'WorkflowsRollbackRole');
    const rollbackActions = roleStatements(s.remediationTemplate, rollbackRole).flatMap((statement) =>
      [statement.Action].flat(),
    );
    expect(rollbackActions.filter((action) => action.startsWith('states:'))).toEqual([]);
  });
});

describe('the triggers', () => {
  it('define the custom actions with their rules to the right targets', () => {
    for (const action of Object.values(CUSTOM_ACTIONS)) {
      s.remediationTemplate.hasResourceProperties('AWS::SecurityHub::ActionTarget', {
        Id: action.id,
        Name: action.name,
        Description: action.description,
      });
    }
    const remediateAction = logicalId(
      s.remediationTemplate,
      'AWS::SecurityHub::ActionTarget',
      'TriggersRemediateAction',
    );
    const rollbackAction = logicalId(s.remediationTemplate, 'AWS::SecurityHub::ActionTarget', 'TriggersRollbackAction');
    const rule = (action: string, target: unknown) => ({
      EventPattern: {
        source: ['aws.securityhub'],
        'detail-type': ['Security Hub Findings - Custom Action'],
        resources: [{ 'Fn::GetAtt': [action, 'ActionTargetArn'] }],
      },
      Targets: [
        Match.objectLike({
          Arn: target,
          DeadLetterConfig: { Arn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^DeadLettersQueue'), 'Arn'] } },
          RetryPolicy: { MaximumRetryAttempts: 8, MaximumEventAgeInSeconds: 7200 },
        }),
      ],
    });
    // "Remediate EC2.2" carries up to 20 findings: the dispatcher starts one remediation per distinct group.
    s.remediationTemplate.hasResourceProperties(
      'AWS::Events::Rule',
      rule(remediateAction, {
        'Fn::GetAtt': [logicalId(s.remediationTemplate, 'AWS::Lambda::Function', 'DispatchFindingsFunction'), 'Arn'],
      }),
    );
    s.remediationTemplate.hasResourceProperties(
      'AWS::Events::Rule',
      rule(rollbackAction, {
        Ref: logicalId(s.remediationTemplate, 'AWS::StepFunctions::StateMachine', 'TriggersRollbackFromFinding'),
      }),
    );
  });

  it('the dispatcher may start the remediation machine only, and tells the team (topic); invoked by EventBridge only', () => {
    const role = logicalId(s.remediationTemplate, 'AWS::IAM::Role', 'DispatchFindingsRole');
    const fn = logicalId(s.remediationTemplate, 'AWS::Lambda::Function', 'DispatchFindingsFunction');
    const remediation = logicalId(s.remediationTemplate, 'AWS::StepFunctions::StateMachine', 'WorkflowsRemediation');
    const statements = Object.values(s.remediationTemplate.findResources('AWS::IAM::Policy'))
      .filter((policy) => JSON.stringify(policy.Properties.Roles).includes(role))
      .flatMap(
        (policy) => policy.Properties.PolicyDocument.Statement as { Action: string | string[]; Resource: unknown }[],
      );
    const starts = statements.filter((statement) => [statement.Action].flat().some((a) => a.startsWith('states:')));
    expect(starts).toEqual([
      expect.objectContaining({ Action: 'states:StartExecution', Resource: { Ref: remediation } }),
    ]);
    const actions = new Set(statements.flatMap((statement) => [statement.Action].flat()));
    expect(actions).toContain('sns:Publish');
    for (const action of actions) expect(action).not.toMatch(/^(ec2|dynamodb|s3|securityhub):/);
    const environment = s.remediationTemplate.toJSON().Resources[fn].Properties.Environment.Variables;
    expect(environment.REMEDIATION_STATE_MACHINE_ARN).toEqual({ Ref: remediation });
    s.remediationTemplate.hasResourceProperties('AWS::Lambda::Permission', {
      Action: 'lambda:InvokeFunction',
      FunctionName: { 'Fn::GetAtt': [fn, 'Arn'] },
      Principal: 'events.amazonaws.com',
    });
  });

  it('"Tighten EC2.2 copy" goes to its dispatcher, which may start the tighten machine only, read remediation records only, and tell the team', () => {
    expect(CUSTOM_ACTIONS.tighten.name.length).toBeLessThanOrEqual(20);
    const action = logicalId(s.remediationTemplate, 'AWS::SecurityHub::ActionTarget', 'TriggersTightenAction');
    const fn = logicalId(s.remediationTemplate, 'AWS::Lambda::Function', 'DispatchTightenFunction');
    s.remediationTemplate.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: {
        source: ['aws.securityhub'],
        'detail-type': ['Security Hub Findings - Custom Action'],
        resources: [{ 'Fn::GetAtt': [action, 'ActionTargetArn'] }],
      },
      Targets: [
        Match.objectLike({
          Arn: { 'Fn::GetAtt': [fn, 'Arn'] },
          DeadLetterConfig: { Arn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^DeadLettersQueue'), 'Arn'] } },
          RetryPolicy: { MaximumRetryAttempts: 8, MaximumEventAgeInSeconds: 7200 },
        }),
      ],
    });
    const role = logicalId(s.remediationTemplate, 'AWS::IAM::Role', 'DispatchTightenRole');
    const tighten = logicalId(s.remediationTemplate, 'AWS::StepFunctions::StateMachine', 'WorkflowsTighten');
    const statements = roleStatements(s.remediationTemplate, role);
    const starts = statements.filter((statement) => actionsOf(statement).some((a) => a.startsWith('states:')));
    expect(starts).toEqual([expect.objectContaining({ Action: 'states:StartExecution', Resource: { Ref: tighten } })]);
    const ledger = statements.filter((statement) => actionsOf(statement).some((a) => a.startsWith('dynamodb:')));
    expect(ledger.map((statement) => [actionsOf(statement), statement.Condition])).toEqual([
      [['dynamodb:GetItem'], { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['remediation#*'] } }],
    ]);
    const actions = new Set(statements.flatMap(actionsOf));
    expect(actions).toContain('sns:Publish');
    for (const action of actions) expect(action).not.toMatch(/^(ec2|s3|securityhub|logs:StartQuery)/);
    const environment = s.remediationTemplate.toJSON().Resources[fn].Properties.Environment.Variables;
    expect(environment.TIGHTEN_STATE_MACHINE_ARN).toEqual({ Ref: tighten });
    s.remediationTemplate.hasResourceProperties('AWS::Lambda::Permission', {
      Action: 'lambda:InvokeFunction',
      FunctionName: { 'Fn::GetAtt': [fn, 'Arn'] },
      Principal: 'events.amazonaws.com',
    });
  });

  it('have no findings rule while autoRemediate is off (the default)', () => {
    // The three custom actions' rules and the digest sender's schedule.
    s.remediationTemplate.resourceCountIs('AWS::Events::Rule', 4);
    const patterns = Object.values(s.remediationTemplate.findResources('AWS::Events::Rule'))
      .filter((rule) => rule.Properties.EventPattern)
      .map((rule) => rule.Properties.EventPattern['detail-type'][0]);
    expect(patterns).not.toContain('Security Hub Findings - Imported');
  });

  it('have no watcher rule while watch is off (the default); the watcher function is there, with its dead-letter queue', () => {
    const patterns = Object.values(s.remediationTemplate.findResources('AWS::Events::Rule'))
      .filter((rule) => rule.Properties.EventPattern)
      .map((rule) => rule.Properties.EventPattern['detail-type'][0]);
    expect(patterns).not.toContain('AWS API Call via CloudTrail');
    const watch = logicalId(s.remediationTemplate, 'AWS::Lambda::Function', 'WatchStepFunction');
    const props = s.remediationTemplate.toJSON().Resources[watch].Properties;
    // Invoked asynchronously by EventBridge: events Lambda gives up on are kept in the queue the alarm watches.
    expect(props.DeadLetterConfig).toEqual({
      TargetArn: { 'Fn::GetAtt': [expect.stringMatching(/^DeadLettersQueue/), 'Arn'] },
    });
    // It leaves out the calls of the deployment's own roles, by their names.
    expect(props.Environment.Variables).toMatchObject({
      REMEDIATION_ACCOUNT_ID: { Ref: 'AWS::AccountId' },
      MEMBER_ROLE_PREFIX: 'DefaultSgRemediationMember',
      MEMBER_ROLE_NAME: 'DefaultSgRemediationMember-Watch',
    });
    // No state machine invokes it.
    const definitions = JSON.stringify(s.remediationTemplate.findResources('AWS::StepFunctions::StateMachine'));
    expect(definitions).not.toContain(watch);
  });
});

describe('the approval digests', () => {
  it('the sender runs every minute, closes windows and sends one notice: exactly those grants, its DLQ', () => {
    const fn = logicalId(s.remediationTemplate, 'AWS::Lambda::Function', 'SendDigestsFunction');
    s.remediationTemplate.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'rate(1 minute)',
      Targets: [Match.objectLike({ Arn: { 'Fn::GetAtt': [fn, 'Arn'] }, DeadLetterConfig: Match.anyValue() })],
    });
    const props = s.remediationTemplate.toJSON().Resources[fn].Properties;
    expect(props.Environment.Variables).toMatchObject({
      APPROVAL_DIGEST_SECONDS: '300',
      LINK_BASE_URL: { 'Fn::GetAtt': [expect.stringMatching(/^LinksApi/), 'ApiEndpoint'] },
    });
    const role = logicalId(s.remediationTemplate, 'AWS::IAM::Role', 'SendDigestsRole');
    const statements = Object.values(s.remediationTemplate.findResources('AWS::IAM::Policy'))
      .filter((policy) => JSON.stringify(policy.Properties.Roles).includes(role))
      .flatMap(
        (policy) =>
          policy.Properties.PolicyDocument.Statement as {
            Action: string | string[];
            Condition?: Record<string, Record<string, unknown>>;
          }[],
      );
    const ledger = Object.fromEntries(
      statements
        .filter((statement) => [statement.Action].flat()[0]?.startsWith('dynamodb:'))
        .map((statement) => [
          [statement.Action].flat().join(' '),
          statement.Condition?.['ForAllValues:StringLike']?.['dynamodb:LeadingKeys'],
        ]),
    );
    expect(ledger).toEqual({
      'dynamodb:GetItem dynamodb:UpdateItem': ['digest-window#*'],
      'dynamodb:PutItem': ['digest#*'],
      'dynamodb:GetItem': ['approval#*', 'remediation#*', 'rollback-link#*'],
    });
    const actions = new Set(statements.flatMap((statement) => [statement.Action].flat()));
    for (const action of actions) expect(action).not.toMatch(/^(ec2|states|securityhub):/);
    expect(actions).toContain('sns:Publish');
  });

  it('every function that joins a window gets the window length', () => {
    for (const step of ['RequestApproval', 'Notify']) {
      expect(environmentOf(step).APPROVAL_DIGEST_SECONDS, step).toBe('300');
    }
  });
});

describe('the links API', () => {
  it('routes GET and POST of /approvals/{id}, /rollbacks/{id} and /digests/{id} to the links function (payload 2.0)', () => {
    const linksFunction = logicalId(s.remediationTemplate, 'AWS::Lambda::Function', 'LinksHandlerFunction');
    s.remediationTemplate.hasResourceProperties('AWS::ApiGatewayV2::Integration', {
      IntegrationType: 'AWS_PROXY',
      PayloadFormatVersion: '2.0',
      IntegrationUri: { 'Fn::GetAtt': [linksFunction, 'Arn'] },
    });
    const routes = Object.values(s.remediationTemplate.findResources('AWS::ApiGatewayV2::Route')).map(
      (route) => route.Properties.RouteKey,
    );
    expect(routes.sort()).toEqual(LINK_ROUTES.map(({ method, path }) => `${method} ${path}`).sort());
    expect(readFileSync('handlers/http/links.ts', 'utf8')).toMatch(/export async function handler\b/);
  });

  it('throttles the $default stage and writes access logs that name the route, not the path', () => {
    s.remediationTemplate.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
      StageName: '$default',
      AutoDeploy: true,
      DefaultRouteSettings: {
        ThrottlingBurstLimit: LINK_THROTTLE.burstLimit,
        ThrottlingRateLimit: LINK_THROTTLE.rateLimit,
      },
      AccessLogSettings: { DestinationArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^LinksAccessLogs'), 'Arn'] } },
    });
    const stage = Object.values(s.remediationTemplate.findResources('AWS::ApiGatewayV2::Stage'))[0];
    const format = JSON.parse(stage?.Properties.AccessLogSettings.Format);
    expect(format.route).toBe('$context.routeKey');
    expect(JSON.stringify(format)).not.toMatch(/\$context\.(path|resourcePath)|rawPath/);
  });

  it('gives its base URL to the functions that write links', () => {
    const api = logicalId(s.remediationTemplate, 'AWS::ApiGatewayV2::Api', 'LinksApi');
    for (const step of ['RequestApproval', 'Notify']) {
      const env = environmentOf(step);
      expect(env.LINK_BASE_URL).toEqual({ 'Fn::GetAtt': [api, 'ApiEndpoint'] });
    }
  });
});

describe('storage', () => {
  it('keeps the ledger: pk string, on-demand, PITR, TTL on ttl, deletion protection, encrypted, retained', () => {
    s.remediationTemplate.hasResource('AWS::DynamoDB::Table', {
      DeletionPolicy: 'Retain',
      UpdateReplacePolicy: 'Retain',
      Properties: {
        KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
        AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
        BillingMode: 'PAY_PER_REQUEST',
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
        TimeToLiveSpecification: { AttributeName: 'ttl', Enabled: true },
        DeletionProtectionEnabled: true,
        SSESpecification: { SSEEnabled: true },
      },
    });
  });

  it('keeps snapshots in a versioned, encrypted, private, TLS-only, logged, retained bucket', () => {
    const snapshots = logicalId(s.remediationTemplate, 'AWS::S3::Bucket', 'StorageSnapshots');
    const bucket = resources()[snapshots] as Resource & { DeletionPolicy?: string };
    expect(bucket.DeletionPolicy).toBe('Retain');
    expect(bucket.Properties).toMatchObject({
      VersioningConfiguration: { Status: 'Enabled' },
      BucketEncryption: {
        ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }],
      },
      PublicAccessBlockConfiguration: {
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      },
      LoggingConfiguration: { DestinationBucketName: { Ref: expect.stringMatching(/^StorageAccessLogs/) } },
      LifecycleConfiguration: {
        Rules: expect.arrayContaining([
          expect.objectContaining({ NoncurrentVersionExpiration: { NoncurrentDays: 90 } }),
        ]),
      },
    });
    s.remediationTemplate.hasResourceProperties('AWS::S3::BucketPolicy', {
      Bucket: { Ref: snapshots },
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Action: 's3:*', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        ]),
      },
    });
    // No statement of any bucket policy grants anything to everyone.
    for (const policy of Object.values(s.remediationTemplate.findResources('AWS::S3::BucketPolicy'))) {
      for (const statement of policy.Properties.PolicyDocument.Statement) {
        if (statement.Effect === 'Allow') expect(statement.Principal).not.toEqual('*');
      }
    }
  });
});

describe('notifications and alarms', () => {
  it('encrypt the topic with a rotated customer key and enforce TLS', () => {
    const key = logicalId(s.remediationTemplate, 'AWS::KMS::Key', 'NotificationsKey');
    s.remediationTemplate.hasResourceProperties('AWS::KMS::Key', { EnableKeyRotation: true });
    s.remediationTemplate.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: { 'Fn::GetAtt': [key, 'Arn'] } });
    s.remediationTemplate.hasResourceProperties('AWS::SNS::TopicPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        ]),
      },
    });
    // notificationEmail is empty by default: no subscription.
    s.remediationTemplate.resourceCountIs('AWS::SNS::Subscription', 0);
  });

  it('alarm on failed, timed-out and aborted executions of each machine and on function errors, to the topic', () => {
    const topic = logicalId(s.remediationTemplate, 'AWS::SNS::Topic', 'NotificationsTopic');
    const alarms = Object.values(s.remediationTemplate.findResources('AWS::CloudWatch::Alarm'));
    for (const metric of ['ExecutionsFailed', 'ExecutionsTimedOut', 'ExecutionsAborted']) {
      const machines = alarms.filter((alarm) => alarm.Properties.MetricName === metric);
      expect(machines, metric).toHaveLength(4);
    }
    expect(alarms.filter((alarm) => alarm.Properties.MetricName === 'Errors')).toHaveLength(STEP_NAMES.length + 4);
    expect(alarms.filter((alarm) => alarm.Properties.MetricName === 'ApproximateNumberOfMessagesVisible')).toHaveLength(
      1,
    );
    for (const alarm of alarms) {
      expect(alarm.Properties).toMatchObject({
        AlarmActions: [{ Ref: topic }],
        Threshold: 1,
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
        TreatMissingData: 'notBreaching',
      });
    }
  });
});

describe('the member role stack', () => {
  type Role = {
    Type: string;
    Properties: { RoleName?: string; AssumeRolePolicyDocument: { Statement: Required<Statement>[] } };
  };
  const memberRoles = () => s.memberTemplate.findResources('AWS::IAM::Role') as Record<string, Role>;
  const memberRoleOf = (step: string) => {
    const found = Object.entries(memberRoles()).filter(
      ([, role]) => role.Properties.RoleName === `DefaultSgRemediationMember-${step}`,
    );
    expect(found, step).toHaveLength(1);
    return found[0] as [string, Role];
  };
  /** A step's calls in the finding's account, as its own role in the remediation account has them. */
  // The flow log reads (infra/flow-logs-policy.ts) are account calls too, told by their Sid: their logs: and s3:
  // actions would otherwise be confused with the function's own log group and the store.
  const flowLogSids = new Set(flowLogsGrant().statements.map((statement) => statement.sid));
  const accountCallsOfStep = (step: string) =>
    roleStatements(s.remediationTemplate, logicalId(s.remediationTemplate, 'AWS::IAM::Role', `${step}StepRole`)).filter(
      (statement) =>
        flowLogSids.has(statement.Sid) ||
        actionsOf(statement).every((action) =>
          /^(ec2|lambda|rds|elasticloadbalancing|elasticfilesystem|elasticache|autoscaling|servicequotas|cloudformation|ecs|redshift|dms|codebuild|batch|eks):/.test(
            action,
          ),
        ),
    );
  // StartQuery runs a Logs Insights query: it only reads log events (assumed Read access level, not looked up).
  const isRead = (action: string) =>
    /^[a-z0-9-]+:(Describe|List|Get|BatchGet)[A-Za-z]*$/.test(action) || action === 'logs:StartQuery';

  it('has one role per step that calls the finding’s account, named <memberRoleName>-<Step>', () => {
    expect(
      Object.values(memberRoles())
        .map((role) => role.Properties.RoleName)
        .sort(),
    ).toEqual(EC2_STEPS.map((step) => `DefaultSgRemediationMember-${step}`).sort());
    expect(EC2_STEPS.length).toBeGreaterThanOrEqual(12);
  });

  it.each(EC2_STEPS)('%s: its member role trusts only that step’s role, by ARN, and the organization', (step) => {
    const [, role] = memberRoleOf(step);
    const statements = role.Properties.AssumeRolePolicyDocument.Statement;
    expect(statements).toHaveLength(1);
    const trust = statements[0] as Required<Statement>;
    expect(trust.Action).toBe('sts:AssumeRole');
    expect(trust.Principal).toEqual({
      AWS: {
        'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':iam::', { Ref: 'RemediationAccountId' }, ':root']],
      },
    });
    expect(trust.Condition.ArnEquals).toEqual({
      'aws:PrincipalArn': {
        'Fn::Join': [
          '',
          [
            'arn:',
            { Ref: 'AWS::Partition' },
            ':iam::',
            { Ref: 'RemediationAccountId' },
            `:role/DefaultSgRemediation-${step}-`,
            { Ref: 'RemediationRegion' },
          ],
        ],
      },
    });
    // Neither an external id nor an organization configured: the organization id is a required parameter.
    expect(trust.Condition.StringEquals).toEqual({ 'aws:PrincipalOrgID': { Ref: 'OrganizationId' } });
  });

  it.each(EC2_STEPS)('%s: its member role may do exactly what the step may do in its own account', (step) => {
    const [id] = memberRoleOf(step);
    const member = roleStatements(s.memberTemplate, id);
    expect(member.length).toBeGreaterThan(0);
    expect(member).toEqual(accountCallsOfStep(step));
  });

  it("the read-only steps’ member roles can only read: Discover, Verify, LoadRollback, VerifyRollback, Watch, and the tightening's proposal, re-check and verifications", () => {
    expect([...READ_ONLY_STEPS].sort()).toEqual([
      'Discover',
      'LoadRollback',
      'ProposeTightening',
      'RecheckTightening',
      'Verify',
      'VerifyCopyRules',
      'VerifyRollback',
      'VerifyTightening',
      'Watch',
    ]);
    for (const step of READ_ONLY_STEPS) {
      const [id] = memberRoleOf(step);
      const actions = roleStatements(s.memberTemplate, id).flatMap(actionsOf);
      expect(
        actions.filter((action) => !isRead(action)),
        step,
      ).toEqual([]);
    }
  });

  it('no member role holds a change another step makes and its own step does not', () => {
    for (const step of EC2_STEPS) {
      const [id] = memberRoleOf(step);
      const writes = new Set(
        roleStatements(s.memberTemplate, id)
          .flatMap(actionsOf)
          .filter((a) => !isRead(a)),
      );
      const own = new Set(
        accountCallsOfStep(step)
          .flatMap(actionsOf)
          .filter((a) => !isRead(a)),
      );
      expect([...writes].sort(), step).toEqual([...own].sort());
    }
    // The writes are spread over the steps, not all in one role.
    const moveActions = roleStatements(s.memberTemplate, memberRoleOf('MoveInterfaces')[0]).flatMap(actionsOf);
    expect(moveActions).not.toContain('ec2:RevokeSecurityGroupIngress');
    expect(moveActions).not.toContain('ec2:DeleteSecurityGroup');
  });

  it('is a plain template StackSets can deploy: no bootstrap check, no assets', () => {
    const template = s.memberTemplate.toJSON();
    expect(Object.keys(template.Parameters ?? {}).sort()).toEqual([
      'OrganizationId',
      'RemediationAccountId',
      'RemediationRegion',
    ]);
    s.memberTemplate.templateMatches({
      Parameters: {
        RemediationAccountId: { Type: 'String', AllowedPattern: '^\\d{12}$' },
        RemediationRegion: { Type: 'String' },
        OrganizationId: { Type: 'String', AllowedPattern: '^o-[a-z0-9]{10,32}$' },
      },
    });
    expect(template.Rules).toBeUndefined();
    const types = new Set(Object.values(template.Resources as Record<string, Role>).map((resource) => resource.Type));
    expect([...types].sort()).toEqual(['AWS::IAM::Policy', 'AWS::IAM::Role']);
  });
});

describe('the template', () => {
  it('has no dependency cycle (CloudFormation would refuse it; CDK does not check)', () => {
    const all = resources();
    const edges = new Map<string, Set<string>>();
    const visit = (value: unknown, from: string) => {
      if (Array.isArray(value)) for (const item of value) visit(item, from);
      else if (value && typeof value === 'object') {
        for (const [key, inner] of Object.entries(value)) {
          if (key === 'Ref' && typeof inner === 'string' && inner in all) edges.get(from)?.add(inner);
          else if (key === 'Fn::GetAtt' && Array.isArray(inner) && String(inner[0]) in all)
            edges.get(from)?.add(String(inner[0]));
          else visit(inner, from);
        }
      }
    };
    for (const [id, resource] of Object.entries(all)) {
      edges.set(id, new Set([(resource as { DependsOn?: string[] }).DependsOn ?? []].flat()));
      visit(resource.Properties, id);
    }
    const state = new Map<string, 'open' | 'done'>();
    const cycle = (id: string): boolean => {
      if (state.get(id) === 'open') return true;
      if (state.get(id) === 'done') return false;
      state.set(id, 'open');
      for (const next of edges.get(id) ?? []) if (cycle(next)) return true;
      state.set(id, 'done');
      return false;
    };
    expect(Object.keys(all).filter(cycle)).toEqual([]);
  });
});
