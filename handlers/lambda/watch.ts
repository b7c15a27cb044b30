import { ownRolesFromEnv, watch } from '../steps/watch.ts';
import { lambdaHandler } from './runtime.ts';

/** Lambda entry of the watcher: EventBridge invokes it with the CloudTrail record of a watched EC2 call. */
export const handler = lambdaHandler((event, deps) => watch(event, deps, ownRolesFromEnv(process.env)), 'Watch');
