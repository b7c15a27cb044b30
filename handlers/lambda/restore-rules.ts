import { restoreRules } from '../steps/rollback.ts';
import { lambdaHandler } from './runtime.ts';

/** Lambda entry of the `RestoreRules` Task. */
export const handler = lambdaHandler(restoreRules, 'RestoreRules');
