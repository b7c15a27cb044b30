/**
 * The Lambda side of the steps: dependencies built from the function's environment (once per container), and the
 * wrapper every entry uses. Errors keep their `name`, which is what the state machines' Catch clauses match.
 */

import { randomBytes } from 'node:crypto';
import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EC2Client } from '@aws-sdk/client-ec2';
import { OrganizationsClient } from '@aws-sdk/client-organizations';
import { S3Client } from '@aws-sdk/client-s3';
import { SecurityHubClient } from '@aws-sdk/client-securityhub';
import { ServiceQuotasClient } from '@aws-sdk/client-service-quotas';
import { SNSClient } from '@aws-sdk/client-sns';
import { AssumeRoleCommand, GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { SdkStacks } from '../adapters/aws/cloudformation.ts';
import { DynamoDbLedger } from '../adapters/aws/dynamodb-ledger.ts';
import { SdkEc2 } from '../adapters/aws/ec2.ts';
import { SdkOrganization } from '../adapters/aws/organizations.ts';
import { S3Store } from '../adapters/aws/s3-store.ts';
import { SecurityHubFindings } from '../adapters/aws/securityhub-findings.ts';
import { SdkServiceQuotas } from '../adapters/aws/service-quotas.ts';
import { SdkServices } from '../adapters/aws/services.ts';
import { SnsNotifier } from '../adapters/aws/sns-notifier.ts';
import { reportThrottledAttempts } from '../adapters/aws/throttle-feedback.ts';
import { systemClock } from '../adapters/clock.ts';
import { AwsFlowLogFinder } from '../adapters/flow-logs/finder.ts';
import { SdkLogsInsights } from '../adapters/flow-logs/insights.ts';
import type { FlowLogFinder } from '../adapters/flow-logs/sources.ts';
import { createLogger } from '../adapters/logger.ts';
import type { Ec2Port, Ec2Target, ServiceQuotasPort, ServicesPort, StacksPort } from '../ports.ts';
import { DEFAULT_SETTINGS, type Deps, type Settings } from '../steps/deps.ts';
import type { Step } from '../steps/index.ts';
import { pacer } from '../steps/pacing.ts';

function required(env: NodeJS.ProcessEnv, name: string): string {
  const value = env[name];
  if (!value) throw new Error(`Missing environment variable ${name}`);
  return value;
}

export function settingsFromEnv(env: NodeJS.ProcessEnv): Settings {
  const number = (name: string, fallback: number) => {
    const value = Number(env[name]);
    return Number.isFinite(value) && value > 0 ? value : fallback;
  };
  return {
    batchSize: number('BATCH_SIZE', DEFAULT_SETTINGS.batchSize),
    approvalTimeoutSeconds: number('APPROVAL_TIMEOUT_SECONDS', DEFAULT_SETTINGS.approvalTimeoutSeconds),
    runAllowanceSeconds: number('RUN_ALLOWANCE_SECONDS', DEFAULT_SETTINGS.runAllowanceSeconds),
    pacingShare: Math.min(1, number('PACING_SHARE', DEFAULT_SETTINGS.pacingShare)),
    linkExpiryDays: number('LINK_EXPIRY_DAYS', DEFAULT_SETTINGS.linkExpiryDays),
    // 0 is a value here (no digest), not a missing one.
    digestWindowSeconds:
      env.APPROVAL_DIGEST_SECONDS !== undefined && /^\d+$/.test(env.APPROVAL_DIGEST_SECONDS)
        ? Number(env.APPROVAL_DIGEST_SECONDS)
        : DEFAULT_SETTINGS.digestWindowSeconds,
    approvalMode: env.APPROVAL_MODE === 'when-in-use' ? 'when-in-use' : 'always',
    excludeTag: env.EXCLUDE_TAG || DEFAULT_SETTINGS.excludeTag,
    ...(env.LINK_BASE_URL ? { linkBaseUrl: env.LINK_BASE_URL } : {}),
  };
}

type Credentials = () => Promise<{
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
  expiration?: Date;
}>;

/**
 * Clients for a finding's account: this account directly, another through its member role (issue #3 deploys it).
 * `make` builds the port from the region and the credentials (undefined: the function's own).
 */
function accountFactory<Port extends object>(
  env: NodeJS.ProcessEnv,
  sts: STSClient,
  ownAccount: () => Promise<string | undefined>,
  make: (region: string, credentials: Credentials | undefined) => Port,
): (target: Ec2Target) => Port {
  const clients = new Map<string, Promise<Port>>();
  const connect = async (target: Ec2Target): Promise<Port> => {
    const roleName = env.MEMBER_ROLE_NAME;
    if ((await ownAccount()) === target.accountId || !roleName) return make(target.region, undefined);
    const credentials: Credentials = async () => {
      const assumed = await sts.send(
        new AssumeRoleCommand({
          RoleArn: `arn:aws:iam::${target.accountId}:role/${roleName}`,
          RoleSessionName: 'default-sg-remediation',
          ...(env.MEMBER_ROLE_EXTERNAL_ID ? { ExternalId: env.MEMBER_ROLE_EXTERNAL_ID } : {}),
        }),
      );
      const issued = assumed.Credentials;
      return {
        accessKeyId: issued?.AccessKeyId ?? '',
        secretAccessKey: issued?.SecretAccessKey ?? '',
        sessionToken: issued?.SessionToken,
        expiration: issued?.Expiration,
      };
    };
    return make(target.region, credentials);
  };
  return (target) => {
    const key = `${target.accountId}/${target.region}`;
    let client = clients.get(key);
    if (!client) {
      client = connect(target);
      clients.set(key, client);
    }
    const ready = client;
    // The port is synchronous to get; which credentials it uses is settled on its first call.
    return new Proxy({} as Port, {
      get:
        (_, method: string | symbol) =>
        async (input: never, ...rest: never[]) =>
          ((await ready)[method as keyof Port] as (...args: never[]) => unknown)(input, ...rest),
    });
  };
}

function ownAccountOf(sts: STSClient): () => Promise<string | undefined> {
  let account: Promise<string | undefined> | undefined;
  return () => {
    account ??= sts.send(new GetCallerIdentityCommand({})).then((identity) => identity.Account);
    return account;
  };
}

/**
 * EC2 for a finding's account (also used by the organization-wide command line runs); every attempt EC2 refuses for
 * its rate is reported to `throttled` (the pacer's, Pace.throttled).
 */
export function ec2Factory(
  env: NodeJS.ProcessEnv,
  sts: STSClient = new STSClient({}),
  ownAccount: () => Promise<string | undefined> = ownAccountOf(sts),
  throttled?: (action: string) => void,
) {
  return accountFactory<Ec2Port>(
    env,
    sts,
    ownAccount,
    (region, credentials) =>
      new SdkEc2(
        reportThrottledAttempts(new EC2Client({ region, ...(credentials ? { credentials } : {}) }), throttled),
      ),
  );
}

/** The owner services (handlers/core/owners/) for a finding's account: each its own client. */
export function servicesFactory(
  env: NodeJS.ProcessEnv,
  sts: STSClient = new STSClient({}),
  ownAccount: () => Promise<string | undefined> = ownAccountOf(sts),
) {
  return accountFactory<ServicesPort>(
    env,
    sts,
    ownAccount,
    (region, credentials) => new SdkServices({ region, ...(credentials ? { credentials } : {}) }),
  );
}

/** Service Quotas for a finding's account (the account's VPC quotas). */
export function serviceQuotasFactory(
  env: NodeJS.ProcessEnv,
  sts: STSClient = new STSClient({}),
  ownAccount: () => Promise<string | undefined> = ownAccountOf(sts),
) {
  return accountFactory<ServiceQuotasPort>(
    env,
    sts,
    ownAccount,
    (region, credentials) =>
      new SdkServiceQuotas(new ServiceQuotasClient({ region, ...(credentials ? { credentials } : {}) })),
  );
}

/** CloudFormation for a finding's account (the stacks the plan names, read by the re-check). */
export function stacksFactory(
  env: NodeJS.ProcessEnv,
  sts: STSClient = new STSClient({}),
  ownAccount: () => Promise<string | undefined> = ownAccountOf(sts),
) {
  return accountFactory<StacksPort>(
    env,
    sts,
    ownAccount,
    (region, credentials) =>
      new SdkStacks(new CloudFormationClient({ region, ...(credentials ? { credentials } : {}) })),
  );
}

/**
 * The flow logs of a finding's account (the tighten workflow's propose step): its EC2 (DescribeFlowLogs), S3 and
 * CloudWatch Logs, all with the same credentials (the step's member role in another account). A flow log's bucket may
 * be in another Region than the VPC: the S3 client follows S3's region redirects (`followRegionRedirects`).
 */
export function flowLogsFactory(
  env: NodeJS.ProcessEnv,
  sts: STSClient = new STSClient({}),
  ownAccount: () => Promise<string | undefined> = ownAccountOf(sts),
) {
  return accountFactory<FlowLogFinder>(env, sts, ownAccount, (region, credentials) => {
    const config = { region, ...(credentials ? { credentials } : {}) };
    return new AwsFlowLogFinder(
      new SdkEc2(new EC2Client(config)),
      new S3Client({ ...config, followRegionRedirects: true }),
      new SdkLogsInsights(new CloudWatchLogsClient(config)),
    );
  });
}

export function depsFromEnv(env: NodeJS.ProcessEnv = process.env, step = 'step'): Deps {
  const sts = new STSClient({});
  const ownAccount = ownAccountOf(sts);
  const settings = settingsFromEnv(env);
  // Per container: a warm container keeps its pace (and what it learnt of the account's load) across invocations.
  const pace = pacer(systemClock);
  return {
    ec2: ec2Factory(env, sts, ownAccount, pace.throttled),
    services: servicesFactory(env, sts, ownAccount),
    serviceQuotas: serviceQuotasFactory(env, sts, ownAccount),
    stacks: stacksFactory(env, sts, ownAccount),
    flowLogs: flowLogsFactory(env, sts, ownAccount),
    // Organizations is a global service answered from us-east-1 (aws partition); the SDK resolves its endpoint.
    organization: () => new SdkOrganization(new OrganizationsClient({})),
    store: new S3Store(new S3Client({}), required(env, 'SNAPSHOT_BUCKET')),
    ledger: new DynamoDbLedger(new DynamoDBClient({}), required(env, 'LEDGER_TABLE')),
    notifier: new SnsNotifier(new SNSClient({}), required(env, 'TOPIC_ARN')),
    findings: new SecurityHubFindings(new SecurityHubClient({})),
    log: createLogger({ service: 'default-sg-remediation', step }),
    settings,
    now: () => new Date(),
    clock: systemClock,
    randomId: () => randomBytes(18).toString('base64url'),
    pace,
  };
}

/** A Lambda handler for one step; dependencies are built on the first call and reused by the container. */
export function lambdaHandler(step: Step, name: string) {
  let deps: Deps | undefined;
  return async (event: unknown) => {
    deps ??= depsFromEnv(process.env, name);
    try {
      return await step(event, deps);
    } catch (error) {
      deps.log.error('step failed', { error: (error as Error).name, message: (error as Error).message });
      throw error;
    }
  };
}
