/**
 * The remediation service, deployed in the Security Hub administrator account: one function per step, the two state
 * machines from `state-machine/*.asl.json`, the triggers, the links API, the ledger and the snapshot bucket, the
 * notification topic, the alarms. See docs/deploy.md for the picture and docs/decisions.md for the choices.
 */
import { Aws, CfnOutput, Duration, Stack, type StackProps } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as logs from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import {
  approvalPk,
  digestPk,
  digestWindowPk,
  lockPk,
  remediationPk,
  rollbackLinkPk,
} from '../handlers/adapters/aws/dynamodb-ledger.ts';
import { planKey, snapshotKey } from '../handlers/core/snapshot.ts';
import { tightenDraftKey, tightenSnapshotKey } from '../handlers/core/tighten.ts';
import { auditPartKey, auditReportKey } from '../handlers/steps/audit.ts';
import type { StepName } from '../handlers/steps/index.ts';
import type { Config } from './config.ts';
import { Alarms } from './constructs/alarms.ts';
import { OrganizationAudit } from './constructs/audit.ts';
import { DeadLetters } from './constructs/dead-letters.ts';
import { Digests } from './constructs/digests.ts';
import { HandlerFunction } from './constructs/handler-function.ts';
import { newKey } from './constructs/keys.ts';
import { Links } from './constructs/links.ts';
import { Notifications } from './constructs/notifications.ts';
import { Storage } from './constructs/storage.ts';
import { Triggers } from './constructs/triggers.ts';
import { Watcher } from './constructs/watcher.ts';
import { Workflows } from './constructs/workflows.ts';
import {
  type Access,
  EC2_STEPS,
  type LedgerItem,
  memberRoleNameOf,
  STEP_NAMES,
  STEP_SPECS,
  type StoreArea,
  stepRoleName,
} from './steps.ts';

/** Ledger partition key pattern of each kind of item (the adapter's own key functions, with `*` for the id). */
export const LEDGER_KEYS: Record<LedgerItem, string> = {
  lock: lockPk('*'),
  remediation: remediationPk('*'),
  approval: approvalPk('*'),
  'rollback-link': rollbackLinkPk('*'),
  'digest-window': digestWindowPk('*'),
  digest: digestPk('*'),
};

/** Store key pattern of each area (`plans/*.json`, `snapshots/*.json`). */
export const STORE_KEYS: Record<StoreArea, string> = {
  plans: planKey('*'),
  snapshots: snapshotKey('*'),
  'snapshot-revisions': snapshotKey('*', 2),
  'audit-parts': auditPartKey('*', '*'),
  'audit-reports': auditReportKey('*', '*'),
  'tighten-plans': tightenDraftKey('*'),
  tightenings: tightenSnapshotKey('*'),
};

export interface RemediationStackProps extends StackProps {
  config: Config;
}

export class RemediationStack extends Stack {
  readonly config: Config;
  readonly storage: Storage;
  readonly notifications: Notifications;
  readonly deadLetters: DeadLetters;
  readonly logKey: kms.Key;
  readonly links: Links;
  readonly steps: Record<StepName, HandlerFunction>;
  readonly linksFunction: HandlerFunction;
  readonly dispatchFunction: HandlerFunction;
  /** The "Tighten EC2.2 copy" custom action's target: one tightening per remediated group selected. */
  readonly tightenDispatchFunction: HandlerFunction;
  readonly workflows: Workflows;
  readonly triggers: Triggers;
  readonly alarms: Alarms;
  /** The watcher's rule, with `watch` on. */
  readonly watcher?: Watcher;
  /** The organization audit's machine, functions and schedule, with `audit` on. */
  readonly audit?: OrganizationAudit;
  /** The digest sender and its schedule, with `approvalDigestMinutes` > 0. */
  readonly digests?: Digests;

