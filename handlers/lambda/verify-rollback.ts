import { verifyRollback } from '../steps/rollback.ts';
import { lambdaHandler } from './runtime.ts';

/** Lambda entry of the `VerifyRollback` Task. */
export const handler = lambdaHandler(verifyRollback, 'VerifyRollback');
