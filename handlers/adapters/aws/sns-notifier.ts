import { PublishCommand, type SNSClient } from '@aws-sdk/client-sns';
import type { Notification, Notifier } from '../../ports.ts';
import { explainingSend } from './sdk-errors.ts';

export const MAX_SUBJECT_LENGTH = 100;
/** SNS accepts 256 KiB messages; keep a margin for the truncation note. */
export const MAX_MESSAGE_BYTES = 256 * 1024 - 1024;
const FALLBACK_SUBJECT = 'default-sg-remediation';
const ELLIPSIS = '...';

/**
 * An SNS Subject: ASCII printable only (accents dropped, other characters become `?`), no line breaks or control
 * characters, whitespace collapsed, at most 100 characters (cut with `...`), never empty.
 */
export function cleanSubject(subject: string): string {
  const ascii = subject
    .normalize('NFKD')
    .replace(/\p{M}/gu, '')
    .replace(/[\r\n\t\f\v]+/g, ' ')
    .replace(/[^\x20-\x7e]/gu, (character) => (/\p{Cc}/u.test(character) ? '' : '?'))
    .replace(/ {2,}/g, ' ')
    .trim();
  if (ascii === '') return FALLBACK_SUBJECT;
  if (ascii.length <= MAX_SUBJECT_LENGTH) return ascii;
  return `${ascii.slice(0, MAX_SUBJECT_LENGTH - ELLIPSIS.length).trimEnd()}${ELLIPSIS}`;
}

/** The message, cut (on a character boundary) to fit SNS's size limit, with a note saying so. */
export function fitMessage(message: string): string {
  if (Buffer.byteLength(message, 'utf8') <= MAX_MESSAGE_BYTES) return message;
  const note = '\n\n[message truncated]';
  let cut = Buffer.from(message, 'utf8')
    .subarray(0, MAX_MESSAGE_BYTES - Buffer.byteLength(note))
    .toString('utf8');
  // A multi-byte character split by the cut decodes to U+FFFD at the end: drop it.
  cut = cut.replace(/\uFFFD+$/, '');
  return `${cut}${note}`;
}

/** A {@link Notifier} publishing to an SNS topic (the approvers' email subscription). */
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
