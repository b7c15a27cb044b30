import { createReplacement } from '../steps/migrate.ts';
import { lambdaHandler } from './runtime.ts';

/** Lambda entry of the `CreateReplacement` Task. */
export const handler = lambdaHandler(createReplacement, 'CreateReplacement');
