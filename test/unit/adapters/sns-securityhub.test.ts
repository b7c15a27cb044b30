import {
  BatchUpdateFindingsCommand,
  BatchUpdateFindingsV2Command,
  SecurityHubClient,
} from '@aws-sdk/client-securityhub';
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

describe('SecurityHubFindings — the new Security Hub (OCSF)', () => {
  // The identifier of an OCSF finding (API_OcsfFindingIdentifier: cloud.account.uid, finding_info.uid,
  // metadata.product.uid) as test/fixtures/events/ok-ocsf-imported.json carries it.
  const ocsf = {
    findingId:
      'arn:aws:securityhub:us-east-1:111122223333:security-control/EC2.2/finding/1f2e3d4c-5b6a-4789-8a9b-0c1d2e3f4a5b',
    productArn: 'arn:aws:securityhub:us-east-1::productv2/aws/securityhub',
    accountId: '111122223333',
  };
  const updater = () => new SecurityHubFindings(new SecurityHubClient({ region: 'us-east-1' }));

  it('resolves it with BatchUpdateFindingsV2: OcsfFindingIdentifier, StatusId 4 (Resolved), Comment; never the V1 call', async () => {
    securityHub.on(BatchUpdateFindingsV2Command).resolves({ ProcessedFindings: [], UnprocessedFindings: [] });
    await updater().update(ocsf, { workflowStatus: 'RESOLVED', note: 'Closed by default-sg-remediation r-1: done' });
    expect(securityHub.commandCalls(BatchUpdateFindingsCommand)).toHaveLength(0);
    expect(securityHub.commandCalls(BatchUpdateFindingsV2Command)[0]?.args[0].input).toEqual({
      FindingIdentifiers: [
        { CloudAccountUid: ocsf.accountId, FindingInfoUid: ocsf.findingId, MetadataProductUid: ocsf.productArn },
      ],
      StatusId: 4,
      Comment: 'Closed by default-sg-remediation r-1: done',
    });
  });

  it('reopens it after a rollback with StatusId 1 (New), the comment cut to 512 characters', async () => {
    securityHub.on(BatchUpdateFindingsV2Command).resolves({ ProcessedFindings: [], UnprocessedFindings: [] });
    await updater().update(ocsf, { workflowStatus: 'NEW', note: 'n'.repeat(600) });
    const input = securityHub.commandCalls(BatchUpdateFindingsV2Command)[0]?.args[0].input;
    expect(input?.StatusId).toBe(1);
    expect(input?.Comment).toBe(`${'n'.repeat(509)}...`);
  });

  it('throws with the error code of an unprocessed finding, and refuses an identifier without its account', async () => {
    securityHub.on(BatchUpdateFindingsV2Command).resolves({
      ProcessedFindings: [],
      UnprocessedFindings: [{ ErrorCode: 'ResourceNotFoundException', ErrorMessage: 'not found' }],
    });
    await expect(updater().update(ocsf, { workflowStatus: 'RESOLVED', note: 'x' })).rejects.toMatchObject({
      name: 'FindingUpdateFailed',
      code: 'ResourceNotFoundException',
    });
    const { accountId: _, ...withoutAccount } = ocsf;
    await expect(updater().update(withoutAccount, { workflowStatus: 'RESOLVED', note: 'x' })).rejects.toMatchObject({
      code: 'MissingAccount',
    });
    expect(securityHub.commandCalls(BatchUpdateFindingsV2Command)).toHaveLength(1);
  });
});
