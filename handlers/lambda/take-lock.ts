import { takeLock } from '../steps/lock.ts';
import { lambdaHandler } from './runtime.ts';

/** Lambda entry of the `TakeLock` Task. */
export const handler = lambdaHandler(takeLock, 'TakeLock');
