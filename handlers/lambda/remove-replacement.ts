import { removeReplacement } from '../steps/rollback.ts';
import { lambdaHandler } from './runtime.ts';

/** Lambda entry of the `RemoveReplacement` Task. */
export const handler = lambdaHandler(removeReplacement, 'RemoveReplacement');