  constructor(scope: Construct, id: string, props: RemediationStackProps) {
    super(scope, id, props);
    const config = props.config;
    this.config = config;
    const logRetention = config.logRetentionDays as logs.RetentionDays;

    this.deadLetters = new DeadLetters(this, 'DeadLetters');
    this.storage = new Storage(this, 'Storage');
    this.notifications = new Notifications(this, 'Notifications', {
      email: config.notificationEmail,
      deadLetters: this.deadLetters.queue,
    });
    this.logKey = newKey(this, 'LogKey', 'default-sg-remediation: encrypts the log groups', [
      new iam.PolicyStatement({
        sid: 'CloudWatchLogsEncryptsThisStacksLogGroups',
        principals: [new iam.ServicePrincipal(`logs.${Aws.REGION}.amazonaws.com`)],
        actions: [
          'kms:Encrypt',
          'kms:Decrypt',
          'kms:ReEncryptFrom',
          'kms:ReEncryptTo',
          'kms:GenerateDataKey',
          'kms:GenerateDataKeyWithoutPlaintext',
          'kms:DescribeKey',
        ],
        resources: ['*'],
        conditions: {
          ArnLike: {
            'kms:EncryptionContext:aws:logs:arn': `arn:${Aws.PARTITION}:logs:${Aws.REGION}:${Aws.ACCOUNT_ID}:log-group:*`,
          },
        },
      }),
    ]);
    this.links = new Links(this, 'Links', { logKey: this.logKey, logRetention });

    const storage = this.storage;
    const topic = this.notifications.topic;
    /** What `handlers/lambda/runtime.ts` reads (depsFromEnv requires the first three in every function). */
    const baseEnvironment: Record<string, string> = {
      SNAPSHOT_BUCKET: storage.snapshots.bucketName,
      LEDGER_TABLE: storage.ledger.tableName,
      TOPIC_ARN: topic.topicArn,
      APPROVAL_TIMEOUT_SECONDS: String(config.approvalTimeout.seconds),
      APPROVAL_MODE: config.approval,
      EXCLUDE_TAG: config.excludeTag,
      LINK_EXPIRY_DAYS: String(config.linkExpiryDays),
      PACING_SHARE: String(config.pacingPercent / 100),
      APPROVAL_DIGEST_SECONDS: String(config.approvalDigestMinutes * 60),
    };

    const steps = {} as Record<StepName, HandlerFunction>;
    for (const step of STEP_NAMES) {
      const spec = STEP_SPECS[step];
      const usesEc2 = EC2_STEPS.includes(step);
      const memberRole = memberRoleNameOf(config.memberRoleName, step);
      const fn = new HandlerFunction(this, `${step}Step`, {
        entry: `handlers/lambda/${spec.entry}.ts`,
        description: spec.description,
        timeout: Duration.seconds(spec.timeoutSeconds),
        memorySize: spec.memoryMb,
        ...(spec.mutating ? { reservedConcurrentExecutions: config.mutatingConcurrency } : {}),
        ...(spec.eventTarget ? { deadLetterQueue: this.deadLetters.queue } : {}),
        environment: {
          ...baseEnvironment,
          ...(spec.links ? { LINK_BASE_URL: this.links.baseUrl } : {}),
          ...(spec.eventTarget
            ? { REMEDIATION_ACCOUNT_ID: Aws.ACCOUNT_ID, MEMBER_ROLE_PREFIX: config.memberRoleName }
            : {}),
          ...(usesEc2 ? { MEMBER_ROLE_NAME: memberRole } : {}),
          ...(usesEc2 && config.externalId ? { MEMBER_ROLE_EXTERNAL_ID: config.externalId } : {}),
        },
        logKey: this.logKey,
        logRetention,
        ...(usesEc2 ? { roleName: stepRoleName(step, Aws.REGION) } : {}),
      });
      this.grantAccess(fn, spec.access, usesEc2);
      if (usesEc2) fn.allowAssumeMemberRole(memberRole, config.organizationId);
      steps[step] = fn;
    }
    this.steps = steps;

    if (config.watch) {
      this.watcher = new Watcher(this, 'Watcher', {
        function: steps.Watch.function,
        deadLetters: this.deadLetters.queue,
      });
    }

    this.workflows = new Workflows(this, 'Workflows', {
      functionArns: Object.fromEntries(STEP_NAMES.map((step) => [step, steps[step].functionArn])) as Record<
        StepName,
        string
      >,
      logKey: this.logKey,
      logRetention,
    });

    this.linksFunction = new HandlerFunction(this, 'LinksHandler', {
      entry: 'handlers/http/links.ts',
      description:
        'Approval and rollback pages: GET shows, POST decides once (SendTaskSuccess/Failure) or starts a rollback.',
      timeout: Duration.seconds(20),
      memorySize: 512,
      environment: {
        ...baseEnvironment,
        ROLLBACK_STATE_MACHINE_ARN: this.workflows.rollback.stateMachineArn,
      },
      logKey: this.logKey,
      logRetention,
    });
    this.grantLinksAccess(this.linksFunction);
    this.links.route(this.linksFunction);

    // The "Remediate EC2.2" custom action's target: one remediation execution per distinct group of the selected
    // findings (handlers/steps/dispatch.ts). It starts the remediation machine and tells the team about a refused
    // batch; EventBridge invokes it asynchronously, so what Lambda gives up on goes to the dead-letter queue.
    this.dispatchFunction = new HandlerFunction(this, 'DispatchFindings', {
      entry: 'handlers/lambda/dispatch-findings.ts',
      description:
        'Remediate EC2.2 action on several findings: starts one remediation per distinct default group, duplicates folded.',
      timeout: Duration.seconds(60),
      memorySize: 256,
      deadLetterQueue: this.deadLetters.queue,
      environment: {
        ...baseEnvironment,
        REMEDIATION_STATE_MACHINE_ARN: this.workflows.remediation.stateMachineArn,
      },
      logKey: this.logKey,
      logRetention,
    });
    this.dispatchFunction.allowStatement(
      new iam.PolicyStatement({
        sid: 'StartTheRemediationMachineOnly',
        actions: ['states:StartExecution'],
        resources: [this.workflows.remediation.stateMachineArn],
      }),
    );
    this.dispatchFunction.allowPublish(topic, this.notifications.key);

    // The "Tighten EC2.2 copy" custom action's target (handlers/steps/dispatch-tighten.ts): reads the remediation
    // records the findings' notes name and starts the tighten machine on their copies; tells the team what it skipped.
    this.tightenDispatchFunction = new HandlerFunction(this, 'DispatchTighten', {
      entry: 'handlers/lambda/dispatch-tighten.ts',
      description:
        "Tighten EC2.2 copy action: starts one tightening per remediated group selected, on its latest remediation's copy.",
      timeout: Duration.seconds(60),
      memorySize: 256,
      deadLetterQueue: this.deadLetters.queue,
      environment: {
        ...baseEnvironment,
        TIGHTEN_STATE_MACHINE_ARN: this.workflows.tighten.stateMachineArn,
      },
      logKey: this.logKey,
      logRetention,
    });
    this.tightenDispatchFunction.allowStatement(
      new iam.PolicyStatement({
        sid: 'StartTheTightenMachineOnly',
        actions: ['states:StartExecution'],
        resources: [this.workflows.tighten.stateMachineArn],
      }),
    );
    this.tightenDispatchFunction.allowLedger(storage.ledger, ['GetItem'], [LEDGER_KEYS.remediation]);
    this.tightenDispatchFunction.allowPublish(topic, this.notifications.key);

    if (config.approvalDigestMinutes > 0) {
      const sender = new HandlerFunction(this, 'SendDigests', {
        entry: 'handlers/lambda/send-digests.ts',
        description:
          'Approval digests: closes each passed batch window once and sends its one notice (a digest, or the notice of its only run).',
        timeout: Duration.seconds(120),
        memorySize: 512,
        deadLetterQueue: this.deadLetters.queue,
        environment: { ...baseEnvironment, LINK_BASE_URL: this.links.baseUrl },
        logKey: this.logKey,
        logRetention,
      });
      this.grantDigestAccess(sender);
      this.digests = new Digests(this, 'Digests', { function: sender, deadLetters: this.deadLetters.queue });
    }

    this.triggers = new Triggers(this, 'Triggers', {
      remediation: this.workflows.remediation,
      dispatcher: this.dispatchFunction.function,
      tightenDispatcher: this.tightenDispatchFunction.function,
      rollback: this.workflows.rollback,
      autoRemediate: config.autoRemediate,
      deadLetters: this.deadLetters.queue,
      ledger: storage.ledger,
      topic,
      topicKey: this.notifications.key,
      logKey: this.logKey,
      logRetention,
    });

    if (config.audit) {
      this.audit = new OrganizationAudit(this, 'Audit', {
        config,
        environment: baseEnvironment,
        logKey: this.logKey,
        logRetention,
        deadLetters: this.deadLetters.queue,
        grant: (fn, access, usesEc2) => this.grantAccess(fn, access, usesEc2),
      });
      new CfnOutput(this, 'AuditStateMachineArn', { value: this.audit.machine.stateMachineArn });
    }

    this.alarms = new Alarms(this, 'Alarms', {
      topic,
      stateMachines: {
        Remediation: this.workflows.remediation,
        Rollback: this.workflows.rollback,
        Tighten: this.workflows.tighten,
        RollbackFromFinding: this.triggers.rollbackFromFinding,
        ...(this.audit ? { Audit: this.audit.machine } : {}),
      },
      functions: {
        ...Object.fromEntries(STEP_NAMES.map((step) => [step, steps[step].function])),
        ...Object.fromEntries(Object.entries(this.audit?.steps ?? {}).map(([step, fn]) => [step, fn.function])),
        Links: this.linksFunction.function,
        DispatchFindings: this.dispatchFunction.function,
        DispatchTighten: this.tightenDispatchFunction.function,
        ...(this.digests ? { SendDigests: this.digests.sender.function } : {}),
      },
      deadLetters: this.deadLetters.queue,
    });

    new CfnOutput(this, 'LinksBaseUrl', {
      value: this.links.baseUrl,
      description: 'Base URL of the approval and rollback links',
    });
    new CfnOutput(this, 'RemediationStateMachineArn', { value: this.workflows.remediation.stateMachineArn });
    new CfnOutput(this, 'RollbackStateMachineArn', { value: this.workflows.rollback.stateMachineArn });
    new CfnOutput(this, 'TightenStateMachineArn', {
      value: this.workflows.tighten.stateMachineArn,
      description:
        'Tightens a remediation\'s copy from its flow logs: start it with {"target": {"accountId", "region", "groupId"}}',
    });
    new CfnOutput(this, 'NotificationTopicArn', { value: topic.topicArn });
    new CfnOutput(this, 'SnapshotBucketName', { value: storage.snapshots.bucketName });
    new CfnOutput(this, 'LedgerTableName', { value: storage.ledger.tableName });
    new CfnOutput(this, 'RemediateActionArn', { value: this.triggers.remediateAction.attrActionTargetArn });
    new CfnOutput(this, 'RollbackActionArn', { value: this.triggers.rollbackAction.attrActionTargetArn });
    new CfnOutput(this, 'TightenActionArn', { value: this.triggers.tightenAction.attrActionTargetArn });
  }

