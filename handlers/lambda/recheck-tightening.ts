import { recheckTightening } from '../steps/tighten.ts';
import { lambdaHandler } from './runtime.ts';

/** Lambda entry of the `RecheckTightening` Task. */
export const handler = lambdaHandler(recheckTightening, 'RecheckTightening');
