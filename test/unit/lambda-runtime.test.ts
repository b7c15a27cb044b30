import { CloudWatchLogsClient, StartQueryCommand } from '@aws-sdk/client-cloudwatch-logs';
import {
  DescribeFlowLogsCommand,
  DescribeNetworkInterfacesCommand,
  DescribeSecurityGroupsCommand,
  EC2Client,
} from '@aws-sdk/client-ec2';
import { AssumeRoleCommand, GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { depsFromEnv, lambdaHandler, settingsFromEnv } from '../../handlers/lambda/runtime.ts';
import { DEFAULT_SETTINGS, lockLifetimeSeconds } from '../../handlers/steps/deps.ts';

const ENV = {
  SNAPSHOT_BUCKET: 'bucket',
  LEDGER_TABLE: 'table',
  TOPIC_ARN: 'arn:aws:sns:us-east-1:111122223333:t',
  AWS_REGION: 'us-east-1',
};

const sts = mockClient(STSClient);
const ec2 = mockClient(EC2Client);
const logs = mockClient(CloudWatchLogsClient);
afterEach(() => {
  sts.reset();
  ec2.reset();
  logs.reset();
});

describe('Lambda runtime', () => {
  it('reads settings from the environment, with defaults for missing or bad values', () => {
    const settings = settingsFromEnv({
      APPROVAL_TIMEOUT_SECONDS: '3600',
      BATCH_SIZE: 'ten',
      LINK_BASE_URL: 'https://x.example',
    });
    expect(settings.approvalTimeoutSeconds).toBe(3600);
    expect(settings.batchSize).toBe(DEFAULT_SETTINGS.batchSize);
    expect(settings.linkBaseUrl).toBe('https://x.example');
  });

  it("derives the lock's lifetime from the approval wait: it always outlives the wait plus the run allowance", () => {
    for (const wait of ['300', '259200', String(30 * 86400), String(363 * 86400)]) {
      const settings = settingsFromEnv({ APPROVAL_TIMEOUT_SECONDS: wait });
      expect(lockLifetimeSeconds(settings)).toBe(Number(wait) + 2 * 86400);
    }
    // Before, the lock lived 7 days whatever the wait: a 30-day wait outlived it.
    expect(lockLifetimeSeconds(settingsFromEnv({ APPROVAL_TIMEOUT_SECONDS: String(30 * 86400) }))).toBeGreaterThan(
      30 * 86400,
    );
  });

  it('refuses to start without its resources', () => {
    expect(() => depsFromEnv({ LEDGER_TABLE: 't', TOPIC_ARN: 'a' })).toThrow(/SNAPSHOT_BUCKET/);
  });

  it('reads the pacing share, at most 1, 0.5 by default', () => {
    expect(settingsFromEnv({}).pacingShare).toBe(0.5);
    expect(settingsFromEnv({ PACING_SHARE: '0.3' }).pacingShare).toBe(0.3);
    expect(settingsFromEnv({ PACING_SHARE: '7' }).pacingShare).toBe(1);
    expect(settingsFromEnv({ PACING_SHARE: '-1' }).pacingShare).toBe(0.5);
  });

  it('calls EC2 directly in its own account and through the member role in another', async () => {
    sts.on(GetCallerIdentityCommand).resolves({ Account: '111122223333' });
    sts.on(AssumeRoleCommand).resolves({
      Credentials: {
        AccessKeyId: 'AKIA',
        SecretAccessKey: 's',
        SessionToken: 't',
        Expiration: new Date(Date.now() + 3600_000),
      },
    });
    ec2.on(DescribeSecurityGroupsCommand).resolves({ SecurityGroups: [] });
    const deps = depsFromEnv({ ...ENV, MEMBER_ROLE_NAME: 'DefaultSgRemediationMember' });
    await deps
      .ec2({ accountId: '111122223333', region: 'us-east-1' })
      .describeSecurityGroups({ GroupIds: ['sg-0123456789abcdef0'] });
    expect(sts.commandCalls(AssumeRoleCommand)).toHaveLength(0);
    await deps
      .ec2({ accountId: '444455556666', region: 'us-east-1' })
      .describeSecurityGroups({ GroupIds: ['sg-0123456789abcdef0'] });
    // The SDK resolves (and refreshes) credentials lazily: ask the second client for them as a request would.
    const client = ec2.commandCalls(DescribeSecurityGroupsCommand)[1]?.thisValue as EC2Client;
    expect((await client.config.credentials()).accessKeyId).toBe('AKIA');
    const assumed = sts.commandCalls(AssumeRoleCommand);
    expect(assumed).toHaveLength(1);
    expect(assumed[0]?.args[0].input.RoleArn).toBe('arn:aws:iam::444455556666:role/DefaultSgRemediationMember');
    expect(ec2.commandCalls(DescribeSecurityGroupsCommand)).toHaveLength(2);
  });

  it("gives the tighten propose step the AWS flow log finder: the account's own logs, read through the member role in another account", async () => {
    sts.on(GetCallerIdentityCommand).resolves({ Account: '111122223333' });
    sts.on(AssumeRoleCommand).resolves({
      Credentials: {
        AccessKeyId: 'AKIA',
        SecretAccessKey: 's',
        SessionToken: 't',
        Expiration: new Date(Date.now() + 3600_000),
      },
    });
    ec2.on(DescribeNetworkInterfacesCommand).resolves({
      NetworkInterfaces: [{ NetworkInterfaceId: 'eni-0123456789abcdef0', SubnetId: 'subnet-0123456789abcdef0' }],
    });
    // A VPC log to CloudWatch Logs in the default format (no LogFormat read as the default: finder.ts).
    ec2.on(DescribeFlowLogsCommand).resolves({
      FlowLogs: [
        {
          FlowLogId: 'fl-0123456789abcdef0',
          FlowLogStatus: 'ACTIVE',
          DeliverLogsStatus: 'SUCCESS',
          ResourceId: 'vpc-0123456789abcdef0',
          TrafficType: 'ALL',
          LogDestinationType: 'cloud-watch-logs',
          LogGroupName: 'vpc-flow-logs',
        },
      ],
    });
    logs.on(StartQueryCommand).rejects(Object.assign(new Error('no group'), { name: 'ResourceNotFoundException' }));
    const deps = depsFromEnv({ ...ENV, MEMBER_ROLE_NAME: 'DefaultSgRemediationMember-ProposeTightening' });
    const scope = {
      accountId: '444455556666',
      region: 'eu-west-1',
      vpcId: 'vpc-0123456789abcdef0',
      interfaceIds: ['eni-0123456789abcdef0'],
    };
    const found = await deps.flowLogs({ accountId: scope.accountId, region: scope.region }).find(scope);
    // Not FlowLogsNotConfigured: the finder asked the member account's EC2 for its flow logs and opened the log group.
    expect(found.sources.map((source) => source.label).join()).toContain('vpc-flow-logs');
    expect(ec2.commandCalls(DescribeFlowLogsCommand)[0]?.args[0].input.Filter).toEqual([
      { Name: 'resource-id', Values: ['vpc-0123456789abcdef0', 'subnet-0123456789abcdef0', 'eni-0123456789abcdef0'] },
    ]);
    const client = ec2.commandCalls(DescribeFlowLogsCommand)[0]?.thisValue as EC2Client;
    expect((await client.config.credentials()).accessKeyId).toBe('AKIA');
    expect(sts.commandCalls(AssumeRoleCommand)[0]?.args[0].input.RoleArn).toBe(
      'arn:aws:iam::444455556666:role/DefaultSgRemediationMember-ProposeTightening',
    );
    expect(await client.config.region()).toBe('eu-west-1');
    // The log group is read in the member account's Region with the same credentials.
    const [source] = found.sources;
    const pieces = source?.pieces({ start: 0, end: 3600 })[Symbol.asyncIterator]();
    await expect(pieces?.next()).rejects.toMatchObject({ name: 'LogGroupNotFound' });
    const logsClient = logs.commandCalls(StartQueryCommand)[0]?.thisValue as CloudWatchLogsClient;
    expect((await logsClient.config.credentials()).accessKeyId).toBe('AKIA');
    expect(await logsClient.config.region()).toBe('eu-west-1');
  });

  it('rethrows step errors with their name, which the state machine matches', async () => {
    const original = { ...process.env };
    Object.assign(process.env, ENV);
    try {
      const handler = lambdaHandler(async () => {
        throw Object.assign(new Error('drift'), { name: 'DriftDetected' });
      }, 'Test');
      await expect(handler({})).rejects.toMatchObject({ name: 'DriftDetected' });
    } finally {
      process.env = original;
    }
  });
});
