import { verify } from '../steps/finish.ts';
import { lambdaHandler } from './runtime.ts';

/** Lambda entry of the `Verify` Task. */
export const handler = lambdaHandler(verify, 'Verify');