  /** Exactly the access of the step's handler (infra/steps.ts); `usesEc2`: it calls the finding's (or audited) account. */
  private grantAccess(fn: HandlerFunction, access: Access, usesEc2: boolean): void {
    const { snapshots, ledger } = this.storage;
    if (usesEc2) fn.allowAccountCalls(access, { flowLogBuckets: this.config.flowLogBuckets });
    if (access.ledger) {
      fn.allowLedger(
        ledger,
        access.ledger.actions,
        access.ledger.items.map((item) => LEDGER_KEYS[item]),
      );
    }
    fn.allowReadObjects(
      snapshots,
      (access.readObjects ?? []).map((area) => STORE_KEYS[area]),
    );
    fn.allowWriteObjects(
      snapshots,
      (access.writeObjects ?? []).map((area) => STORE_KEYS[area]),
    );
    if (access.listObjects) fn.allowListObjects(snapshots);
    if (access.publish) fn.allowPublish(this.notifications.topic, this.notifications.key);
    if (access.updateFindings) fn.allowUpdateFindings();
  }

  /**
   * The digest sender (handlers/steps/digest.ts sendDigests): reads the open windows and closes each once
   * (GetItem, UpdateItem on `digest-window#…`), stores the digest (PutItem `digest#…`), reads the runs' approvals,
   * records and rollback links and their snapshots, and publishes the notice.
   */
  private grantDigestAccess(fn: HandlerFunction): void {
    const { ledger, snapshots } = this.storage;
    fn.allowLedger(ledger, ['GetItem', 'UpdateItem'], [LEDGER_KEYS['digest-window']]);
    fn.allowLedger(ledger, ['PutItem'], [LEDGER_KEYS.digest]);
    fn.allowLedger(ledger, ['GetItem'], [LEDGER_KEYS.approval, LEDGER_KEYS.remediation, LEDGER_KEYS['rollback-link']]);
    fn.allowReadObjects(snapshots, [STORE_KEYS.snapshots]);
    fn.allowListObjects(snapshots);
    fn.allowPublish(this.notifications.topic, this.notifications.key);
  }

