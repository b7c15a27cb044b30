import { revokeBroadRules } from '../steps/tighten.ts';
import { lambdaHandler } from './runtime.ts';

/** Lambda entry of the `RevokeBroadRules` Task. */
export const handler = lambdaHandler(revokeBroadRules, 'RevokeBroadRules');
