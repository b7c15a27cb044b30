/**
 * What starts a run: the Security Hub custom actions "Remediate EC2.2" and "Roll back EC2.2" (always), and, when
 * `autoRemediate` is on, every new FAILED EC2.2 finding. The patterns are in infra/patterns.ts. Every rule target has
 * a retry policy and the dead-letter queue, so an event that could not start its execution is kept, not lost.
 *
 * "Remediate EC2.2" → the dispatcher function (handlers/steps/dispatch.ts), which starts the remediation state machine
 * once per distinct default group of the selected findings (up to 20), each with a one-finding event ParseFinding reads.
 * Findings imported (autoRemediate, ASFF or OCSF) carry one finding each and start the remediation machine directly.
 * "Tighten EC2.2 copy" → its dispatcher (handlers/steps/dispatch-tighten.ts), which starts the tighten state machine on
 * the copy of each selected group's latest remediation (the one the finding's note names, checked in the ledger).
 * "Roll back EC2.2" → the rollback-action state machine (infra/rollback-action.ts), which finds the remediation id in
 * the finding's note, checks it against the ledger and starts the rollback state machine.
 */
import { Duration, Validations } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as securityhub from 'aws-cdk-lib/aws-securityhub';
import type * as sns from 'aws-cdk-lib/aws-sns';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { remediationPk } from '../../handlers/adapters/aws/dynamodb-ledger.ts';
import { CUSTOM_ACTIONS, customActionPattern, FINDING_IMPORTED_PATTERN } from '../patterns.ts';
import { ROLLBACK_ACTION_TEXT } from '../rollback-action.ts';

export interface TriggersProps {
  remediation: sfn.IStateMachine;
  /** The "Remediate EC2.2" action's target: one remediation per distinct group of the selected findings. */
  dispatcher: lambda.IFunction;
  /** The "Tighten EC2.2 copy" action's target: one tightening per remediated group selected, on its copy. */
  tightenDispatcher: lambda.IFunction;
  rollback: sfn.IStateMachine;
  autoRemediate: boolean;
  deadLetters: sqs.IQueue;
  ledger: dynamodb.ITable;
  topic: sns.ITopic;
  topicKey: kms.IKey;
  logKey: kms.IKey;
  logRetention: logs.RetentionDays;
}

export class Triggers extends Construct {
  readonly remediateAction: securityhub.CfnActionTarget;
  readonly rollbackAction: securityhub.CfnActionTarget;
  readonly tightenAction: securityhub.CfnActionTarget;
  readonly rollbackFromFinding: sfn.StateMachine;
  readonly findingsRule?: events.Rule;

  constructor(scope: Construct, id: string, props: TriggersProps) {
    super(scope, id);
    const targetOptions = {
      deadLetterQueue: props.deadLetters,
      retryAttempts: 8,
      maxEventAge: Duration.hours(2),
    };

    this.remediateAction = new securityhub.CfnActionTarget(this, 'RemediateAction', {
      id: CUSTOM_ACTIONS.remediate.id,
      name: CUSTOM_ACTIONS.remediate.name,
      description: CUSTOM_ACTIONS.remediate.description,
    });
    new events.Rule(this, 'RemediateActionRule', {
      description: `Security Hub custom action "${CUSTOM_ACTIONS.remediate.name}" → one remediation per group selected`,
      eventPattern: customActionPattern(this.remediateAction.attrActionTargetArn),
      targets: [new targets.LambdaFunction(props.dispatcher, targetOptions)],
    });

    this.rollbackAction = new securityhub.CfnActionTarget(this, 'RollbackAction', {
      id: CUSTOM_ACTIONS.rollback.id,
      name: CUSTOM_ACTIONS.rollback.name,
      description: CUSTOM_ACTIONS.rollback.description,
    });
    this.rollbackFromFinding = this.rollbackFromFindingMachine(props);
    new events.Rule(this, 'RollbackActionRule', {
      description: `Security Hub custom action "${CUSTOM_ACTIONS.rollback.name}" → rollback from the finding's note`,
      eventPattern: customActionPattern(this.rollbackAction.attrActionTargetArn),
      targets: [new targets.SfnStateMachine(this.rollbackFromFinding, targetOptions)],
    });

    this.tightenAction = new securityhub.CfnActionTarget(this, 'TightenAction', {
      id: CUSTOM_ACTIONS.tighten.id,
      name: CUSTOM_ACTIONS.tighten.name,
      description: CUSTOM_ACTIONS.tighten.description,
    });
    new events.Rule(this, 'TightenActionRule', {
      description: `Security Hub custom action "${CUSTOM_ACTIONS.tighten.name}" → one tightening per remediated group selected`,
      eventPattern: customActionPattern(this.tightenAction.attrActionTargetArn),
      targets: [new targets.LambdaFunction(props.tightenDispatcher, targetOptions)],
    });

    if (props.autoRemediate) {
      this.findingsRule = new events.Rule(this, 'FindingsImportedRule', {
        description:
          'New, active, FAILED Security Hub EC2.2 findings (ASFF or OCSF) → remediation state machine (autoRemediate)',
        eventPattern: FINDING_IMPORTED_PATTERN as unknown as events.EventPattern,
        targets: [new targets.SfnStateMachine(props.remediation, targetOptions)],
      });
    }
  }

  private rollbackFromFindingMachine(props: TriggersProps): sfn.StateMachine {
    const logGroup = new logs.LogGroup(this, 'RollbackFromFindingLogs', {
      retention: props.logRetention,
      encryptionKey: props.logKey,
    });
    const machine = new sfn.StateMachine(this, 'RollbackFromFinding', {
      definitionBody: sfn.DefinitionBody.fromString(ROLLBACK_ACTION_TEXT),
      definitionSubstitutions: {
        LedgerTableName: props.ledger.tableName,
        RollbackStateMachineArn: props.rollback.stateMachineArn,
        TopicArn: props.topic.topicArn,
      },
      stateMachineType: sfn.StateMachineType.STANDARD,
      comment: 'Roll back EC2.2 custom action: finds the remediation in the finding note and starts its rollback.',
      tracingEnabled: true,
      logs: { destination: logGroup, level: sfn.LogLevel.ALL, includeExecutionData: false },
    });
    machine.addToRolePolicy(
      new iam.PolicyStatement({
        sid: 'ReadRemediationRecordsOnly',
        actions: ['dynamodb:GetItem'],
        resources: [props.ledger.tableArn],
        conditions: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': [remediationPk('*')] } },
      }),
    );
    machine.addToRolePolicy(
      new iam.PolicyStatement({
        sid: 'StartTheRollbackMachine',
        actions: ['states:StartExecution'],
        resources: [props.rollback.stateMachineArn],
      }),
    );
    machine.addToRolePolicy(
      new iam.PolicyStatement({ sid: 'PublishNotices', actions: ['sns:Publish'], resources: [props.topic.topicArn] }),
    );
    machine.addToRolePolicy(
      new iam.PolicyStatement({
        sid: 'EncryptNoticesForTheTopic',
        actions: ['kms:GenerateDataKey', 'kms:Decrypt'],
        resources: [props.topicKey.keyArn],
      }),
    );
    Validations.of(machine).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'Added by CDK for logging and tracing: the CloudWatch Logs log-delivery actions and X-Ray PutTraceSegments/PutTelemetryRecords/GetSamplingRules/GetSamplingTargets do not support resource-level permissions.',
    });
    return machine;
  }
}
