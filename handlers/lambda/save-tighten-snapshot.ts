import { saveTightenSnapshot } from '../steps/tighten.ts';
import { lambdaHandler } from './runtime.ts';

/** Lambda entry of the `SaveTightenSnapshot` Task. */
export const handler = lambdaHandler(saveTightenSnapshot, 'SaveTightenSnapshot');
