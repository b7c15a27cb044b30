/**
 * SDK errors a person can act on (issue 10 point 11): the message names the operation and the HTTP status, the name
 * stays the service's error code (what Retry and Catch match; an owner service's "busy" codes become the generic
 * `ResourceBusy`, issue 11), and an answer the SDK could not read is named for what it is — never the bare `Error` /
 * `Unknown` the SDK gives it.
 */
import { Readable } from 'node:stream';
import {
  AuthorizeSecurityGroupIngressCommand,
  CreateTagsCommand,
  DeleteTagsCommand,
  DescribeSecurityGroupReferencesCommand,
  EC2Client,
  EC2ServiceException,
} from '@aws-sdk/client-ec2';
import { LambdaClient, ResourceConflictException, UpdateFunctionConfigurationCommand } from '@aws-sdk/client-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { loadDefinition } from '../../../cli/runner.ts';
import { SdkEc2 } from '../../../handlers/adapters/aws/ec2.ts';
import { SdkServices } from '../../../handlers/adapters/aws/services.ts';
import { errorCode } from '../../../handlers/core/errors.ts';

const GROUP = 'sg-07d2e3f4a5b6c7d8e';
const credentials = { accessKeyId: 'x', secretAccessKey: 'y' };

/** An EC2 client whose every request gets this HTTP answer, read by the real SDK deserializer (no retries). */
function answering(statusCode: number, body: string, contentType: string): EC2Client {
  return new EC2Client({
    region: 'us-east-1',
    credentials,
    maxAttempts: 1,
    requestHandler: {
      handle: async () => ({
        response: { statusCode, headers: { 'content-type': contentType }, body: Readable.from([Buffer.from(body)]) },
      }),
    } as never,
  });
}

async function rejection(promise: Promise<unknown>): Promise<Error & { $metadata?: { httpStatusCode?: number } }> {
  return promise.then(
    () => {
      throw new Error('expected a rejection');
    },
    (reason: Error) => reason,
  );
}

describe('answers the SDK could not read', () => {
  it('HTTP 500 with an HTML page: "DescribeSecurityGroupReferences failed: HTTP 500, response was not XML", retried', async () => {
    const ec2 = new SdkEc2(answering(500, '<html><body>Bad gateway</body></html>', 'text/html'));
    const error = await rejection(ec2.describeSecurityGroupReferences({ GroupId: [GROUP] }));
    expect(error.message).toBe('DescribeSecurityGroupReferences failed: HTTP 500, response was not XML');
    expect(error.name).toBe('InternalFailure');
    expect(error.$metadata?.httpStatusCode).toBe(500);
    // The Discover Task retries it like EC2's own server errors.
    const discover = loadDefinition('remediate').States['Discover what uses the default group'];
    expect(discover?.Retry?.flatMap((retrier) => retrier.ErrorEquals)).toContain('InternalFailure');
  });

  it('HTTP 403 with an empty body: UnreadableResponse (not retried), naming the operation and the status', async () => {
    const ec2 = new SdkEc2(answering(403, '', 'text/plain'));
    const error = await rejection(ec2.describeSecurityGroupReferences({ GroupId: [GROUP] }));
    expect(error.name).toBe('UnreadableResponse');
    expect(error.message).toBe('DescribeSecurityGroupReferences failed: HTTP 403, response was not XML');
  });

  it('an EC2 error answer keeps its code as the name, the message gains the operation and the status', async () => {
    const body =
      '<?xml version="1.0" encoding="UTF-8"?><Response><Errors><Error><Code>InvalidGroup.NotFound</Code><Message>The security group \'sg-1\' does not exist</Message></Error></Errors><RequestID>r-1</RequestID></Response>';
    const ec2 = new SdkEc2(answering(400, body, 'text/xml'));
    const error = await rejection(ec2.describeSecurityGroupReferences({ GroupId: [GROUP] }));
    expect(error.name).toBe('InvalidGroup.NotFound');
    expect(errorCode(error)).toBe('InvalidGroup.NotFound');
    expect(error.message).toBe(
      "DescribeSecurityGroupReferences failed: HTTP 400 InvalidGroup.NotFound: The security group 'sg-1' does not exist",
    );
  });
});

