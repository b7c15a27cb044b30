import { proposeTightening } from '../steps/tighten.ts';
import { lambdaHandler } from './runtime.ts';

/** Lambda entry of the `ProposeTightening` Task. */
export const handler = lambdaHandler(proposeTightening, 'ProposeTightening');
