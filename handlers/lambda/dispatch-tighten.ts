import { SFNClient } from '@aws-sdk/client-sfn';
import { SfnRemediationStarter } from '../adapters/aws/sfn.ts';
import { dispatchTighten } from '../steps/dispatch-tighten.ts';
import { lambdaHandler } from './runtime.ts';

const stateMachineArn = process.env.TIGHTEN_STATE_MACHINE_ARN;
if (!stateMachineArn) throw new Error('TIGHTEN_STATE_MACHINE_ARN is not set');
const starter = new SfnRemediationStarter(new SFNClient({}), stateMachineArn);

/** Lambda entry of the "Tighten EC2.2 copy" custom action: EventBridge invokes it with the action's event. */
export const handler = lambdaHandler((event, deps) => dispatchTighten(event, deps, starter), 'DispatchTighten');
