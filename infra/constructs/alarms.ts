/**
 * Alarms that tell the team (the notification topic) when something went wrong without a notice of its own: an
 * execution failed, timed out or was aborted, a function errored, or an event or notice ended in the dead-letter
 * queue. Every alarm fires on the first occurrence in five minutes; no data is not breaching.
 */
import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as sns from 'aws-cdk-lib/aws-sns';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';

export interface AlarmsProps {
  topic: sns.ITopic;
  stateMachines: Record<string, sfn.StateMachine>;
  functions: Record<string, lambda.IFunction>;
  deadLetters: sqs.IQueue;
}

const PERIOD = Duration.minutes(5);

export class Alarms extends Construct {
  readonly alarms: cloudwatch.Alarm[] = [];

  constructor(scope: Construct, id: string, props: AlarmsProps) {
    super(scope, id);
    const action = new actions.SnsAction(props.topic);
    const add = (alarmId: string, metric: cloudwatch.IMetric, description: string) => {
      const alarm = new cloudwatch.Alarm(this, alarmId, {
        metric,
        threshold: 1,
        evaluationPeriods: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        alarmDescription: description,
      });
      alarm.addAlarmAction(action);
      this.alarms.push(alarm);
    };

    for (const [name, machine] of Object.entries(props.stateMachines)) {
      add(
        `${name}ExecutionsFailed`,
        machine.metricFailed({ period: PERIOD, statistic: 'Sum' }),
        `A ${name} execution failed. Open it in the Step Functions console (docs/runbook.md).`,
      );
      add(
        `${name}ExecutionsTimedOut`,
        machine.metricTimedOut({ period: PERIOD, statistic: 'Sum' }),
        `A ${name} execution timed out.`,
      );
      add(
        `${name}ExecutionsAborted`,
        machine.metricAborted({ period: PERIOD, statistic: 'Sum' }),
        `A ${name} execution was aborted (stopped by hand?): the group may be half-way; see docs/runbook.md.`,
      );
    }
    for (const [name, fn] of Object.entries(props.functions)) {
      add(
        `${name}Errors`,
        fn.metricErrors({ period: PERIOD, statistic: 'Sum' }),
        `The ${name} function reported errors (the state machines retry or catch them; a run's own notice says more).`,
      );
    }
    add(
      'DeadLetters',
      props.deadLetters.metricApproximateNumberOfMessagesVisible({ period: PERIOD, statistic: 'Maximum' }),
      'An event, notice or invocation could not be delivered and is in the dead-letter queue: read it there.',
    );
  }
}