describe('errors through the mocked clients', () => {
  // Made here, not at collection: they stub every client of their class, the wire tests' included.
  const mocks = () => ({ ec2: mockClient(EC2Client), lambda: mockClient(LambdaClient) });
  let mocked: ReturnType<typeof mocks>;
  beforeAll(() => {
    mocked = mocks();
  });
  beforeEach(() => {
    mocked.ec2.reset();
    mocked.lambda.reset();
  });
  afterAll(() => {
    mocked.ec2.restore();
    mocked.lambda.restore();
  });

  it('EC2: the same error object, its code as name, operation and status in the message', async () => {
    const error = new EC2ServiceException({
      name: 'InvalidPermission.Duplicate',
      $fault: 'client',
      $metadata: { httpStatusCode: 400 },
      message: 'the specified rule "peer: 10.0.0.0/8, TCP, from port: 443, to port: 443, ALLOW" already exists',
    });
    mocked.ec2.on(AuthorizeSecurityGroupIngressCommand).rejects(error);
    const adapter = new SdkEc2(new EC2Client({ region: 'us-east-1', credentials }));
    const caught = await rejection(
      adapter.authorizeSecurityGroupIngress({
        GroupId: GROUP,
        IpPermissions: [{ IpProtocol: 'tcp', FromPort: 443, ToPort: 443, IpRanges: [{ CidrIp: '10.0.0.0/8' }] }],
      }),
    );
    expect(caught).toBe(error);
    expect(caught.name).toBe('InvalidPermission.Duplicate');
    expect(caught.message).toMatch(
      /^AuthorizeSecurityGroupIngress failed: HTTP 400 InvalidPermission\.Duplicate: the specified rule/,
    );
  });

  it('EC2 tags: a CreateTags refusal names the operation, the status and the code (TagLimitExceeded)', async () => {
    mocked.ec2.on(CreateTagsCommand).rejects(
      new EC2ServiceException({
        name: 'TagLimitExceeded',
        $fault: 'client',
        $metadata: { httpStatusCode: 400 },
        message: 'The maximum number of tags has been reached.',
      }),
    );
    mocked.ec2
      .on(DeleteTagsCommand)
      .rejects(Object.assign(new Error('socket hang up'), { name: 'Error', code: 'ECONNRESET' }));
    const adapter = new SdkEc2(new EC2Client({ region: 'us-east-1', credentials }));
    const tags = [{ Key: 'Name', Value: 'DO NOT USE. DO NOT ADD RULES' }];
    const created = await rejection(adapter.createTags({ Resources: [GROUP], Tags: tags }));
    expect(created.name).toBe('TagLimitExceeded');
    expect(created.message).toBe(
      'CreateTags failed: HTTP 400 TagLimitExceeded: The maximum number of tags has been reached.',
    );
    const deleted = await rejection(adapter.deleteTags({ Resources: [GROUP], Tags: tags }));
    expect(deleted.name).toBe('ECONNRESET');
    expect(deleted.message).toBe('DeleteTags failed with no answer from the service: socket hang up');
  });

  it('a service mover (Lambda): ResourceConflictException is ResourceBusy (what the batch Task retries), its code and the call in the message', async () => {
    mocked.lambda.onAnyCommand().resolves({ VpcConfig: { SecurityGroupIds: [GROUP], SubnetIds: [] }, State: 'Active' });
    mocked.lambda.on(UpdateFunctionConfigurationCommand).rejects(
      new ResourceConflictException({
        message: 'The operation cannot be performed at this time.',
        $metadata: { httpStatusCode: 409 },
      }),
    );
    const services = new SdkServices({ region: 'us-east-1', credentials });
    const caught = await rejection(services.setGroups({ kind: 'lambda-function', id: 'fn' }, [GROUP]));
    expect(caught.name).toBe('ResourceBusy');
    expect(caught.message).toBe(
      'UpdateFunctionConfiguration failed: HTTP 409 ResourceConflictException: The operation cannot be performed at this time.',
    );
  });

  it('no answer at all (a network error): named by its code, said so', async () => {
    mocked.ec2
      .on(DescribeSecurityGroupReferencesCommand)
      .rejects(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:4566'), { code: 'ECONNREFUSED' }));
    const adapter = new SdkEc2(new EC2Client({ region: 'us-east-1', credentials }));
    const caught = await rejection(adapter.describeSecurityGroupReferences({ GroupId: [GROUP] }));
    expect(caught.name).toBe('ECONNREFUSED');
    expect(caught.message).toBe(
      'DescribeSecurityGroupReferences failed with no answer from the service: connect ECONNREFUSED 127.0.0.1:4566',
    );
  });
});
