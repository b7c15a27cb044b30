import { parseTighten } from '../steps/tighten.ts';
import { lambdaHandler } from './runtime.ts';

/** Lambda entry of the `ParseTighten` Task. */
export const handler = lambdaHandler(parseTighten, 'ParseTighten');
