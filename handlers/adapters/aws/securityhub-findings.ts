import { BatchUpdateFindingsCommand, type SecurityHubClient } from '@aws-sdk/client-securityhub';
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

/** A {@link FindingsUpdater} over Security Hub BatchUpdateFindings (run in the administrator account). */
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
}
