/**
 * Flow logs published to S3: objects under `[prefix/]AWSLogs/<account>/vpcflowlogs/<region>/yyyy/mm/dd/[HH/]`, named
 * `<account>_vpcflowlogs_<region>_<flow-log-id>_<yyyymmddTHHmmZ>_<hash>.log.gz`, each starting with a header line
 * naming its fields (https://docs.aws.amazon.com/vpc/latest/userguide/flow-logs-s3-path.html). Lists one day prefix
 * at a time (per-hour partitions sit under the day) and streams each object through gunzip: never more than one
 * object's chunk in memory. With Hive-compatible prefixes (DestinationOptions.HiveCompatiblePartitions) the day is
 * `[prefix/]AWSLogs/aws-account-id=<account>/aws-service=vpcflowlogs/aws-region=<region>/year=yyyy/month=mm/day=dd/`
 * (`hour=HH/` under it), as the same page gives it. Parquet objects (`.log.parquet`) are not read: the finder says so.
 */

import { Readable } from 'node:stream';
import { GetObjectCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { linesOf } from './lines.ts';
import type { FlowLogPiece, FlowLogSource } from './sources.ts';

const DAY = 86400;

export interface S3FlowLogLocation {
  bucket: string;
  /** The flow log's destination folder inside the bucket, if any (without `AWSLogs/`). */
  prefix?: string;
  accountId: string;
  region: string;
  /** Only objects of this flow log (`fl-…`), when several logs write to the same place. */
  flowLogId?: string;
  /** Hive-compatible prefixes (`aws-account-id=…/aws-service=vpcflowlogs/…`). */
  hive?: boolean;
}

/** The day prefixes a window touches, oldest first. */
export function dayPrefixes(location: S3FlowLogLocation, window: { start: number; end: number }): string[] {
  const folder = location.prefix ? `${location.prefix.replace(/\/+$/, '')}/` : '';
  const base = location.hive
    ? `${folder}AWSLogs/aws-account-id=${location.accountId}/aws-service=vpcflowlogs/aws-region=${location.region}/`
    : `${folder}AWSLogs/${location.accountId}/vpcflowlogs/${location.region}/`;
  const prefixes: string[] = [];
  for (let day = Math.floor(window.start / DAY) * DAY; day <= window.end; day += DAY) {
    const date = new Date(day * 1000);
    const yyyy = date.getUTCFullYear();
    const mm = String(date.getUTCMonth() + 1).padStart(2, '0');
    const dd = String(date.getUTCDate()).padStart(2, '0');
    prefixes.push(location.hive ? `${base}year=${yyyy}/month=${mm}/day=${dd}/` : `${base}${yyyy}/${mm}/${dd}/`);
  }
  return prefixes;
}

export class S3FlowLogSource implements FlowLogSource {
  readonly label: string;

  constructor(
    private readonly client: S3Client,
    private readonly location: S3FlowLogLocation,
  ) {
    this.label = `s3://${location.bucket}/${location.prefix ?? ''}`;
  }

  async *pieces(window: { start: number; end: number }): AsyncGenerator<FlowLogPiece> {
    for (const prefix of dayPrefixes(this.location, window)) {
      let token: string | undefined;
      do {
        const page = await this.client.send(
          new ListObjectsV2Command({ Bucket: this.location.bucket, Prefix: prefix, ContinuationToken: token }),
        );
        for (const object of page.Contents ?? []) {
          const key = object.Key;
          if (!key?.endsWith('.log.gz')) continue;
          if (this.location.flowLogId && !key.includes(`_${this.location.flowLogId}_`)) continue;
          const answer = await this.client.send(new GetObjectCommand({ Bucket: this.location.bucket, Key: key }));
          if (!(answer.Body instanceof Readable))
            throw new Error(`s3://${this.location.bucket}/${key}: no body stream`);
          yield { lines: linesOf(answer.Body) };
        }
        token = page.IsTruncated ? page.NextContinuationToken : undefined;
      } while (token);
    }
  }
}
