/**
 * One dead-letter queue for everything that is delivered asynchronously and could otherwise be lost without a
 * trace: EventBridge rule targets that could not be started, notices SNS could not deliver, and asynchronous
 * invocations of the links function that failed. An alarm (infra/constructs/alarms.ts) fires on its first message.
 */
import { Duration, Validations } from 'aws-cdk-lib';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';

export class DeadLetters extends Construct {
  readonly queue: sqs.Queue;

  constructor(scope: Construct, id: string) {
    super(scope, id);
    this.queue = new sqs.Queue(this, 'Queue', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    // The watcher function names it as its dead-letter queue, so cdk-nag knows it is one (AwsSolutions-SQS3 holds).
    Validations.of(this.queue).acknowledge({
      id: 'Serverless-SQSRedrivePolicy',
      reason:
        'This queue is itself the dead-letter queue (of EventBridge targets, SNS subscriptions and asynchronous Lambda invocations); its messages are read by a person after the alarm, not re-driven.',
    });
  }
}
