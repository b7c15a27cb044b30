import {
  BatchUpdateFindingsCommand,
  BatchUpdateFindingsV2Command,
  type SecurityHubClient,
} from '@aws-sdk/client-securityhub';
import type { FindingRef, FindingsUpdater } from '../../ports.ts';
import { explainingSend } from './sdk-errors.ts';

export const MAX_NOTE_LENGTH = 512;
export const NOTE_UPDATED_BY = 'default-sg-remediation';
const ELLIPSIS = '...';

/** Security Hub refused to update the finding (it came back in `UnprocessedFindings`). */
export class FindingUpdateError extends Error {
  constructor(
    readonly finding: FindingRef,
    /** Security Hub's error code, e.g. `FindingNotFound`; `errorCode()` reads it from here. */
    readonly code: string,
    detail: string,
  ) {
    super(`Security Hub did not update finding ${finding.findingId}: ${code}: ${detail}`);
    this.name = 'FindingUpdateFailed';
  }
}

/** A Note text Security Hub accepts: at most 512 characters, cut with `...`. */
export function fitNote(text: string): string {
  const chars = Array.from(text);
  if (chars.length <= MAX_NOTE_LENGTH) return text;
  return `${chars.slice(0, MAX_NOTE_LENGTH - ELLIPSIS.length).join('')}${ELLIPSIS}`;
}

/** A finding of the new Security Hub (OCSF): its product uid is a `productv2` ARN (handlers/core/finding.ts). */
export function isOcsfFinding(finding: FindingRef): boolean {
  return /^arn:[a-z-]+:securityhub:[a-z0-9-]*::productv2\//.test(finding.productArn);
}

/**
 * OCSF finding `status_id` for each workflow status this service sets: 1 New, 2 In Progress, 4 Resolved
 * (https://schema.ocsf.io/1.6.0/classes/compliance_finding; BatchUpdateFindingsV2 takes 0–5 and 99,
 * https://docs.aws.amazon.com/securityhub/1.0/APIReference/API_BatchUpdateFindingsV2.html).
 */
const OCSF_STATUS_ID = { NEW: 1, NOTIFIED: 2, RESOLVED: 4 } as const;

/**
 * A {@link FindingsUpdater} over Security Hub (run in the administrator account): BatchUpdateFindings for ASFF
 * findings (Security Hub CSPM), BatchUpdateFindingsV2 for OCSF findings (the new Security Hub), identified by an
 * OcsfFindingIdentifier (cloud.account.uid, finding_info.uid, metadata.product.uid) with `StatusId` and `Comment`.
 */
export class SecurityHubFindings implements FindingsUpdater {
  private readonly send: SecurityHubClient['send'];

  constructor(client: SecurityHubClient) {
    this.send = explainingSend(client, 'JSON');
  }

  async update(
    finding: FindingRef,
    change: { workflowStatus?: 'NEW' | 'NOTIFIED' | 'RESOLVED'; note: string },
  ): Promise<void> {
    const text = change.note.trim();
    if (text === '' && change.workflowStatus === undefined) return;
    if (isOcsfFinding(finding)) return this.updateOcsf(finding, change.workflowStatus, text);
    const output = await this.send(
      new BatchUpdateFindingsCommand({
        FindingIdentifiers: [{ Id: finding.findingId, ProductArn: finding.productArn }],
        ...(change.workflowStatus !== undefined ? { Workflow: { Status: change.workflowStatus } } : {}),
        ...(text !== '' ? { Note: { Text: fitNote(text), UpdatedBy: NOTE_UPDATED_BY } } : {}),
      }),
    );
    const [unprocessed] = output.UnprocessedFindings ?? [];
    if (unprocessed !== undefined) {
      throw new FindingUpdateError(
        finding,
        unprocessed.ErrorCode ?? 'Unknown',
        unprocessed.ErrorMessage ?? 'no error message',
      );
    }
  }

  private async updateOcsf(
    finding: FindingRef,
    workflowStatus: 'NEW' | 'NOTIFIED' | 'RESOLVED' | undefined,
    text: string,
  ): Promise<void> {
    if (finding.accountId === undefined) {
      throw new FindingUpdateError(finding, 'MissingAccount', 'an OCSF finding is identified with its account id');
    }
    const output = await this.send(
      new BatchUpdateFindingsV2Command({
        FindingIdentifiers: [
          {
            CloudAccountUid: finding.accountId,
            FindingInfoUid: finding.findingId,
            MetadataProductUid: finding.productArn,
          },
        ],
        ...(workflowStatus !== undefined ? { StatusId: OCSF_STATUS_ID[workflowStatus] } : {}),
        ...(text !== '' ? { Comment: fitNote(text) } : {}),
      }),
    );
    const [unprocessed] = output.UnprocessedFindings ?? [];
    if (unprocessed !== undefined) {
      throw new FindingUpdateError(
        finding,
        unprocessed.ErrorCode ?? 'Unknown',
        unprocessed.ErrorMessage ?? 'no error message',
      );
    }
  }
}
