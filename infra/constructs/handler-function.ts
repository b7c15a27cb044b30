/**
 * The one Lambda construct of the stack: a handler of `handlers/` bundled with the local esbuild (no Docker), on
 * Node.js 22 / arm64, minified with source maps, X-Ray active tracing, its own log group (encrypted, with retention)
 * and its own role that starts empty: every permission comes from one of the grant helpers below, each granting
 * exactly the calls an adapter makes, so a function can do what its handler does and nothing else.
 */
import { join } from 'node:path';
import { Aws, type CfnElement, type Duration, Stack, Validations } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat, SourceMapMode } from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import type * as sns from 'aws-cdk-lib/aws-sns';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { type AccountGrantOptions, accountGrant } from '../account-grant.ts';
import type { Access, LedgerAction } from '../steps.ts';

export const PROJECT_ROOT = join(import.meta.dirname, '..', '..');

export interface HandlerFunctionProps {
  /** The entry file, relative to the project root (e.g. `handlers/lambda/discover.ts`); it exports `handler`. */
  entry: string;
  description: string;
  timeout: Duration;
  memorySize: number;
  reservedConcurrentExecutions?: number;
  environment: Record<string, string>;
  /** Key of the log group's encryption. */
  logKey: kms.IKey;
  logRetention: logs.RetentionDays;
  /** A fixed role name (for roles other accounts trust by ARN); generated otherwise. */
  roleName?: string;
  /**
   * For a function invoked asynchronously (an EventBridge target): where an event goes once Lambda's own retries of
   * it failed.
   */
  deadLetterQueue?: sqs.IQueue;
}

export class HandlerFunction extends Construct {
  readonly function: NodejsFunction;
  readonly role: iam.Role;
  readonly logGroup: logs.LogGroup;

