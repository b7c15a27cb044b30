import { requestTightenApproval } from '../steps/approval.ts';
import { lambdaHandler } from './runtime.ts';

/** Lambda entry of the `RequestTightenApproval` Task. */
export const handler = lambdaHandler(requestTightenApproval, 'RequestTightenApproval');
