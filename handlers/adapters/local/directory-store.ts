import { randomUUID } from 'node:crypto';
import { link, mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, join, resolve, sep } from 'node:path';
import { PreconditionFailedError } from '../../core/errors.ts';
import type { ObjectStore } from '../../ports.ts';

/** A key that is not a plain relative path made of `[A-Za-z0-9._/-]`. */
export class InvalidObjectKeyError extends Error {
  constructor(
    readonly key: string,
    reason: string,
  ) {
    super(`invalid object key ${JSON.stringify(key)}: ${reason}`);
    this.name = 'InvalidObjectKey';
  }
}

const KEY_CHARACTERS = /^[A-Za-z0-9._/-]+$/;
const MAX_KEY_LENGTH = 1024;

/** Throws {@link InvalidObjectKeyError} unless `key` is a relative path of plain segments (no `.`, `..`, `//`). */
export function validateObjectKey(key: string): void {
  if (key.length === 0) throw new InvalidObjectKeyError(key, 'empty');
  if (key.length > MAX_KEY_LENGTH) throw new InvalidObjectKeyError(key, `longer than ${MAX_KEY_LENGTH} characters`);
  if (!KEY_CHARACTERS.test(key)) throw new InvalidObjectKeyError(key, 'only A-Z a-z 0-9 . _ / - are allowed');
  if (key.startsWith('/')) throw new InvalidObjectKeyError(key, 'absolute paths are not allowed');
  for (const segment of key.split('/')) {
    if (segment === '') throw new InvalidObjectKeyError(key, 'empty path segment');
    if (segment === '.' || segment === '..') {
      throw new InvalidObjectKeyError(key, `"${segment}" segments are not allowed`);
    }
  }
}

function hasCode(error: unknown, code: string): boolean {
  return typeof error === 'object' && error !== null && (error as { code?: unknown }).code === code;
}

/**
 * An {@link ObjectStore} over a local directory: key `a/b.json` is the file `<dir>/a/b.json` (folders created as
 * needed). Writes are atomic (a temporary file in the same folder, then rename), so a reader sees the old body or the
 * new one, never a partial one. `ifAbsent` publishes the temporary file with `link`, which fails when the target
 * exists (the same exclusive-create semantics as `open(..., 'wx')`, without ever exposing a half-written file).
 */
export class DirectoryStore implements ObjectStore {
  readonly root: string;

  constructor(dir: string) {
    this.root = resolve(dir);
  }

  async put(key: string, body: string, options: { ifAbsent?: boolean } = {}): Promise<void> {
    const target = this.pathOf(key);
    const folder = dirname(target);
    await mkdir(folder, { recursive: true });
    const temporary = join(folder, `.${basename(target)}.${randomUUID()}.tmp`);
    await writeFile(temporary, body, { encoding: 'utf8', flag: 'wx' });
    try {
      if (options.ifAbsent) {
        try {
          await link(temporary, target);
        } catch (error) {
          if (hasCode(error, 'EEXIST')) throw new PreconditionFailedError(key, { cause: error });
          throw error;
        }
      } else {
        await rename(temporary, target);
      }
    } finally {
      await rm(temporary, { force: true });
    }
  }

  async get(key: string): Promise<string | undefined> {
    const target = this.pathOf(key);
    try {
      return await readFile(target, 'utf8');
    } catch (error) {
      if (hasCode(error, 'ENOENT') || hasCode(error, 'ENOTDIR')) return undefined;
      throw error;
    }
  }

  private pathOf(key: string): string {
    validateObjectKey(key);
    const target = resolve(this.root, key);
    // Belt and braces: the validation above already keeps keys inside the root.
    const prefix = this.root.endsWith(sep) ? this.root : this.root + sep;
    if (!target.startsWith(prefix)) throw new InvalidObjectKeyError(key, 'outside the store');
    return target;
  }
}