  constructor(scope: Construct, id: string, props: HandlerFunctionProps) {
    super(scope, id);
    this.logGroup = new logs.LogGroup(this, 'Logs', {
      retention: props.logRetention,
      encryptionKey: props.logKey,
    });
    // An explicit role instead of the default one, which would carry the AWSLambdaBasicExecutionRole managed policy
    // (logs on every log group of the account): this one may write to its own log group only.
    this.role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `${props.description} (${props.entry})`,
      ...(props.roleName ? { roleName: props.roleName } : {}),
    });
    this.role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'WriteOwnLogGroup',
        actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        resources: [this.logGroup.logGroupArn],
      }),
    );

    this.function = new NodejsFunction(this, 'Function', {
      entry: join(PROJECT_ROOT, props.entry),
      handler: 'handler',
      projectRoot: PROJECT_ROOT,
      depsLockFilePath: join(PROJECT_ROOT, 'package-lock.json'),
      runtime: lambda.Runtime.NODEJS_22_X,
      architecture: lambda.Architecture.ARM_64,
      description: props.description,
      timeout: props.timeout,
      memorySize: props.memorySize,
      ...(props.reservedConcurrentExecutions !== undefined && props.reservedConcurrentExecutions > 0
        ? { reservedConcurrentExecutions: props.reservedConcurrentExecutions }
        : {}),
      role: this.role,
      ...(props.deadLetterQueue ? { deadLetterQueue: props.deadLetterQueue } : {}),
      logGroup: this.logGroup,
      tracing: lambda.Tracing.ACTIVE,
      loggingFormat: lambda.LoggingFormat.JSON,
      environment: { NODE_OPTIONS: '--enable-source-maps', ...props.environment },
      bundling: {
        forceDockerBundling: false,
        minify: true,
        sourceMap: true,
        sourceMapMode: SourceMapMode.DEFAULT,
        sourcesContent: false,
        target: 'node22',
        format: OutputFormat.CJS,
        // The AWS SDK for JavaScript v3 of the Node.js 22 runtime is used (not bundled): bundles stay ~0.5 MB
        // instead of ~3 MB each; see docs/deploy.md to bundle it instead.
        externalModules: ['@aws-sdk/*'],
      },
    });

    // Tracing ACTIVE adds xray:PutTraceSegments / PutTelemetryRecords on "*" to the role; allowAccountCalls adds the
    // describes and quota reads on "*" (infra/account-grant.ts).
    this.acknowledge(
      'AwsSolutions-IAM5[Resource::*]',
      'Only actions without resource-level permissions are granted on "*": X-Ray PutTraceSegments and PutTelemetryRecords (active tracing) and, for the functions that read the finding\'s account, the read-only EC2 Describe* calls, the services\' list calls (the Service Authorization Reference lists no resource type for them), the Service Quotas Get* reads of AWS-defined quota codes and, for the organization audit, organizations:ListAccounts (no resource type either).',
    );
    // Node.js 22 is the project's runtime (DESIGN.md, package.json engines and the local toolchain the steps are tested with).
    this.acknowledge(
      'AwsSolutions-L1',
      'Node.js 22 is the runtime the handlers are built and tested for (DESIGN.md; npm scripts run Node 22); a newer runtime is a deliberate upgrade.',
    );
    this.acknowledge(
      'Serverless-LambdaLatestVersion',
      'Node.js 22 is the runtime the handlers are built and tested for (DESIGN.md; npm scripts run Node 22); a newer runtime is a deliberate upgrade.',
    );
    // The step and links handlers are invoked synchronously (Step Functions Tasks, API Gateway): the caller sees each
    // error and retries or catches it, so an asynchronous DLQ would never receive anything. The watcher has one.
    if (!props.deadLetterQueue) {
      this.acknowledge(
        'Serverless-LambdaDLQ',
        'Invoked only synchronously (Step Functions Tasks or API Gateway): the caller sees every error and retries or catches it; an asynchronous DLQ would never receive anything.',
      );
    }
  }

  get functionArn(): string {
    return this.function.functionArn;
  }

  private readonly acknowledged = new Set<string>();

  /** A cdk-nag acknowledgement on this function's constructs (function, role, policy, log group). */
  acknowledge(id: string, reason: string): void {
    if (this.acknowledged.has(id)) return;
    this.acknowledged.add(id);
    Validations.of(this).acknowledge({ id, reason });
  }

  private allow(statement: iam.PolicyStatement): void {
    this.role.addToPrincipalPolicy(statement);
  }

  /**
   * The step's calls in the finding's account when it is this one (EC2, the services owning interfaces, Service
   * Quotas): the same grant as the step's member role in other accounts (infra/account-grant.ts).
   */
  allowAccountCalls(access: Access, options: AccountGrantOptions = {}): void {
    const grant = accountGrant(access, undefined, undefined, options);
    for (const statement of grant.statements) this.allow(statement);
    for (const { finding, reason } of grant.wildcards) {
      // "*" (the describes and quota reads) is acknowledged with the X-Ray grant in the constructor.
      if (finding !== 'Resource::*') this.acknowledge(`AwsSolutions-IAM5[${finding}]`, reason);
    }
  }

  /**
   * sts:AssumeRole on the step's own member role, in any account (the accounts are not known at deploy time): not on
   * the member role of another step.
   */
  allowAssumeMemberRole(roleName: string, organizationId?: string): void {
    this.allow(
      new iam.PolicyStatement({
        sid: 'AssumeThisStepsMemberRoleOnly',
        actions: ['sts:AssumeRole'],
        resources: [`arn:${Aws.PARTITION}:iam::*:role/${roleName}`],
        ...(organizationId ? { conditions: { StringEquals: { 'aws:ResourceOrgID': organizationId } } } : {}),
      }),
    );
    this.acknowledge(
      `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:iam::*:role/${roleName}]`,
      "Findings come from any member account of the Security Hub administrator, not known at deploy time; only this step's member role name is allowed, and that role trusts only this step's role by ARN (plus the external id or organization).",
    );
  }

  /**
   * Ledger items of the given kinds only: `dynamodb:LeadingKeys` limits the partition keys to the `<kind>#…` patterns
   * (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/specifying-conditions.html).
   */
  allowLedger(table: dynamodb.ITable, actions: readonly LedgerAction[], keyPatterns: readonly string[]): void {
    const kinds = keyPatterns.map((pattern) => pattern.replace(/[^A-Za-z]/g, '')).join('And');
    this.allow(
      new iam.PolicyStatement({
        sid: `Ledger${[...new Set(actions)].sort().join('')}On${kinds}Items`,
        actions: [...new Set(actions)].sort().map((action) => `dynamodb:${action}`),
        resources: [table.tableArn],
        conditions: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': [...keyPatterns] } },
      }),
    );
  }

  /** GetObject on the given key patterns (e.g. `snapshots/*.json`). */
  allowReadObjects(bucket: s3.IBucket, keyPatterns: readonly string[]): void {
    if (keyPatterns.length === 0) return;
    this.allow(
      new iam.PolicyStatement({
        sid: 'ReadStoreObjects',
        actions: ['s3:GetObject'],
        resources: keyPatterns.map((pattern) => bucket.arnForObjects(pattern)),
      }),
    );
    this.acknowledgeObjectPatterns(bucket, keyPatterns);
  }

  /** PutObject on the given key patterns. */
  allowWriteObjects(bucket: s3.IBucket, keyPatterns: readonly string[]): void {
    if (keyPatterns.length === 0) return;
    this.allow(
      new iam.PolicyStatement({
        sid: 'WriteStoreObjects',
        actions: ['s3:PutObject'],
        resources: keyPatterns.map((pattern) => bucket.arnForObjects(pattern)),
      }),
    );
    this.acknowledgeObjectPatterns(bucket, keyPatterns);
  }

  /**
   * ListBucket on the bucket: without it S3 answers a GetObject of a missing key with 403 instead of 404, and the
   * store could not tell "no snapshot yet" from "access denied".
   */
  allowListObjects(bucket: s3.IBucket): void {
    this.allow(
      new iam.PolicyStatement({
        sid: 'TellMissingFromDenied',
        actions: ['s3:ListBucket'],
        resources: [bucket.bucketArn],
      }),
    );
  }

  /** Publish to the topic, with the key use SNS needs for an encrypted topic. */
  allowPublish(topic: sns.ITopic, key: kms.IKey): void {
    this.allow(
      new iam.PolicyStatement({ sid: 'PublishNotices', actions: ['sns:Publish'], resources: [topic.topicArn] }),
    );
    this.allow(
      new iam.PolicyStatement({
        sid: 'EncryptNoticesForTheTopic',
        actions: ['kms:GenerateDataKey', 'kms:Decrypt'],
        resources: [key.keyArn],
      }),
    );
  }

  /** BatchUpdateFindings on this account's hub (the administrator updates member accounts' findings through it). */
  allowUpdateFindings(): void {
    // One action for both APIs: "BatchUpdateFindings and BatchUpdateFindingV2 both use securityhub:BatchUpdateFindings
    // in the Action element of an IAM policy statement" (BatchUpdateFindingsV2, AWS Tools for PowerShell reference
    // Set-SHUBBatchFindingsV2; the new Security Hub's OCSF findings are updated with V2).
    this.allow(
      new iam.PolicyStatement({
        sid: 'UpdateFindings',
        actions: ['securityhub:BatchUpdateFindings'],
        resources: [`arn:${Aws.PARTITION}:securityhub:${Aws.REGION}:${Aws.ACCOUNT_ID}:hub/default`],
      }),
    );
  }

  /**
   * organizations:ListAccounts, which has no resource-level permissions (Service Authorization Reference, AWS
   * Organizations: no resource type for ListAccounts), so "*": the audit of the whole organization lists its accounts.
   */
  allowListOrganizationAccounts(): void {
    this.allow(
      new iam.PolicyStatement({
        sid: 'ListTheOrganizationsAccounts',
        actions: ['organizations:ListAccounts'],
        resources: ['*'],
      }),
    );
  }

  /** Any other statement, e.g. the links handler's Step Functions calls. */
  allowStatement(statement: iam.PolicyStatement): void {
    this.allow(statement);
  }

  private acknowledgeObjectPatterns(bucket: s3.IBucket, keyPatterns: readonly string[]): void {
    const bucketId = Stack.of(this).getLogicalId(bucket.node.defaultChild as CfnElement);
    for (const pattern of keyPatterns) {
      this.acknowledge(
        `AwsSolutions-IAM5[Resource::<${bucketId}.Arn>/${pattern}]`,
        `Objects are keyed by remediation id, created at run time; the grant is limited to the "${pattern}" keys the handler reads or writes.`,
      );
    }
  }
}
