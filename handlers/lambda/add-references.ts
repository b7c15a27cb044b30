import { addReferences } from '../steps/migrate.ts';
import { lambdaHandler } from './runtime.ts';

/** Lambda entry of the `AddReferences` Task. */
export const handler = lambdaHandler(addReferences, 'AddReferences');
