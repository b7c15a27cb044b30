import { verifyCopyRules } from '../steps/tighten.ts';
import { lambdaHandler } from './runtime.ts';

/** Lambda entry of the `VerifyCopyRules` Task. */
export const handler = lambdaHandler(verifyCopyRules, 'VerifyCopyRules');
