import { parseTightenRequest } from '../steps/tighten.ts';
import { lambdaHandler } from './runtime.ts';

/** Lambda entry of the `ParseTightenRequest` Task. */
export const handler = lambdaHandler(parseTightenRequest, 'ParseTightenRequest');
