import { moveBack } from '../steps/rollback.ts';
import { lambdaHandler } from './runtime.ts';

/** Lambda entry of the `MoveBack` Task. */
export const handler = lambdaHandler(moveBack, 'MoveBack');
