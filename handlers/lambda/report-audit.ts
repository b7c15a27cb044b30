import { auditSteps } from '../steps/audit.ts';
import { lambdaHandler } from './runtime.ts';

/** Lambda entry of the organization audit's `ReportAudit` Task. */
export const handler = lambdaHandler(auditSteps.ReportAudit, 'ReportAudit');
