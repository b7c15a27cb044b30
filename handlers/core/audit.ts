/**
 * What an organization audit found (`plan --all-regions`, cli/org.ts): one row per VPC default group, or per
 * account/region that could not be read, and the counts. Pure types and counting, shared by the command line and the
 * reports (handlers/core/report/), which any runner of the audit can write.
 */

export type AuditStatus = 'in use' | 'empty' | 'compliant' | 'blocked' | 'excluded' | 'unreachable';

export const AUDIT_STATUSES: readonly AuditStatus[] = [
  'in use',
  'empty',
  'compliant',
  'blocked',
  'excluded',
  'unreachable',
];

export interface Place {
  accountId: string;
  region: string;
}

export interface AuditedGroup extends Place {
  /** Absent for an unreachable account/region. */
  vpcId?: string;
  groupId?: string;
  status: AuditStatus;
  /** Interfaces on the default group. */
  members: number;
  /** Groups (other than itself) whose rules reference it, plus VPCs that do and cannot be read. */
  references: number;
  /** Inbound and outbound rules of the default group. */
  rules: number;
  /** Why the group has its status; text from the account (names, tags) and from error messages: untrusted. */
  reasons: string[];
}

export type AuditSummary = {
  accounts: number;
  regions: number;
  groups: number;
} & Record<AuditStatus, number>;

/** An audit's answer, as `plan --all-regions --json` prints it: the rows and their counts. */
export interface AuditResult {
  groups: readonly AuditedGroup[];
  summary: AuditSummary;
}

/** The counts: each status counts rows (an unreachable account/region is one row without a group). */
export function summarizeAudit(rows: readonly AuditedGroup[]): AuditSummary {
  const summary = {
    accounts: new Set(rows.map((row) => row.accountId)).size,
    regions: new Set(rows.map((row) => row.region)).size,
    groups: rows.filter((row) => row.groupId).length,
  } as AuditSummary;
  for (const status of AUDIT_STATUSES) summary[status] = rows.filter((row) => row.status === status).length;
  return summary;
}
