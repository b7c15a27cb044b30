import { restoreTightenedRules } from '../steps/tighten.ts';
import { lambdaHandler } from './runtime.ts';

/** Lambda entry of the `RestoreTightenedRules` Task. */
export const handler = lambdaHandler(restoreTightenedRules, 'RestoreTightenedRules');
