import { requestTightening } from '../steps/approval.ts';
import { lambdaHandler } from './runtime.ts';

/** Lambda entry of the `RequestTightening` Task. */
export const handler = lambdaHandler(requestTightening, 'RequestTightening');
