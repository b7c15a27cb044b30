/**
 * The registry of owner services (handlers/core/owners/): a missing registry entry is a compile error, so what is
 * checked here is what the compiler cannot see — that each service's data is complete and consistent, that the
 * adapters answer its busy codes with the one generic error the state machines retry, and that the definitions name
 * no service's own codes.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SDK_OWNERS } from '../../handlers/adapters/aws/owners/index.ts';
import { LOCAL_OWNERS } from '../../handlers/adapters/local/owners/index.ts';
import { OwnerServices } from '../../handlers/adapters/owner-services.ts';
import { ResourceBusyError } from '../../handlers/core/errors.ts';
import {
  OWNER_MODULES,
  OWNERS,
  type OwnerService,
  perOwnerService,
  RESOURCE_KINDS,
  type ResourceKind,
} from '../../handlers/core/owners/index.ts';
import type { OwnerAdapter } from '../../handlers/ports.ts';
import { repoRoot } from '../support/harness.ts';

const services = Object.keys(OWNERS) as OwnerService[];

/** Adapters that answer `error` from every call of `failing`'s adapter, and nothing otherwise. */
function failingWith(failing: OwnerService, error: Error): OwnerServices {
  const quiet: OwnerAdapter = {
    describe: async () => undefined,
    setGroups: async () => {},
    settled: async () => true,
  };
  const throwing: OwnerAdapter = {
    describe: async () => {
      throw error;
    },
    setGroups: async () => {
      throw error;
    },
    settled: async () => {
      throw error;
    },
  };
  return new OwnerServices(perOwnerService((service) => (service === failing ? throwing : quiet)));
}

function kindOf(service: OwnerService): ResourceKind {
  return Object.keys(OWNERS[service].resources)[0] as ResourceKind;
}

