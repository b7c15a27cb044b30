import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DirectoryStore, validateObjectKey } from '../../../handlers/adapters/local/directory-store.ts';

let dir: string;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'directory-store-'));
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('DirectoryStore', () => {
  it('writes under the directory, creating folders, and reads back', async () => {
    const store = new DirectoryStore(join(dir, 'store'));
    await store.put('remediations/r-1/snapshot.json', '{"v":1}');
    expect(await readFile(join(dir, 'store', 'remediations', 'r-1', 'snapshot.json'), 'utf8')).toBe('{"v":1}');
    await expect(store.get('remediations/r-1/snapshot.json')).resolves.toBe('{"v":1}');
  });

  it('overwrites without ifAbsent and leaves no temporary files', async () => {
    const store = new DirectoryStore(dir);
    await store.put('a/k.json', 'one');
    await store.put('a/k.json', 'two');
    await expect(store.get('a/k.json')).resolves.toBe('two');
    expect(await readdir(join(dir, 'a'))).toEqual(['k.json']);
  });

  it('returns undefined for a missing key (and for a key below a file)', async () => {
    const store = new DirectoryStore(dir);
    await expect(store.get('nothing.json')).resolves.toBeUndefined();
    await store.put('file', 'x');
    await expect(store.get('file/below')).resolves.toBeUndefined();
  });

  it('with ifAbsent, writes once and then fails with PreconditionFailed, keeping the first body', async () => {
    const store = new DirectoryStore(dir);
    await store.put('r-1/plan.json', 'first', { ifAbsent: true });
    await expect(store.put('r-1/plan.json', 'second', { ifAbsent: true })).rejects.toMatchObject({
      name: 'PreconditionFailed',
    });
    await expect(store.get('r-1/plan.json')).resolves.toBe('first');
    expect(await readdir(join(dir, 'r-1'))).toEqual(['plan.json']);
  });

  it('with ifAbsent, only one of several concurrent writers wins', async () => {
    const store = new DirectoryStore(dir);
    const results = await Promise.allSettled(
      Array.from({ length: 8 }, (_, index) => store.put('race.json', `writer ${index}`, { ifAbsent: true })),
    );
    expect(results.filter((result) => result.status === 'fulfilled')).toHaveLength(1);
    const rejected = results.filter((result) => result.status === 'rejected');
    expect(rejected).toHaveLength(7);
    for (const result of rejected) expect((result.reason as Error).name).toBe('PreconditionFailed');
  });

  it('refuses path traversal, absolute paths and odd characters, for put and get', async () => {
    const store = new DirectoryStore(join(dir, 'store'));
    await writeFile(join(dir, 'outside.txt'), 'secret');
    for (const key of [
      '../outside.txt',
      'a/../../outside.txt',
      '/etc/passwd',
      'a//b',
      './a',
      'a/./b',
      'a\\b',
      'a b',
      '',
    ]) {
      await expect(store.put(key, 'x'), key).rejects.toMatchObject({ name: 'InvalidObjectKey' });
      await expect(store.get(key), key).rejects.toMatchObject({ name: 'InvalidObjectKey' });
    }
    expect(await readFile(join(dir, 'outside.txt'), 'utf8')).toBe('secret');
  });

  it('accepts ordinary keys', () => {
    for (const key of ['a', 'r-1/snapshot.json', 'A_b.c/d-e/f..g', '.hidden'])
      expect(() => validateObjectKey(key)).not.toThrow();
  });
});
