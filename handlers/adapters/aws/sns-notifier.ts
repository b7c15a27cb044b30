import { PublishCommand, type SNSClient } from '@aws-sdk/client-sns';
import { byteLength, cleanSubject, NOTICE_MAX_BYTES } from '../../core/notices.ts';
import type { Notification, Notifier } from '../../ports.ts';
import { explainingSend } from './sdk-errors.ts';

/**
 * The message within SNS's size limit. Notices are composed within it already (core/notices.ts), links first; this is
 * the last guard for any other text: cut from the end, on a character boundary, with a note saying so.
 */
export function fitMessage(message: string): string {
  if (byteLength(message) <= NOTICE_MAX_BYTES) return message;
  const note = '\n\n[message truncated]';
  let cut = Buffer.from(message, 'utf8')
    .subarray(0, NOTICE_MAX_BYTES - byteLength(note))
    .toString('utf8');
  // A multi-byte character split by the cut decodes to U+FFFD at the end: drop it.
  cut = cut.replace(/\uFFFD+$/, '');
  return `${cut}${note}`;
}

/**
 * A {@link Notifier} publishing to an SNS topic (the approvers' email subscription). Publish limits
 * (https://docs.aws.amazon.com/sns/latest/api/API_Publish.html): a UTF-8 message of at most 262,144 bytes; a Subject
 * under 100 characters without line breaks or control characters.
 */
export class SnsNotifier implements Notifier {
  private readonly send: SNSClient['send'];

  constructor(
    client: SNSClient,
    readonly topicArn: string,
  ) {
    this.send = explainingSend(client, 'XML');
  }

  async publish(notification: Notification): Promise<void> {
    await this.send(
      new PublishCommand({
        TopicArn: this.topicArn,
        Subject: cleanSubject(notification.subject),
        Message: fitMessage(notification.message === '' ? notification.subject : notification.message),
      }),
    );
  }
}
