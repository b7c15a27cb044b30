/**
 * `tighten` on a real account (no --state), with the account stood in for: the EC2 simulator answering the sample
 * VPC and its `FlowLogs` (DescribeFlowLogs), S3 and CloudWatch Logs clients mocked (aws-sdk-client-mock) serving the
 * sample flow log as the service writes it (https://docs.aws.amazon.com/vpc/latest/userguide/flow-logs-s3-path.html).
 * The live proposal must be the one the same records give from a file; bad input exits 2 naming the field, before
 * any call to the account.
 */
import { createReadStream, readFileSync } from 'node:fs';
import {
  CloudWatchLogsClient,
  GetQueryResultsCommand,
  ResourceNotFoundException,
  StartQueryCommand,
} from '@aws-sdk/client-cloudwatch-logs';
import { GetObjectCommand, type GetObjectCommandOutput, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import type { LiveAccount } from '../../cli/flow-log-sources.ts';
import { SAMPLE_END, writeSample } from '../../cli/sample-flow-logs.ts';
import { runTighten } from '../../cli/tighten.ts';
import { SdkLogsInsights } from '../../handlers/adapters/flow-logs/insights.ts';
import { Ec2Simulator } from '../../handlers/adapters/local/ec2-simulator.ts';
import type { FlowLog } from '../../handlers/core/ec2-shapes.ts';
import { RECOMMENDED_LOG_FORMAT } from '../../handlers/core/flow-logs/format.ts';
import { describeRule } from '../../handlers/core/flow-logs/propose.ts';
import { tempDirPerTest } from '../support/cli.ts';

const credentials = { accessKeyId: 'x', secretAccessKey: 'y' };
const s3Mock = mockClient(S3Client);
const logsMock = mockClient(CloudWatchLogsClient);
const dir = tempDirPerTest('tighten-live-');
const ACCOUNT = '111122223333';
const REGION = 'us-east-1';

async function run(args: string[], account?: (region: string) => Promise<LiveAccount>) {
  let stdout = '';
  let stderr = '';
  const io = {
    stdout: (text: string) => {
      stdout += text;
    },
    stderr: (text: string) => {
      stderr += text;
    },
  };
  const code = await runTighten(
    args,
    io,
    account ??
      (async () => {
        throw new Error('the account must not be reached');
      }),
  );
  return { code, stdout, stderr, json: stdout.startsWith('{') ? JSON.parse(stdout) : undefined };
}

async function liveSample(flowLogs: (vpcId: string) => FlowLog[]) {
  const sample = await writeSample(dir(), 3000);
  const state = JSON.parse(readFileSync(sample.state, 'utf8'));
  const vpcId = state.SecurityGroups.find((g: { GroupId: string }) => g.GroupId === sample.groupId).VpcId as string;
  const ec2 = Ec2Simulator.fromState({ ...state, FlowLogs: flowLogs(vpcId) });
  const regions: string[] = [];
  const account = async (region: string): Promise<LiveAccount> => {
    regions.push(region);
    return {
      accountId: ACCOUNT,
      region,
      ec2,
      s3: new S3Client({ region, credentials }),
      insights: new SdkLogsInsights(new CloudWatchLogsClient({ region, credentials, maxAttempts: 1 }), {
        sleep: async () => {},
      }),
    };
  };
  return { sample, vpcId, ec2, account, regions };
}

const s3FlowLog = (vpcId: string): FlowLog => ({
  FlowLogId: 'fl-0000000000000000a',
  ResourceId: vpcId,
  FlowLogStatus: 'ACTIVE',
  TrafficType: 'ALL',
  LogDestinationType: 's3',
  LogDestination: 'arn:aws:s3:::flow-logs-bucket/vpc',
  LogFormat: RECOMMENDED_LOG_FORMAT,
  DeliverLogsStatus: 'SUCCESS',
  MaxAggregationInterval: 60,
  DestinationOptions: { FileFormat: 'plain-text', HiveCompatiblePartitions: false, PerHourPartition: false },
});

/** The sample's one object, listed under its first day (the service writes one per 5 minutes; one is enough). */
function serveSample(logPath: string, flowLogId = 'fl-0000000000000000a') {
  const day = `vpc/AWSLogs/${ACCOUNT}/vpcflowlogs/${REGION}/2026/11/01/`;
  s3Mock.on(ListObjectsV2Command).callsFake(async (input: { Prefix: string }) => ({
    Contents:
      input.Prefix === day
        ? [{ Key: `${day}${ACCOUNT}_vpcflowlogs_${REGION}_${flowLogId}_20261101T0000Z_sample.log.gz` }]
        : [],
  }));
  // A fresh stream per GetObject, as S3 answers.
  s3Mock
    .on(GetObjectCommand)
    .callsFake(async () => ({ Body: createReadStream(logPath) }) as unknown as GetObjectCommandOutput);
}

beforeEach(() => {
  s3Mock.reset();
  logsMock.reset();
});

afterAll(() => {
  s3Mock.restore();
  logsMock.restore();
});

describe('tighten on a real account', () => {
  it('reads the state live, finds the VPC flow log in S3 and proposes what the same records give from the file', async () => {
    const { sample, account, regions, ec2 } = await liveSample((vpcId) => [s3FlowLog(vpcId)]);
    serveSample(sample.log);
    const live = await run(['--group', sample.groupId, '--region', REGION, '--end', SAMPLE_END, '--json'], account);
    expect(live.code, live.stdout + live.stderr).toBe(0);
    expect(regions).toEqual([REGION]);
    expect(live.json.flowLogs).toEqual({ sources: ['s3://flow-logs-bucket/vpc'], notes: [] });
    expect(ec2.callCounts().DescribeFlowLogs).toBe(1);

    const local = await run([
      '--state',
      sample.state,
      '--group',
      sample.groupId,
      '--flow-logs',
      sample.log,
      '--end',
      SAMPLE_END,
      '--json',
    ]);
    expect(local.code).toBe(0);
    expect(live.json.tighten).toBe(true);
    for (const field of ['rules', 'add', 'revoke', 'noLongerAllowed', 'window', 'counts', 'guarantee'])
      expect(live.json[field], field).toEqual(local.json[field]);
    expect(live.json.guarantee.broken).toEqual([]);
  });

  it('reads only the named S3 folder, and every object under it when no known flow log writes there', async () => {
    const { sample, account } = await liveSample(() => []);
    serveSample(sample.log, 'fl-0sample');
    const answer = await run(
      [
        '--group',
        sample.groupId,
        '--region',
        REGION,
        '--flow-logs',
        's3://flow-logs-bucket/vpc/',
        '--end',
        SAMPLE_END,
        '--json',
      ],
      account,
    );
    expect(answer.code, answer.stdout).toBe(0);
    expect(answer.json.tighten).toBe(true);
    expect(answer.json.flowLogs.notes).toEqual([
      expect.stringContaining(
        'no flow log of the group\'s interfaces is known to write to "s3://flow-logs-bucket/vpc"',
      ),
    ]);
  });

  it('reads a named destination through the flow log writing there, and does not read Parquet objects as text', async () => {
    const parquet = (vpcId: string): FlowLog => ({
      ...s3FlowLog(vpcId),
      DestinationOptions: { FileFormat: 'parquet', HiveCompatiblePartitions: false, PerHourPartition: false },
    });
    const { sample, account } = await liveSample((vpcId) => [parquet(vpcId)]);
    serveSample(sample.log);
    const answer = await run(
      [
        '--group',
        sample.groupId,
        '--region',
        REGION,
        '--flow-logs',
        's3://flow-logs-bucket/vpc',
        '--end',
        SAMPLE_END,
        '--json',
      ],
      account,
    );
    expect(answer.code).toBe(0);
    expect(answer.json.tighten).toBe(false);
    expect(answer.json.flowLogs.sources).toEqual([]);
    expect(answer.json.flowLogs.notes[0]).toMatch(
      /fl-0000000000000000a .* is not read: it writes Apache Parquet files/,
    );
    expect(s3Mock.commandCalls(GetObjectCommand)).toHaveLength(0);
  });

  it('without flow logs tightens nothing and offers the create-flow-logs command for the VPC', async () => {
    const { sample, account, vpcId } = await liveSample(() => []);
    const answer = await run(['--group', sample.groupId, '--region', REGION, '--end', SAMPLE_END, '--json'], account);
    expect(answer.code).toBe(0);
    expect(answer.json).toMatchObject({ tighten: false, add: [], revoke: [] });
    expect(answer.json.flowLogs.sources).toEqual([]);
    expect(answer.json.flowLogs.notes[0]).toContain(
      `aws ec2 create-flow-logs --resource-type VPC --resource-ids ${vpcId}`,
    );
    const words = await run(['--group', sample.groupId, '--region', REGION, '--end', SAMPLE_END], account);
    expect(words.code).toBe(0);
    expect(words.stdout).toContain('Flow logs read: none\n  - no readable flow log records the group');
  });

  it('answers exit 2 naming --flow-logs for a log group that does not exist', async () => {
    const { sample, account } = await liveSample(() => []);
    logsMock
      .on(StartQueryCommand)
      .rejects(new ResourceNotFoundException({ message: 'The specified log group does not exist.', $metadata: {} }));
    logsMock.on(GetQueryResultsCommand).resolves({ status: 'Complete', results: [] });
    const answer = await run(
      [
        '--group',
        sample.groupId,
        '--region',
        REGION,
        '--flow-logs',
        'cloudwatch:/vpc/none',
        '--end',
        SAMPLE_END,
        '--json',
      ],
      account,
    );
    expect(answer.code).toBe(2);
    expect(answer.json).toMatchObject({ outcome: 'failed', error: 'InvalidInput' });
    expect(answer.json.reasons[0]).toBe(
      '--flow-logs: the log group /vpc/none does not exist in this account and region',
    );
  });

  it('refuses bad input with exit 2 naming the field, before reaching the account', async () => {
    const { sample, account } = await liveSample(() => []);
    const cases: [string[], RegExp][] = [
      [['--flow-logs', 's3://Bad_Bucket/x'], /--flow-logs: "s3:\/\/Bad_Bucket\/x" is not an S3 URL/],
      [['--flow-logs', 'cloudwatch:'], /--flow-logs: "cloudwatch:" does not name a log group/],
      [['--flow-logs', 'auto', '--flow-logs', 'x.log'], /--flow-logs: name one of auto/],
      [['--region', 'the-moon'], /--region: not a region/],
      [['--state', sample.state, '--flow-logs', 'auto'], /--flow-logs "auto": reads a real account's flow logs/],
      [['--state', sample.state, '--region', REGION], /--region: goes with a real account/],
    ];
    for (const [args, message] of cases) {
      const answer = await run(['--group', sample.groupId, ...args, '--json']);
      expect(answer.code, args.join(' ')).toBe(2);
      expect(answer.json.reasons[0], args.join(' ')).toMatch(message);
    }
    const missing = await run(['--group', 'sg-0123456789abcdef0', '--region', REGION, '--json'], account);
    expect(missing.code).toBe(2);
    expect(missing.json.reasons[0]).toBe(
      `--group: sg-0123456789abcdef0 is not a group of account ${ACCOUNT} in ${REGION}`,
    );
  });

  it('applies the proposal on the account (--approve, no --state): the copy holds exactly the proposal, every observed flow still allowed', async () => {
    const { sample, account, ec2 } = await liveSample((vpcId) => [s3FlowLog(vpcId)]);
    serveSample(sample.log);
    const store = dir();
    const proposed = await run(['--group', sample.groupId, '--region', REGION, '--end', SAMPLE_END, '--json'], account);
    const applied = await run(
      [
        '--group',
        sample.groupId,
        '--region',
        REGION,
        '--end',
        SAMPLE_END,
        '--approve',
        'auto',
        '--store',
        store,
        '--json',
      ],
      account,
    );
    expect(applied.code, applied.stdout + applied.stderr).toBe(0);
    expect(applied.json.outcome).toBe('tightened');
    expect(applied.json.rules).toEqual(proposed.json.rules.map(describeRule));
    expect(applied.json.rollbackCommand).toContain(`--region ${REGION}`);
    expect(applied.json.rollbackCommand).not.toContain('--state');
    // The account itself changed: the copy's rules are the proposal's, and the broad ones are gone.
    const state = ec2.toState();
    const copy = state.SecurityGroups.find((group) => group.GroupId === sample.groupId);
    const ingress = copy?.IpPermissions ?? [];
    expect(ingress.length).toBeGreaterThan(0);
    expect(ingress.some((rule) => rule.IpProtocol === '-1')).toBe(false);
  });

  it('a rejected live tightening changes nothing on the account, and --out is refused without --state', async () => {
    const { sample, account, ec2 } = await liveSample((vpcId) => [s3FlowLog(vpcId)]);
    serveSample(sample.log);
    const before = JSON.stringify(ec2.toState().SecurityGroups);
    const base = ['--group', sample.groupId, '--region', REGION, '--end', SAMPLE_END, '--json'];
    const rejected = await run([...base, '--approve', 'reject', '--store', dir()], account);
    expect(rejected.code, rejected.stdout + rejected.stderr).toBe(0);
    expect(rejected.json.outcome).toBe('rejected');
    expect(JSON.stringify(ec2.toState().SecurityGroups)).toBe(before);
    const out = await run([...base, '--approve', 'auto', '--store', dir(), '--out', `${dir()}/x.json`], account);
    expect(out.code).toBe(2);
    expect(out.json.reasons[0]).toMatch(/^--out: writes the simulated state/);
    expect(JSON.stringify(ec2.toState().SecurityGroups)).toBe(before);
  });
});
