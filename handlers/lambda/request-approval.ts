import { requestApproval } from '../steps/approval.ts';
import { lambdaHandler } from './runtime.ts';

/** Lambda entry of the `RequestApproval` Task. */
export const handler = lambdaHandler(requestApproval, 'RequestApproval');
