import { notify } from '../steps/report.ts';
import { lambdaHandler } from './runtime.ts';

/** Lambda entry of the `Notify` Task. */
export const handler = lambdaHandler(notify, 'Notify');
