import { releaseLock } from '../steps/lock.ts';
import { lambdaHandler } from './runtime.ts';

/** Lambda entry of the `ReleaseLock` Task. */
export const handler = lambdaHandler(releaseLock, 'ReleaseLock');
