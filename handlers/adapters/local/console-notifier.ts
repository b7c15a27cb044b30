import { escapeUnsafe } from '../../core/untrusted.ts';
import type { Notification, Notifier } from '../../ports.ts';

const WIDTH = 78;

/**
 * Renders a notification as a framed block: a rule, the subject, a thinner rule, the message, a closing rule. No
 * control or bidi character reaches the terminal (an escape sequence in a name could rewrite the screen): each is
 * shown escaped, line breaks of the message excepted.
 */
export function formatNotification(notification: Notification): string {
  const heavy = '='.repeat(WIDTH);
  const light = '-'.repeat(WIDTH);
  const subject = escapeUnsafe(notification.subject.replace(/\s+/g, ' ').trim());
  const message = notification.message
    .replace(/\r\n?/g, '\n')
    .replace(/\s+$/, '')
    .split('\n')
    .map((line) => escapeUnsafe(line))
    .join('\n');
  return ['', heavy, `NOTIFICATION  ${subject}`, light, message, heavy, ''].join('\n');
}

/** A {@link Notifier} that prints to the terminal (stderr by default, so stdout stays machine-readable). */
export class ConsoleNotifier implements Notifier {
  constructor(
    private readonly write: (text: string) => void = (text) => {
      process.stderr.write(text);
    },
  ) {}

  async publish(notification: Notification): Promise<void> {
    this.write(`${formatNotification(notification)}\n`);
  }
}