  /**
   * The links handler (handlers/http/links.ts): reads approvals, remediation records and rollback links; decides an
   * approval or claims a rollback link once (UpdateItem), records the outcome (PutItem); reads the snapshot for the
   * page; settles the approval wait of the remediation machine; starts the rollback machine.
   */
  private grantLinksAccess(fn: HandlerFunction): void {
    const { ledger, snapshots } = this.storage;
    fn.allowLedger(
      ledger,
      ['GetItem'],
      [LEDGER_KEYS.approval, LEDGER_KEYS.remediation, LEDGER_KEYS['rollback-link'], LEDGER_KEYS.digest],
    );
    fn.allowLedger(ledger, ['UpdateItem', 'PutItem'], [LEDGER_KEYS.approval, LEDGER_KEYS['rollback-link']]);
    fn.allowReadObjects(snapshots, [STORE_KEYS.snapshots, STORE_KEYS.tightenings]);
    fn.allowStatement(
      new iam.PolicyStatement({
        sid: 'SettleTheApprovalWaitOfTheRemediationAndTightenMachinesOnly',
        actions: ['states:SendTaskSuccess', 'states:SendTaskFailure'],
        resources: [this.workflows.remediation.stateMachineArn, this.workflows.tighten.stateMachineArn],
      }),
    );
    fn.allowStatement(
      new iam.PolicyStatement({
        sid: 'StartTheRollbackMachine',
        actions: ['states:StartExecution'],
        resources: [this.workflows.rollback.stateMachineArn],
      }),
    );
  }
}
