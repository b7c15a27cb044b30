import { recheck } from '../steps/finish.ts';
import { lambdaHandler } from './runtime.ts';

/** Lambda entry of the `Recheck` Task. */
export const handler = lambdaHandler(recheck, 'Recheck');
