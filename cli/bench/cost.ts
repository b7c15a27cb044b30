/**
 * Estimated AWS cost of a run, us-east-1 list prices:
 *  - Step Functions Standard workflows: $0.025 per 1,000 state transitions ($0.000025 each)
 *    (https://aws.amazon.com/step-functions/pricing/);
 *  - Lambda on arm64: $0.0000133334 per GB-second and $0.20 per 1M requests (https://aws.amazon.com/lambda/pricing/).
 * EC2 API calls, S3, DynamoDB and SNS requests are left out (EC2 API calls are free; the others are cents per
 * thousand and a run makes a few dozen).
 */
export const PRICE_PER_STATE_TRANSITION = 0.000025;
export const PRICE_PER_GB_SECOND_ARM64 = 0.0000133334;
export const PRICE_PER_LAMBDA_REQUEST = 0.2 / 1_000_000;

export interface Invocation {
  /** Seconds the function ran (billed per millisecond). */
  seconds: number;
  memoryMb: number;
}

export function costUsd(transitions: number, invocations: Invocation[]): number {
  const gbSeconds = invocations.reduce(
    (sum, call) => sum + (Math.ceil(call.seconds * 1000) / 1000) * (call.memoryMb / 1024),
    0,
  );
  return (
    transitions * PRICE_PER_STATE_TRANSITION +
    gbSeconds * PRICE_PER_GB_SECOND_ARM64 +
    invocations.length * PRICE_PER_LAMBDA_REQUEST
  );
}
