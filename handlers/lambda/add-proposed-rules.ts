import { addProposedRules } from '../steps/tighten.ts';
import { lambdaHandler } from './runtime.ts';

/** Lambda entry of the `AddProposedRules` Task. */
export const handler = lambdaHandler(addProposedRules, 'AddProposedRules');
