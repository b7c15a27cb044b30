/**
 * The watcher's trigger (config `watch`, off by default): an EventBridge rule on the default event bus that sends the
 * CloudTrail records of the watched EC2 calls (infra/patterns.ts WATCH_PATTERN) to the Watch function, with retries
 * and the dead-letter queue. The function itself and its read-only member role are always deployed (infra/steps.ts
 * `Watch`), so that switching the watcher on changes nothing in the member accounts.
 *
 * EventBridge sees the calls of this account and region only: calls in other regions and member accounts arrive when
 * a rule there forwards the same pattern to this bus (docs/deploy.md, "The watcher").
 */
import { Duration } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { WATCH_PATTERN } from '../patterns.ts';

export interface WatcherProps {
  function: lambda.IFunction;
  deadLetters: sqs.IQueue;
}

export class Watcher extends Construct {
  readonly rule: events.Rule;

  constructor(scope: Construct, id: string, props: WatcherProps) {
    super(scope, id);
    this.rule = new events.Rule(this, 'Rule', {
      description:
        'EC2 calls (CloudTrail) that add a rule to a group or put a group on an interface → the watcher, which reports those on stripped default groups',
      eventPattern: WATCH_PATTERN as unknown as events.EventPattern,
      targets: [
        new targets.LambdaFunction(props.function, {
          deadLetterQueue: props.deadLetters,
          retryAttempts: 8,
          maxEventAge: Duration.hours(2),
        }),
      ],
    });
  }
}
