import { sendDigests } from '../steps/digest.ts';
import { lambdaHandler } from './runtime.ts';

/** Lambda entry of the digest sender: EventBridge invokes it every minute (infra/constructs/digests.ts). */
export const handler = lambdaHandler(sendDigests, 'SendDigests');
