import { GetObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { PreconditionFailedError } from '../../core/errors.ts';
import type { ObjectStore } from '../../ports.ts';
import { explainingSend } from './sdk-errors.ts';

function errorName(error: unknown): string | undefined {
  return typeof error === 'object' && error !== null ? (error as { name?: string }).name : undefined;
}

function httpStatus(error: unknown): number | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  return (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
}

/** By the key's extension: the audit's reports are downloaded and opened as what they are. */
function contentTypeOf(key: string): string {
  if (key.endsWith('.json')) return 'application/json';
  if (key.endsWith('.csv')) return 'text/csv; charset=utf-8';
  if (key.endsWith('.html')) return 'text/html; charset=utf-8';
  return 'text/plain; charset=utf-8';
}

/**
 * An {@link ObjectStore} over an S3 bucket. Objects are encrypted as the bucket's default encryption says (no
 * per-object SSE headers). `ifAbsent` is an S3 conditional write (`If-None-Match: *`). Keys are prefixed with
 * `prefix` (a trailing `/` is added when missing).
 *
 * `get` answers undefined on `NoSuchKey`; note that without `s3:ListBucket` S3 answers a missing key with
 * 403 AccessDenied, which is thrown as is.
 */
export class S3Store implements ObjectStore {
  private readonly prefix: string;

  private readonly send: S3Client['send'];

  constructor(
    client: S3Client,
    readonly bucket: string,
    prefix = '',
  ) {
    this.send = explainingSend(client, 'XML');
    this.prefix = prefix === '' || prefix.endsWith('/') ? prefix : `${prefix}/`;
  }

  async put(key: string, body: string, options: { ifAbsent?: boolean } = {}): Promise<void> {
    try {
      await this.send(
        new PutObjectCommand({
          Bucket: this.bucket,
          Key: this.keyOf(key),
          Body: body,
          ContentType: contentTypeOf(key),
          ...(options.ifAbsent ? { IfNoneMatch: '*' } : {}),
        }),
      );
    } catch (error) {
      if (options.ifAbsent && (errorName(error) === 'PreconditionFailed' || httpStatus(error) === 412)) {
        throw new PreconditionFailedError(key, { cause: error });
      }
      throw error;
    }
  }

  async get(key: string): Promise<string | undefined> {
    try {
      const output = await this.send(new GetObjectCommand({ Bucket: this.bucket, Key: this.keyOf(key) }));
      if (output.Body === undefined) return '';
      return await output.Body.transformToString('utf-8');
    } catch (error) {
      if (errorName(error) === 'NoSuchKey') return undefined;
      throw error;
    }
  }

  private keyOf(key: string): string {
    if (key === '') throw new Error('object key must not be empty');
    return `${this.prefix}${key}`;
  }
}
