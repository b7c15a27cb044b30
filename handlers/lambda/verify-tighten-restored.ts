import { verifyTightenRestored } from '../steps/tighten.ts';
import { lambdaHandler } from './runtime.ts';

/** Lambda entry of the `VerifyTightenRestored` Task. */
export const handler = lambdaHandler(verifyTightenRestored, 'VerifyTightenRestored');
