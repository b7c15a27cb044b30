import { verifyTightening } from '../steps/tighten.ts';
import { lambdaHandler } from './runtime.ts';

/** Lambda entry of the `VerifyTightening` Task. */
export const handler = lambdaHandler(verifyTightening, 'VerifyTightening');
