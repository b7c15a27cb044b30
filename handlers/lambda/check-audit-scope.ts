import { auditSteps } from '../steps/audit.ts';
import { lambdaHandler } from './runtime.ts';

/** Lambda entry of the organization audit's `CheckAuditScope` Task. */
export const handler = lambdaHandler(auditSteps.CheckAuditScope, 'CheckAuditScope');
