import { saveSnapshot } from '../steps/snapshot.ts';
import { lambdaHandler } from './runtime.ts';

/** Lambda entry of the `SaveSnapshot` Task. */
export const handler = lambdaHandler(saveSnapshot, 'SaveSnapshot');
