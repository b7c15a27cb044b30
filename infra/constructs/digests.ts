/**
 * The approval digests' sender on a schedule (config `approvalDigestMinutes` > 0): an EventBridge rule invokes the
 * SendDigests function every minute, which closes each batch window that has passed — once, with a conditional
 * write — and sends its one notice (handlers/steps/digest.ts). A window is therefore mailed at most a minute after
 * it ends. EventBridge invokes it asynchronously, with retries and the dead-letter queue; a missed minute is caught
 * up by the next one, since every open window is listed in the ledger.
 */
import { Duration } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { HandlerFunction } from './handler-function.ts';

export interface DigestsProps {
  function: HandlerFunction;
  deadLetters: sqs.IQueue;
}

export class Digests extends Construct {
  readonly sender: HandlerFunction;
  readonly schedule: events.Rule;

  constructor(scope: Construct, id: string, props: DigestsProps) {
    super(scope, id);
    this.sender = props.function;
    this.schedule = new events.Rule(this, 'Schedule', {
      description: 'Every minute: send the approval digest of each batch window that has passed',
      schedule: events.Schedule.rate(Duration.minutes(1)),
      targets: [
        new targets.LambdaFunction(props.function.function, {
          deadLetterQueue: props.deadLetters,
          retryAttempts: 2,
          maxEventAge: Duration.minutes(10),
        }),
      ],
    });
  }
}
