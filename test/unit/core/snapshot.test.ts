import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Ec2State } from '../../../handlers/core/ec2-shapes.ts';
import { InvalidInputError } from '../../../handlers/core/errors.ts';
import { type Inventory, planRemediation } from '../../../handlers/core/plan.ts';
import { referencesGroup, rulesOf } from '../../../handlers/core/rules.ts';
import {
  canonicalJson,
  openSnapshot,
  planKey,
  SNAPSHOT_VERSION,
  sealSnapshot,
  snapshotKey,
} from '../../../handlers/core/snapshot.ts';

const D = 'sg-07d2e3f4a5b6c7d8e';
const ID = 'rem-2024-0001';

function sampleInventory(): Inventory {
  const state = JSON.parse(
    readFileSync(new URL('../../../../shared/examples/web-app.state.json', import.meta.url), 'utf8'),
  ) as Ec2State;
  const defaultGroup = state.SecurityGroups.find((g) => g.GroupId === D);
  if (!defaultGroup) throw new Error('sample changed');
  return {
    accountId: '111122223333',
    region: 'us-east-1',
    vpcId: defaultGroup.VpcId ?? '',
    defaultGroup,
    members: state.NetworkInterfaces.filter((eni) => eni.Groups?.some((g) => g.GroupId === D)),
    referencingGroups: state.SecurityGroups.filter(
      (g) => g.GroupId !== D && rulesOf(g).some((rule) => referencesGroup(rule, D)),
    ),
    memberGroups: [],
    unreachableReferences: [],
  };
}

function sealed(remediationId = ID) {
  const inventory = sampleInventory();
  return sealSnapshot({
    remediationId,
    createdAt: '2024-05-01T12:00:00.000Z',
    inventory,
    plan: planRemediation(inventory, { remediationId }),
  });
}

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** Every path to a leaf (or empty container) of a JSON value. */
function leafPaths(value: Json, path: (string | number)[] = []): (string | number)[][] {
  if (Array.isArray(value)) {
    return value.length === 0 ? [path] : value.flatMap((item, index) => leafPaths(item, [...path, index]));
  }
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value);
    return entries.length === 0 ? [path] : entries.flatMap(([key, item]) => leafPaths(item, [...path, key]));
  }
  return [path];
}

function changeAt(root: Json, path: (string | number)[]): Json {
  const copy = structuredClone(root);
  let parent = copy as Record<string | number, Json>;
  for (const step of path.slice(0, -1)) parent = parent[step] as Record<string | number, Json>;
  const last = path[path.length - 1] as string | number;
  const leaf = parent[last];
  if (typeof leaf === 'string') parent[last] = `${leaf}x`;
  else if (typeof leaf === 'number') parent[last] = leaf + 1;
  else if (typeof leaf === 'boolean') parent[last] = !leaf;
  else if (Array.isArray(leaf)) parent[last] = [0];
  else if (leaf === null) parent[last] = 0;
  else parent[last] = { added: true };
  return copy;
}

function refusal(fn: () => unknown): InvalidInputError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidInputError);
    return error as InvalidInputError;
  }
  throw new Error('expected a refusal');
}

