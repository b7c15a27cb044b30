import {
  GetObjectCommand,
  type GetObjectCommandOutput,
  NoSuchKey,
  PutObjectCommand,
  S3Client,
  S3ServiceException,
} from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { S3Store } from '../../../handlers/adapters/aws/s3-store.ts';

const s3 = mockClient(S3Client);
const client = new S3Client({ region: 'us-east-1' });

function body(text: string): GetObjectCommandOutput['Body'] {
  return { transformToString: async () => text } as unknown as GetObjectCommandOutput['Body'];
}

function preconditionFailed(): S3ServiceException {
  return new S3ServiceException({
    name: 'PreconditionFailed',
    $fault: 'client',
    $metadata: { httpStatusCode: 412 },
    message: 'At least one of the pre-conditions you specified did not hold',
  });
}

beforeEach(() => {
  s3.reset();
});

describe('S3Store.put', () => {
  it('writes the body under the prefix, without SSE headers and without a condition by default', async () => {
    s3.on(PutObjectCommand).resolves({});
    await new S3Store(client, 'snapshots-bucket', 'snapshots').put('r-1/snapshot.json', '{"a":1}');
    const calls = s3.commandCalls(PutObjectCommand);
    expect(calls).toHaveLength(1);
    expect(calls[0]?.args[0].input).toEqual({
      Bucket: 'snapshots-bucket',
      Key: 'snapshots/r-1/snapshot.json',
      Body: '{"a":1}',
      ContentType: 'application/json',
    });
  });

  it('does not double the slash of a prefix that has one, and uses no prefix when none is given', async () => {
    s3.on(PutObjectCommand).resolves({});
    await new S3Store(client, 'b', 'p/').put('k.txt', 'x');
    await new S3Store(client, 'b').put('k.txt', 'x');
    expect(s3.commandCalls(PutObjectCommand).map((call) => call.args[0].input.Key)).toEqual(['p/k.txt', 'k.txt']);
    expect(s3.commandCalls(PutObjectCommand)[0]?.args[0].input.ContentType).toBe('text/plain; charset=utf-8');
  });

  it('sends IfNoneMatch: * for ifAbsent', async () => {
    s3.on(PutObjectCommand).resolves({});
    await new S3Store(client, 'b').put('k.json', '{}', { ifAbsent: true });
    expect(s3.commandCalls(PutObjectCommand)[0]?.args[0].input.IfNoneMatch).toBe('*');
  });

  it('maps S3 412 PreconditionFailed to an error named PreconditionFailed that keeps the cause', async () => {
    const original = preconditionFailed();
    s3.on(PutObjectCommand).rejects(original);
    const error = await new S3Store(client, 'b').put('k.json', '{}', { ifAbsent: true }).then(
      () => undefined,
      (caught: unknown) => caught,
    );
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).name).toBe('PreconditionFailed');
    expect((error as Error).message).toContain('k.json');
    expect((error as Error).cause).toBe(original);
  });

  it('maps a bare 412 status too', async () => {
    s3.on(PutObjectCommand).rejects(
      new S3ServiceException({ name: 'Unknown', $fault: 'client', $metadata: { httpStatusCode: 412 }, message: '' }),
    );
    await expect(new S3Store(client, 'b').put('k', 'x', { ifAbsent: true })).rejects.toMatchObject({
      name: 'PreconditionFailed',
    });
  });

  it('passes other errors through unchanged', async () => {
    const denied = new S3ServiceException({
      name: 'AccessDenied',
      $fault: 'client',
      $metadata: { httpStatusCode: 403 },
      message: 'Access Denied',
    });
    s3.on(PutObjectCommand).rejects(denied);
    await expect(new S3Store(client, 'b').put('k', 'x', { ifAbsent: true })).rejects.toBe(denied);
  });

  it('refuses an empty key without calling S3', async () => {
    await expect(new S3Store(client, 'b').put('', 'x')).rejects.toThrow(/empty/);
    expect(s3.commandCalls(PutObjectCommand)).toHaveLength(0);
  });
});

describe('S3Store.get', () => {
  it('returns the body as a string', async () => {
    s3.on(GetObjectCommand, { Bucket: 'b', Key: 'pre/k.json' }).resolves({ Body: body('{"v":2}') });
    await expect(new S3Store(client, 'b', 'pre').get('k.json')).resolves.toBe('{"v":2}');
  });

  it('returns undefined on NoSuchKey', async () => {
    s3.on(GetObjectCommand).rejects(new NoSuchKey({ message: 'The specified key does not exist.', $metadata: {} }));
    await expect(new S3Store(client, 'b').get('missing.json')).resolves.toBeUndefined();
  });

  it('throws other errors', async () => {
    s3.on(GetObjectCommand).rejects(
      new S3ServiceException({ name: 'AccessDenied', $fault: 'client', $metadata: {}, message: 'Access Denied' }),
    );
    await expect(new S3Store(client, 'b').get('k')).rejects.toMatchObject({ name: 'AccessDenied' });
  });
});
