import { auditSteps } from '../steps/audit.ts';
import { lambdaHandler } from './runtime.ts';

/** Lambda entry of the organization audit's `NotifyAudit` Task. */
export const handler = lambdaHandler(auditSteps.NotifyAudit, 'NotifyAudit');
