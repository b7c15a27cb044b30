/**
 * Tells the pacer about every attempt an AWS SDK client sees refused for its rate, retries included: the SDK's
 * standard retry mode retries `RequestLimitExceeded` itself (https://docs.aws.amazon.com/sdkref/latest/guide/feature-retry-behavior.html),
 * so the port's caller sees at most the last refusal. The middleware sits in the finalizeRequest step below the retry
 * middleware (priority "low"; the SDK's retry middleware is "high"), so it sees each attempt's parsed error.
 */
import type { EC2Client } from '@aws-sdk/client-ec2';
import { isThrottle } from '../../core/adaptive-rate.ts';

export function reportThrottledAttempts<Client extends Pick<EC2Client, 'middlewareStack'>>(
  client: Client,
  report: ((action: string) => void) | undefined,
): Client {
  if (!report) return client;
  client.middlewareStack.add(
    (next, context) => async (args) => {
      try {
        return await next(args);
      } catch (error) {
        if (isThrottle(error)) report(String(context.commandName ?? '').replace(/Command$/, ''));
        throw error;
      }
    },
    { step: 'finalizeRequest', priority: 'low', name: 'reportThrottledAttempts' },
  );
  return client;
}
