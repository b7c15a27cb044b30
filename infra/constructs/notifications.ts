/**
 * Notices to people: an SNS topic encrypted with a customer managed key (rotation on), the optional email
 * subscription from `notificationEmail`, and the key use publishers need. CloudWatch alarms publish to the same
 * topic, so the key policy lets CloudWatch use the key for this account's alarms.
 */
import { Aws } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { newKey } from './keys.ts';

export interface NotificationsProps {
  /** Empty: no subscription is made. */
  email: string;
  deadLetters: sqs.IQueue;
}

export class Notifications extends Construct {
  readonly topic: sns.Topic;
  readonly key: kms.Key;

  constructor(scope: Construct, id: string, props: NotificationsProps) {
    super(scope, id);
    this.key = newKey(this, 'Key', 'default-sg-remediation: encrypts the notification topic', [
      new iam.PolicyStatement({
        sid: 'CloudWatchAlarmsPublishToTheTopic',
        principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey'],
        resources: ['*'],
        conditions: { StringEquals: { 'aws:SourceAccount': Aws.ACCOUNT_ID } },
      }),
    ]);
    this.topic = new sns.Topic(this, 'Topic', {
      displayName: 'EC2.2 remediation',
      masterKey: this.key,
      enforceSSL: true,
    });
    if (props.email !== '') {
      this.topic.addSubscription(
        new subscriptions.EmailSubscription(props.email, { deadLetterQueue: props.deadLetters }),
      );
    }
  }
}