describe('every registered owner service has consistent data', () => {
  it.each(services)('%s: its key, words, resource kinds and their move actions', (service) => {
    const module = OWNERS[service];
    expect(module.service).toBe(service);
    expect(module.title).not.toBe('');
    if (module.recognise) expect(Object.keys(module.ownerKinds).length).toBeGreaterThan(0);
    for (const words of Object.values<string>(module.ownerKinds)) expect(words.trim()).not.toBe('');
    const kinds = Object.entries<{ label: string; moveAction: string; callsPerMove: number }>(module.resources);
    expect(kinds.length).toBeGreaterThan(0);
    const moveActions = module.iam.moves.flatMap((statement) => statement.actions);
    for (const [kind, info] of kinds) {
      // Kinds are batch keys `<kind>:<id>`: no colon in a kind.
      expect(kind).toMatch(/^[a-z0-9-]+$/);
      expect(info.label.trim()).not.toBe('');
      expect(info.moveAction).toMatch(/^[a-z0-9-]+:[A-Z][A-Za-z]+$/);
      expect(Number.isInteger(info.callsPerMove) && info.callsPerMove >= 1, `${kind} calls per move`).toBe(true);
      expect(moveActions, `${kind} moves with ${info.moveAction}, which its IAM grants`).toContain(info.moveAction);
    }
  });

  it.each(services)('%s: IAM for reading and for moving, every statement scoped and named', (service) => {
    const { iam } = OWNERS[service];
    expect(iam.readOnAny.length + iam.reads.length).toBeGreaterThan(0);
    expect(iam.moves.length).toBeGreaterThan(0);
    for (const action of [...iam.readOnAny, ...iam.moveOnAny]) expect(action).toMatch(/^[a-z0-9-]+:[A-Z][A-Za-z]+$/);
    for (const statement of [...iam.reads, ...iam.moves]) {
      expect(statement.sid).toMatch(/^[A-Za-z0-9]+$/);
      expect(statement.actions.length).toBeGreaterThan(0);
      for (const action of statement.actions) expect(action).toMatch(/^[a-z0-9-]+:[A-Z][A-Za-z]+$/);
      expect(statement.resources.length).toBeGreaterThan(0);
      for (const pattern of statement.resources) {
        expect(pattern.service).toMatch(/^[a-z0-9-]+$/);
        expect(pattern.resource).not.toBe('*');
      }
    }
  });

  it('statement ids are unique across the registry (one policy holds them all)', () => {
    const sids = OWNER_MODULES.flatMap((module) => [...module.iam.reads, ...module.iam.moves].map((s) => s.sid));
    expect(new Set(sids).size).toBe(sids.length);
  });

  it.each(services)('%s: a rate-limit bucket, its numbers cited or said to be assumed', (service) => {
    const bucket = OWNERS[service].rateLimit;
    expect(bucket.key).not.toBe('');
    expect(bucket.capacity).toBeGreaterThanOrEqual(1);
    expect(bucket.refillPerSecond).toBeGreaterThan(0);
    if (bucket.documented) expect(bucket.source).toMatch(/^https:\/\/docs\.aws\.amazon\.com\//);
    else expect(bucket.source).toMatch(/^assumed: /);
  });

  it.each(services)('%s: not-found codes, and busy codes apart from them', (service) => {
    const { notFound, busy } = OWNERS[service].errors;
    // Batch has no not-found code: DescribeComputeEnvironments answers an unknown name with an empty list, and every
    // request error is ClientException (https://docs.aws.amazon.com/batch/latest/APIReference/CommonErrors.html).
    if (service === 'batch') expect(notFound).toEqual([]);
    else expect(notFound.length).toBeGreaterThan(0);
    for (const code of busy) {
      expect(notFound).not.toContain(code);
      expect(code).not.toBe(ResourceBusyError.code);
    }
  });

  it('resource kinds belong to one service each', () => {
    const kinds = OWNER_MODULES.flatMap((module) => Object.keys(module.resources));
    expect(new Set(kinds).size).toBe(kinds.length);
    expect([...RESOURCE_KINDS].sort()).toEqual([...kinds].sort());
  });

  it('the AWS adapters and the local models cover exactly the registered services', () => {
    expect(Object.keys(SDK_OWNERS).sort()).toEqual([...services].sort());
    expect(Object.keys(LOCAL_OWNERS).sort()).toEqual([...services].sort());
  });
});

describe('the adapters answer each service’s codes by what they mean', () => {
  const busyCodes = services.flatMap((service) => OWNERS[service].errors.busy.map((code) => [service, code] as const));
  const goneCodes = services.flatMap((service) =>
    OWNERS[service].errors.notFound.map((code) => [service, code] as const),
  );

  it.each(busyCodes)('%s %s: ResourceBusy, the service’s code kept in the message', async (service, code) => {
    const error = Object.assign(new Error('an update is in progress'), { name: code });
    const port = failingWith(service, error);
    const ref = { kind: kindOf(service), id: 'r-1' };
    await expect(port.setGroups(ref, ['sg-1'])).rejects.toMatchObject({
      name: 'ResourceBusy',
      message: `${code}: an update is in progress`,
    });
    await expect(port.waitUntilSettled(ref)).rejects.toMatchObject({ name: 'ResourceBusy' });
  });

  it.each(goneCodes)('%s %s: the resource is gone (describe answers nothing)', async (service, code) => {
    const port = failingWith(service, Object.assign(new Error('not found'), { name: code }));
    expect(await port.describe({ kind: kindOf(service), id: 'r-1' })).toBeUndefined();
  });

  it('any other error keeps its name', async () => {
    const port = failingWith('lambda', Object.assign(new Error('no'), { name: 'AccessDeniedException' }));
    await expect(port.setGroups({ kind: 'lambda-function', id: 'f' }, [])).rejects.toMatchObject({
      name: 'AccessDeniedException',
    });
  });
});

describe('the state machines name no owner service', () => {
  const serviceCodes = new Set(OWNER_MODULES.flatMap((module) => [...module.errors.busy, ...module.errors.notFound]));

  /** Every ErrorEquals of every Retry and Catch, with the state that has it, nested states included. */
  function errorLists(node: unknown, state = ''): { state: string; kind: string; errors: string[] }[] {
    if (Array.isArray(node)) return node.flatMap((item) => errorLists(item, state));
    if (!node || typeof node !== 'object') return [];
    return Object.entries(node).flatMap(([key, value]) => {
      if ((key === 'Retry' || key === 'Catch') && Array.isArray(value))
        return value.map((entry: { ErrorEquals: string[] }) => ({ state, kind: key, errors: entry.ErrorEquals }));
      return errorLists(value, key === 'States' ? state : key);
    });
  }

  it.each(['remediate', 'rollback'])('%s.asl.json: no service-specific code in a Retry or Catch', (name) => {
    const definition = JSON.parse(readFileSync(join(repoRoot, 'state-machine', `${name}.asl.json`), 'utf8'));
    const lists = errorLists(definition);
    expect(lists.length).toBeGreaterThan(0);
    for (const { state, kind, errors } of lists) {
      expect(
        errors.filter((code) => serviceCodes.has(code)),
        `${state} ${kind}`,
      ).toEqual([]);
    }
  });

  it.each([
    ['remediate', 'Move one batch of interfaces'],
    ['rollback', 'Move one batch back'],
  ])('%s: "%s" retries the generic ResourceBusy', (name, state) => {
    const definition = JSON.parse(readFileSync(join(repoRoot, 'state-machine', `${name}.asl.json`), 'utf8'));
    const retried = errorLists(definition)
      .filter((list) => list.state === state && list.kind === 'Retry')
      .flatMap((list) => list.errors);
    expect(retried).toContain(ResourceBusyError.code);
  });
});
