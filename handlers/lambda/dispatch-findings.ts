import { SFNClient } from '@aws-sdk/client-sfn';
import { SfnRemediationStarter } from '../adapters/aws/sfn.ts';
import { dispatchFindings } from '../steps/dispatch.ts';
import { lambdaHandler } from './runtime.ts';

const stateMachineArn = process.env.REMEDIATION_STATE_MACHINE_ARN;
if (!stateMachineArn) throw new Error('REMEDIATION_STATE_MACHINE_ARN is not set');
const starter = new SfnRemediationStarter(new SFNClient({}), stateMachineArn);

/** Lambda entry of the dispatcher: EventBridge invokes it with the "Remediate EC2.2" custom action event. */
export const handler = lambdaHandler((event, deps) => dispatchFindings(event, deps, starter), 'DispatchFindings');
