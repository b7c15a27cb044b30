import { restoreCopyRules } from '../steps/tighten.ts';
import { lambdaHandler } from './runtime.ts';

/** Lambda entry of the `RestoreCopyRules` Task. */
export const handler = lambdaHandler(restoreCopyRules, 'RestoreCopyRules');
