import { strip } from '../steps/finish.ts';
import { lambdaHandler } from './runtime.ts';

/** Lambda entry of the `Strip` Task. */
export const handler = lambdaHandler(strip, 'Strip');
