import { loadRollback } from '../steps/rollback.ts';
import { lambdaHandler } from './runtime.ts';

/** Lambda entry of the `LoadRollback` Task. */
export const handler = lambdaHandler(loadRollback, 'LoadRollback');
