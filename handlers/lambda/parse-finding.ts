import { parseFinding } from '../steps/parse.ts';
import { lambdaHandler } from './runtime.ts';

/** Lambda entry of the `ParseFinding` Task. */
export const handler = lambdaHandler(parseFinding, 'ParseFinding');
