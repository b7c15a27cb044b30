import { discover } from '../steps/discover.ts';
import { lambdaHandler } from './runtime.ts';

/** Lambda entry of the `Discover` Task. */
export const handler = lambdaHandler(discover, 'Discover');
