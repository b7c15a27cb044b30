/**
 * Every attempt EC2 refuses for its rate reaches the pacer, the SDK's own retries included: the middleware sits below
 * the SDK's retry middleware, so the port's caller seeing one error does not hide the attempts before it.
 */
import { Readable } from 'node:stream';
import { EC2Client, ModifyNetworkInterfaceAttributeCommand } from '@aws-sdk/client-ec2';
import { describe, expect, it } from 'vitest';
import { reportThrottledAttempts } from '../../../handlers/adapters/aws/throttle-feedback.ts';

// EC2's error answer (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/errors-overview.html), HTTP 503 for
// RequestLimitExceeded (https://docs.aws.amazon.com/ec2/latest/devguide/ec2-api-throttling.html).
const THROTTLED = `<?xml version="1.0" encoding="UTF-8"?>
<Response><Errors><Error><Code>RequestLimitExceeded</Code><Message>Request limit exceeded.</Message></Error></Errors><RequestID>ea966190-f9aa-478e-9ede-example</RequestID></Response>`;
const DENIED = THROTTLED.replace('RequestLimitExceeded', 'UnauthorizedOperation').replace(
  'Request limit exceeded.',
  'You are not authorized to perform this operation.',
);

function answering(answers: { status: number; body: string }[], maxAttempts: number): EC2Client {
  let call = 0;
  return new EC2Client({
    region: 'us-east-1',
    credentials: { accessKeyId: 'x', secretAccessKey: 'y' },
    maxAttempts,
    requestHandler: {
      handle: async () => {
        const answer = answers[Math.min(call++, answers.length - 1)] ?? { status: 200, body: '' };
        return {
          response: {
            statusCode: answer.status,
            headers: { 'content-type': 'text/xml' },
            body: Readable.from([Buffer.from(answer.body)]),
          },
        };
      },
    } as never,
  });
}

const modify = new ModifyNetworkInterfaceAttributeCommand({ NetworkInterfaceId: 'eni-0123456789abcdef0', Groups: [] });

describe('throttle feedback from the AWS SDK', () => {
  it('reports each refused attempt, retries included, with its action (the SDK retried and succeeded: the caller saw nothing)', async () => {
    const reported: string[] = [];
    const ok =
      '<ModifyNetworkInterfaceAttributeResponse><requestId>1</requestId><return>true</return></ModifyNetworkInterfaceAttributeResponse>';
    const client = reportThrottledAttempts(
      answering(
        [
          { status: 503, body: THROTTLED },
          { status: 200, body: ok },
        ],
        2,
      ),
      (action) => reported.push(action),
    );
    await client.send(modify);
    expect(reported).toEqual(['ModifyNetworkInterfaceAttribute']);
  }, 30_000);

  it('reports nothing for other errors, and the error still reaches the caller as it was', async () => {
    const reported: string[] = [];
    const client = reportThrottledAttempts(answering([{ status: 403, body: DENIED }], 1), (action) =>
      reported.push(action),
    );
    await expect(client.send(modify)).rejects.toMatchObject({ name: 'UnauthorizedOperation' });
    expect(reported).toEqual([]);
  });
});
