/**
 * Lines of a flow log from a byte stream, plain or gzip (the service writes `.log.gz` objects to S3; people often
 * keep them as they are): the first two bytes decide (1f 8b is gzip, RFC 1952). Streams end to end, so a log of
 * any size is read in constant memory.
 */
import { open } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import type { FlowLogLayout } from '../../core/flow-logs/format.ts';
import type { FlowLogPiece, FlowLogSource } from './sources.ts';

/** The first chunk of a stream, put back (`unshift`) so that reading starts from the beginning; null when empty. */
function peek(stream: Readable): Promise<Buffer | null> {
  return new Promise((resolve, reject) => {
    const done = (chunk: Buffer | null) => {
      stream.off('readable', onReadable);
      stream.off('error', reject);
      stream.off('end', onEnd);
      resolve(chunk);
    };
    const onReadable = () => {
      const chunk = stream.read() as Buffer | null;
      if (chunk !== null) stream.unshift(chunk);
      done(chunk);
    };
    const onEnd = () => done(null);
    stream.on('readable', onReadable);
    stream.once('error', reject);
    stream.once('end', onEnd);
  });
}

/** The lines of a byte stream, gunzipped when it starts with the gzip magic bytes. */
export async function* linesOf(bytes: Readable): AsyncGenerator<string> {
  const head = await peek(bytes);
  if (head === null) return;
  const gzip = head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b;
  let text: Readable = bytes;
  if (gzip) {
    const gunzip = createGunzip();
    bytes.on('error', (error) => gunzip.destroy(error));
    text = bytes.pipe(gunzip);
  }
  yield* createInterface({ input: text, crlfDelay: Number.POSITIVE_INFINITY });
}

/** The lines of a local file, plain or gzip. */
export async function* fileLines(path: string): AsyncGenerator<string> {
  const handle = await open(path, 'r');
  try {
    yield* linesOf(handle.createReadStream({ autoClose: false }));
  } finally {
    await handle.close();
  }
}

/** Local files (plain or gzip, with or without the S3 header line), read in the order given. */
export class FileFlowLogSource implements FlowLogSource {
  readonly label: string;

  constructor(
    private readonly paths: readonly string[],
    private readonly layout?: FlowLogLayout,
  ) {
    this.label = paths.join(', ');
  }

  async *pieces(): AsyncGenerator<FlowLogPiece> {
    for (const path of this.paths) yield { lines: fileLines(path), ...(this.layout ? { layout: this.layout } : {}) };
  }
}
