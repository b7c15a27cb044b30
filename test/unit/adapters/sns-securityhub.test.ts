import { BatchUpdateFindingsCommand, SecurityHubClient } from '@aws-sdk/client-securityhub';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { SecurityHubFindings } from '../../../handlers/adapters/aws/securityhub-findings.ts';
import { fitMessage, SnsNotifier } from '../../../handlers/adapters/aws/sns-notifier.ts';
import { cleanSubject } from '../../../handlers/core/notices.ts';

const sns = mockClient(SNSClient);
const securityHub = mockClient(SecurityHubClient);
const TOPIC = 'arn:aws:sns:eu-west-1:111122223333:approvals';
const finding = {
  findingId: 'arn:aws:securityhub:eu-west-1:111122223333:security-control/EC2.2/finding/abc',
  productArn: 'arn:aws:securityhub:eu-west-1::product/aws/securityhub',
};

beforeEach(() => {
  sns.reset();
  securityHub.reset();
});

describe('cleanSubject', () => {
  it('keeps a plain subject as it is', () => {
    expect(cleanSubject('Approve EC2.2 remediation of sg-123 (vpc-9)')).toBe(
      'Approve EC2.2 remediation of sg-123 (vpc-9)',
    );
  });

  it('removes line breaks, tabs and control characters and collapses spaces', () => {
    expect(cleanSubject('  line one\r\nline\ttwo\u0000\u0007  end \n')).toBe('line one line two end');
  });

  it('makes it ASCII: accents dropped, other characters become ?', () => {
    expect(cleanSubject('Café – déjà vu 承認 ✅')).toBe('Cafe ? deja vu ?? ?');
  });

  it('cuts to 99 characters with ... (API_Publish: a Subject is "less than 100 characters long")', () => {
    const subject = cleanSubject(`Remediation ${'x'.repeat(200)}`);
    expect(subject).toHaveLength(99);
    expect(subject.endsWith('...')).toBe(true);
    expect(subject.startsWith('Remediation xxx')).toBe(true);
  });

  it('never answers an empty subject', () => {
    expect(cleanSubject(' \n\t ')).toBe('default-sg-remediation');
  });
});

describe('fitMessage', () => {
  it('leaves messages under the limit alone and cuts larger ones on a character boundary', () => {
    expect(fitMessage('short')).toBe('short');
    const long = 'é'.repeat(200_000); // 400 000 bytes
    const fitted = fitMessage(long);
    expect(Buffer.byteLength(fitted)).toBeLessThanOrEqual(256 * 1024);
    expect(fitted.endsWith('[message truncated]')).toBe(true);
    expect(fitted).not.toContain('\uFFFD');
  });
});

describe('SnsNotifier', () => {
  it('publishes the cleaned subject and the message to the topic', async () => {
    sns.on(PublishCommand).resolves({ MessageId: 'm-1' });
    await new SnsNotifier(new SNSClient({ region: 'eu-west-1' }), TOPIC).publish({
      subject: 'Approval needed:\nsg-123',
      message: 'Line 1\nLine 2 — https://example.com/approve?id=abc',
    });
    expect(sns.commandCalls(PublishCommand)).toHaveLength(1);
    expect(sns.commandCalls(PublishCommand)[0]?.args[0].input).toEqual({
      TopicArn: TOPIC,
      Subject: 'Approval needed: sg-123',
      Message: 'Line 1\nLine 2 — https://example.com/approve?id=abc',
    });
  });

  it('lets SNS errors through', async () => {
    sns.on(PublishCommand).rejects(new Error('AuthorizationError'));
    await expect(
      new SnsNotifier(new SNSClient({ region: 'eu-west-1' }), TOPIC).publish({ subject: 's', message: 'm' }),
    ).rejects.toThrow('AuthorizationError');
  });
});

describe('SecurityHubFindings', () => {
  const updater = () => new SecurityHubFindings(new SecurityHubClient({ region: 'eu-west-1' }));

  it('sends BatchUpdateFindings with the identifier, workflow status and a note', async () => {
    securityHub.on(BatchUpdateFindingsCommand).resolves({ ProcessedFindings: [], UnprocessedFindings: [] });
    await updater().update(finding, { workflowStatus: 'RESOLVED', note: 'Remediated by r-1. Roll back: ...' });
    expect(securityHub.commandCalls(BatchUpdateFindingsCommand)[0]?.args[0].input).toEqual({
      FindingIdentifiers: [{ Id: finding.findingId, ProductArn: finding.productArn }],
      Workflow: { Status: 'RESOLVED' },
      Note: { Text: 'Remediated by r-1. Roll back: ...', UpdatedBy: 'default-sg-remediation' },
    });
  });

  it('cuts the note to 512 characters and omits Workflow when no status is given', async () => {
    securityHub.on(BatchUpdateFindingsCommand).resolves({ UnprocessedFindings: [] });
    await updater().update(finding, { note: 'n'.repeat(600) });
    const input = securityHub.commandCalls(BatchUpdateFindingsCommand)[0]?.args[0].input;
    expect(input?.Workflow).toBeUndefined();
    expect(input?.Note?.Text).toHaveLength(512);
    expect(input?.Note?.Text).toBe(`${'n'.repeat(509)}...`);
  });

  it('throws with the error code and message of an unprocessed finding', async () => {
    securityHub.on(BatchUpdateFindingsCommand).resolves({
      UnprocessedFindings: [
        {
          FindingIdentifier: { Id: finding.findingId, ProductArn: finding.productArn },
          ErrorCode: 'FindingNotFound',
          ErrorMessage: 'Finding not found',
        },
      ],
    });
    await expect(updater().update(finding, { workflowStatus: 'NOTIFIED', note: 'x' })).rejects.toMatchObject({
      name: 'FindingUpdateFailed',
      code: 'FindingNotFound',
      message: expect.stringContaining('Finding not found'),
    });
  });

  it('does not call Security Hub when there is nothing to change', async () => {
    await updater().update(finding, { note: '   ' });
    expect(securityHub.commandCalls(BatchUpdateFindingsCommand)).toHaveLength(0);
  });
});