describe('sealSnapshot / openSnapshot', () => {
  it('round trips through JSON', () => {
    const snapshot = sealed();
    expect(snapshot.version).toBe(SNAPSHOT_VERSION);
    expect(snapshot.checksum).toMatch(/^[0-9a-f]{64}$/);
    const opened = openSnapshot(JSON.stringify(snapshot), { remediationId: ID, groupId: D });
    expect(opened).toStrictEqual(snapshot);
  });

  it('opens without a group to check', () => {
    expect(openSnapshot(JSON.stringify(sealed()), { remediationId: ID }).plan.defaultGroupId).toBe(D);
  });

  it('opens a copy whose keys were written in another order or indentation', () => {
    const snapshot = sealed() as unknown as Json;
    const reorder = (value: Json): Json =>
      Array.isArray(value)
        ? value.map(reorder)
        : value !== null && typeof value === 'object'
          ? Object.fromEntries(
              Object.entries(value)
                .reverse()
                .map(([k, v]) => [k, reorder(v)]),
            )
          : value;
    expect(() =>
      openSnapshot(JSON.stringify(reorder(snapshot), null, 2), { remediationId: ID, groupId: D }),
    ).not.toThrow();
  });

  it('refuses a change to any single field, the checksum and version included', () => {
    const snapshot = sealed() as unknown as Json;
    const paths = leafPaths(snapshot);
    expect(paths.length).toBeGreaterThan(50);
    for (const path of paths) {
      const error = refusal(() =>
        openSnapshot(JSON.stringify(changeAt(snapshot, path)), { remediationId: ID, groupId: D }),
      );
      expect(error.reasons[0], path.join('.')).toContain('fails its checksum');
    }
  });

  it('refuses a removed field, an added field and reordered moves', () => {
    const snapshot = sealed();
    const { createdAt: _createdAt, ...withoutDate } = snapshot;
    expect(() => openSnapshot(JSON.stringify(withoutDate), { remediationId: ID })).toThrow(/fails its checksum/);
    expect(() => openSnapshot(JSON.stringify({ ...snapshot, extra: 1 }), { remediationId: ID })).toThrow(
      /fails its checksum/,
    );
    const swapped = structuredClone(snapshot);
    swapped.plan.moves.reverse();
    expect(() => openSnapshot(JSON.stringify(swapped), { remediationId: ID })).toThrow(/fails its checksum/);
  });

  it('refuses another snapshot version even when its checksum is right', () => {
    const { checksum: _checksum, ...body } = sealed();
    const future = { ...body, version: SNAPSHOT_VERSION + 1 };
    const checksum = createHash('sha256').update(canonicalJson(future)).digest('hex');
    expect(() => openSnapshot(JSON.stringify({ ...future, checksum }), { remediationId: ID })).toThrow(
      InvalidInputError,
    );
    // The same recipe at the current version is accepted, so the refusal above is about the version.
    const current = { ...body, checksum: createHash('sha256').update(canonicalJson(body)).digest('hex') };
    expect(() => openSnapshot(JSON.stringify(current), { remediationId: ID })).not.toThrow();
  });

  it('refuses a truncated copy and invalid JSON', () => {
    const text = JSON.stringify(sealed());
    expect(refusal(() => openSnapshot(text.slice(0, text.length - 10), { remediationId: ID })).reasons[0]).toContain(
      'not valid JSON',
    );
    expect(() => openSnapshot('', { remediationId: ID })).toThrow(InvalidInputError);
  });

  it('refuses JSON without a checksum', () => {
    const { checksum: _checksum, ...body } = sealed();
    for (const text of ['null', '42', '"text"', '[]', JSON.stringify(body), JSON.stringify({ ...body, checksum: 7 })]) {
      expect(refusal(() => openSnapshot(text, { remediationId: ID })).reasons[0]).toMatch(
        /no checksum|fails its checksum/,
      );
    }
  });

  it('refuses an intact snapshot of another remediation', () => {
    const error = refusal(() => openSnapshot(JSON.stringify(sealed('rem-other')), { remediationId: ID }));
    expect(error.reasons[0]).toBe(`The snapshot belongs to rem-other, not ${ID}.`);
  });

  it('refuses an intact snapshot of another group', () => {
    const error = refusal(() =>
      openSnapshot(JSON.stringify(sealed()), { remediationId: ID, groupId: 'sg-0aaaaaaaaaaaaaaaa' }),
    );
    expect(error.reasons[0]).toBe(`The snapshot is of ${D}, not sg-0aaaaaaaaaaaaaaaa.`);
  });

  it('keys snapshots and plans by remediation id', () => {
    expect(snapshotKey(ID)).toBe(`snapshots/${ID}.json`);
    expect(planKey(ID)).toBe(`plans/${ID}.json`);
  });
});

describe('canonicalJson', () => {
  it('is independent of key order at every level', () => {
    expect(canonicalJson({ b: 1, a: { d: [{ y: 1, x: 2 }], c: 2 } })).toBe(
      canonicalJson({ a: { c: 2, d: [{ x: 2, y: 1 }] }, b: 1 }),
    );
    expect(canonicalJson({ b: 1, a: 2 })).toBe('{"a":2,"b":1}');
  });

  it('keeps array order', () => {
    expect(canonicalJson([1, 2])).not.toBe(canonicalJson([2, 1]));
  });

  it('is the same for any permutation of keys (property)', () => {
    fc.assert(
      fc.property(fc.dictionary(fc.string(), fc.jsonValue()), (object) => {
        const reversed = Object.fromEntries(Object.entries(object).reverse());
        expect(canonicalJson(reversed)).toBe(canonicalJson(object));
        expect(JSON.parse(canonicalJson(object))).toStrictEqual(JSON.parse(JSON.stringify(object)));
      }),
      { numRuns: 200 },
    );
  });
});
