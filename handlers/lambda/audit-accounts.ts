import { auditSteps } from '../steps/audit.ts';
import { lambdaHandler } from './runtime.ts';

/** Lambda entry of the organization audit's `AuditAccounts` Task. */
export const handler = lambdaHandler(auditSteps.AuditAccounts, 'AuditAccounts');
