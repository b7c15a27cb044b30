import { saveTightening } from '../steps/tighten.ts';
import { lambdaHandler } from './runtime.ts';

/** Lambda entry of the `SaveTightening` Task. */
export const handler = lambdaHandler(saveTightening, 'SaveTightening');
