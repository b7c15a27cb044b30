import { updateFinding } from '../steps/report.ts';
import { lambdaHandler } from './runtime.ts';

/** Lambda entry of the `UpdateFinding` Task. */
export const handler = lambdaHandler(updateFinding, 'UpdateFinding');
