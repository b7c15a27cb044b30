/**
 * Where `tighten` reads flow logs from, and the state on a real account (issue 14, live mode).
 *
 *   --flow-logs FILE …                  local files (plain or .gz, S3 layout with its header line, or --log-format)
 *   --flow-logs auto                    the account's flow logs on the group's VPC, subnets and interfaces
 *                                       (DescribeFlowLogs; the default on a real account when no file is named)
 *   --flow-logs s3://bucket[/folder]    only the flow logs writing there (all the objects of this account and region
 *                                       under it when none of them is known to)
 *   --flow-logs cloudwatch:LOG-GROUP    only the flow logs publishing to that log group (its format from
 *                                       DescribeFlowLogs, else --log-format, else the default format)
 *
 * On a real account (no --state) the state is read live through the same SDK adapter `plan` uses (cli/deps.ts:
 * SdkEc2 over EC2Client, the standard credential chain, AWS_ENDPOINT_URL honoured): the group, then the groups and
 * interfaces of its VPC. Bad input is a `FlowLogsInputError` naming the field (exit 2).
 */
import { stat } from 'node:fs/promises';
import { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import { EC2Client } from '@aws-sdk/client-ec2';
import { S3Client } from '@aws-sdk/client-s3';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { SdkEc2 } from '../handlers/adapters/aws/ec2.ts';
import { CloudWatchFlowLogSource, type LogsInsights } from '../handlers/adapters/flow-logs/cloudwatch.ts';
import { AwsFlowLogFinder, type NamedDestination } from '../handlers/adapters/flow-logs/finder.ts';
import { LogGroupNotFoundError, SdkLogsInsights } from '../handlers/adapters/flow-logs/insights.ts';
import { FileFlowLogSource } from '../handlers/adapters/flow-logs/lines.ts';
import { S3FlowLogSource } from '../handlers/adapters/flow-logs/s3.ts';
import type { FlowLogSource } from '../handlers/adapters/flow-logs/sources.ts';
import type { Ec2State } from '../handlers/core/ec2-shapes.ts';
import { parseS3Destination } from '../handlers/core/flow-logs/choose.ts';
import { DEFAULT_LOG_FORMAT, type FlowLogLayout, parseLogFormat } from '../handlers/core/flow-logs/format.ts';
import { quote } from '../handlers/core/untrusted.ts';
import type { Ec2Port } from '../handlers/ports.ts';
import { describeGroups, describeInterfaces } from '../handlers/steps/ec2-ops.ts';

/** Bad input about the flow logs, the group or the region: exit 2, the message names the field. */
export class FlowLogsInputError extends Error {}

export type FlowLogsSpec = { kind: 'files'; paths: string[] } | { kind: 'auto' } | NamedDestination;

/** Log group names: 1-512 of `[.\-_/#A-Za-z0-9]` (CreateLogGroup, logGroupName). */
const LOG_GROUP_NAME = /^[.\-_/#A-Za-z0-9]{1,512}$/;

/** Reads the `--flow-logs` values: files, `auto`, one `s3://` URL or one `cloudwatch:` log group. */
export async function parseFlowLogsSpec(values: readonly string[], live: boolean): Promise<FlowLogsSpec> {
  const named = values.filter((v) => v === 'auto' || v.startsWith('s3://') || v.startsWith('cloudwatch:'));
  if (named.length > 0 && values.length > 1)
    throw new FlowLogsInputError('--flow-logs: name one of auto, s3://bucket/folder or cloudwatch:LOG-GROUP, or files');
  const value = named[0];
  if (value !== undefined && !live)
    throw new FlowLogsInputError(
      `--flow-logs ${quote(value, 80)}: reads a real account's flow logs; leave out --state (with --state, name files)`,
    );
  if (value === undefined && values.length === 0) return live ? { kind: 'auto' } : { kind: 'files', paths: [] };
  if (value === 'auto') return { kind: 'auto' };
  if (value?.startsWith('s3://')) {
    const destination = parseS3Destination(`arn:aws:s3:::${value.slice('s3://'.length)}`);
    if (!destination)
      throw new FlowLogsInputError(
        `--flow-logs: ${quote(value, 80)} is not an S3 URL (s3://bucket or s3://bucket/folder)`,
      );
    return { kind: 's3', ...destination };
  }
  if (value?.startsWith('cloudwatch:')) {
    const logGroupName = value.slice('cloudwatch:'.length);
    if (!LOG_GROUP_NAME.test(logGroupName))
      throw new FlowLogsInputError(
        `--flow-logs: ${quote(value, 80)} does not name a log group (cloudwatch:NAME, 1-512 of letters, digits and . - _ / #)`,
      );
    return { kind: 'cloudwatch', logGroupName };
  }
  for (const file of values) {
    const info = await stat(file).catch(() => undefined);
    if (!info?.isFile()) throw new FlowLogsInputError(`--flow-logs: ${file} is not a readable file`);
  }
  return { kind: 'files', paths: [...values] };
}

/** What a live run talks to: the account, its region, and the clients of EC2, S3 and Logs Insights. */
export interface LiveAccount {
  accountId: string;
  region: string;
  ec2: Ec2Port;
  s3: S3Client;
  insights: LogsInsights;
}

export type LiveAccountOf = (region: string) => Promise<LiveAccount>;

/** The real account of the standard credential chain (STS GetCallerIdentity), in `region`. */
export const awsAccountOf: LiveAccountOf = async (region) => {
  const identity = await new STSClient({ region }).send(new GetCallerIdentityCommand({}));
  if (!identity.Account) throw new Error('STS GetCallerIdentity answered no account');
  return {
    accountId: identity.Account,
    region,
    ec2: new SdkEc2(new EC2Client({ region })),
    s3: new S3Client({ region }),
    insights: new SdkLogsInsights(new CloudWatchLogsClient({ region })),
  };
};

/** `--region`, else AWS_REGION / AWS_DEFAULT_REGION. */
export function liveRegion(flag: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  const region = flag ?? env.AWS_REGION ?? env.AWS_DEFAULT_REGION;
  if (!region) throw new FlowLogsInputError('--region: required on a real account (or set AWS_REGION)');
  if (!/^[a-z]{2}(-[a-z]+)+-\d+$/.test(region)) throw new FlowLogsInputError('--region: not a region (e.g. us-east-1)');
  return region;
}

/** The group's VPC as describe-security-groups + describe-network-interfaces would answer it. */
export async function readLiveState(
  account: LiveAccount,
  groupId: string,
): Promise<{ state: Ec2State; vpcId: string }> {
  const [group] = await describeGroups(account.ec2, [{ Name: 'group-id', Values: [groupId] }]);
  if (!group?.VpcId)
    throw new FlowLogsInputError(
      `--group: ${groupId} is not a group of account ${account.accountId} in ${account.region}`,
    );
  const vpc = [{ Name: 'vpc-id', Values: [group.VpcId] }];
  const state = {
    SecurityGroups: await describeGroups(account.ec2, vpc),
    NetworkInterfaces: await describeInterfaces(account.ec2, vpc),
  };
  return { state, vpcId: group.VpcId };
}

export interface SelectedSources {
  sources: FlowLogSource[];
  /** What was found and what cannot be read, for the person. */
  notes: string[];
}

/**
 * The sources to read: the files, or (live) the finder's choice among the account's flow logs, narrowed to a named
 * destination when one is given. A named destination no flow log of the group's interfaces is known to write to is
 * read as it is, with a note: an S3 folder in the standard layout (each object's header line gives its format), a
 * log group in `layout` (--log-format) or the default format.
 */
export async function selectSources(
  spec: FlowLogsSpec,
  context: {
    layout?: FlowLogLayout;
    live?: { account: LiveAccount; vpcId: string; interfaceIds: string[] };
  },
): Promise<SelectedSources> {
  if (spec.kind === 'files')
    return { sources: spec.paths.length > 0 ? [new FileFlowLogSource(spec.paths, context.layout)] : [], notes: [] };
  const live = context.live;
  if (!live) throw new FlowLogsInputError('--flow-logs: auto, s3:// and cloudwatch: read a real account (no --state)');
  const { account } = live;
  const named = spec.kind === 'auto' ? undefined : spec;
  const finder = new AwsFlowLogFinder(account.ec2, account.s3, account.insights, named);
  const found = await finder.find({
    accountId: account.accountId,
    region: account.region,
    vpcId: live.vpcId,
    interfaceIds: live.interfaceIds,
  });
  // A named destination that known flow logs write to is read through them (or not, with their notes): the folder is
  // read as it is only when none of the members' logs is known to write there.
  if (!named || found.considered > 0) return { sources: found.sources, notes: found.notes };
  if (named.kind === 's3') {
    const where = `s3://${named.bucket}/${named.prefix ?? ''}`;
    return {
      sources: [
        new S3FlowLogSource(account.s3, {
          bucket: named.bucket,
          ...(named.prefix ? { prefix: named.prefix } : {}),
          accountId: account.accountId,
          region: account.region,
        }),
      ],
      notes: [
        `no flow log of the group's interfaces is known to write to ${quote(where)}: every flow log object of account ` +
          `${account.accountId} in ${account.region} under it is read (standard layout, not Hive-compatible).`,
      ],
    };
  }
  return {
    sources: [
      new CloudWatchFlowLogSource(
        account.insights,
        named.logGroupName,
        context.layout ?? parseLogFormat(DEFAULT_LOG_FORMAT),
        {
          interfaceIds: live.interfaceIds,
        },
      ),
    ],
    notes: [
      `no flow log of the group's interfaces is known to publish to the log group ${quote(named.logGroupName)}: it is ` +
        `read in ${context.layout ? 'the --log-format format' : 'the default format (version 2); name another with --log-format'}.`,
    ],
  };
}

/** A log group the person named that does not exist: their input (exit 2), not a failure of the run. */
export function namedLogGroupMissing(error: unknown, spec: FlowLogsSpec): FlowLogsInputError | undefined {
  if (!(error instanceof LogGroupNotFoundError)) return undefined;
  if (spec.kind !== 'cloudwatch' || spec.logGroupName !== error.logGroupName) return undefined;
  return new FlowLogsInputError(`--flow-logs: ${error.message}`);
}
