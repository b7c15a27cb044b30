import { moveInterfaces } from '../steps/migrate.ts';
import { lambdaHandler } from './runtime.ts';

/** Lambda entry of the `MoveInterfaces` Task. */
export const handler = lambdaHandler(moveInterfaces, 'MoveInterfaces');
