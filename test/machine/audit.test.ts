/**
 * The organization audit through its real definition (`state-machine/audit.asl.json`) and the local runner: a few
 * accounts × regions on the simulator, each account reached as through its member role, one that cannot be assumed.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createLocalDeps } from '../../cli/deps.ts';
import { loadDefinition, runMachine } from '../../cli/runner.ts';
import { Ec2Simulator } from '../../handlers/adapters/local/ec2-simulator.ts';
import { ServiceQuotasSimulator } from '../../handlers/adapters/local/service-quotas-simulator.ts';
import { ServiceSimulator } from '../../handlers/adapters/local/service-simulator.ts';
import type { AuditedGroup } from '../../handlers/core/audit.ts';
import type { Ec2Port, Ec2Target, Notification } from '../../handlers/ports.ts';
import { type AuditReport, auditPartKey, auditReportKey } from '../../handlers/steps/audit.ts';
import type { Deps } from '../../handlers/steps/deps.ts';
import { ORG_FIXTURES } from '../fixtures/org/build.ts';

const MEMBER_ROLE = 'DefaultSgRemediationMember-AuditAccounts';
const NO_ROLE_ACCOUNT = '999999999999';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'dsr-audit-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** STS's answer when the member role is missing or does not trust the caller. */
function assumeRoleDenied(accountId: string): Error {
  const error = new Error(
    `User: arn:aws:sts::123456789012:assumed-role/DefaultSgRemediation-AuditAccounts-us-east-1/audit is not authorized to perform: sts:AssumeRole on resource: arn:aws:iam::${accountId}:role/${MEMBER_ROLE}`,
  );
  error.name = 'AccessDenied';
  return error;
}

interface Organization {
  deps: Deps;
  notices: Notification[];
  /** Accounts whose member role was assumed (ports asked for), in order of first use. */
  assumed: string[];
  /** Per account/region, the most EC2 calls in flight at once; and across all of them. */
  inFlightMost: Map<string, number>;
  mostAtOnce: () => number;
}

/**
 * The fixture set as an organization: one simulator per account and region, reached as the Lambda runtime reaches
 * them (a port per account/region through that account's member role); an account without the role answers every
 * call with STS's AccessDenied, a place without a state file as a region the account has not enabled. Every call
 * takes a turn of the event loop, so overlapping calls would show.
 */
function organization(options: { failReport?: boolean } = {}): Organization {
  const simulators = new Map<string, Ec2Simulator>();
  for (const build of Object.values(ORG_FIXTURES)) {
    const simulator = Ec2Simulator.fromState(build(), { seed: 3 });
    simulators.set(`${simulator.accountId}/${simulator.region}`, simulator);
  }
  const notices: Notification[] = [];
  const base = createLocalDeps({ storeDir: dir, notifier: { publish: async (notice) => void notices.push(notice) } });
  const assumed: string[] = [];
  const inFlight = new Map<string, number>();
  const inFlightMost = new Map<string, number>();
  let total = 0;
  let most = 0;
  const find = (target: Ec2Target) => {
    if (!assumed.includes(target.accountId)) assumed.push(target.accountId);
    if (target.accountId === NO_ROLE_ACCOUNT) throw assumeRoleDenied(target.accountId);
    const simulator = simulators.get(`${target.accountId}/${target.region}`);
    if (!simulator) {
      const error = new Error(`AuthFailure: the region ${target.region} is not enabled for this account.`);
      error.name = 'AuthFailure';
      throw error;
    }
    return simulator;
  };
  const counted = (target: Ec2Target): Ec2Port => {
    const key = `${target.accountId}/${target.region}`;
    return new Proxy({} as Ec2Port, {
      get: (_, method: string) => async (input: unknown) => {
        inFlight.set(key, (inFlight.get(key) ?? 0) + 1);
        inFlightMost.set(key, Math.max(inFlightMost.get(key) ?? 0, inFlight.get(key) ?? 0));
        most = Math.max(most, ++total);
        try {
          await new Promise((resolve) => setImmediate(resolve));
          const simulator = find(target) as unknown as Record<string, (input: unknown) => Promise<unknown>>;
          return await (simulator[method] as (input: unknown) => Promise<unknown>).call(simulator, input);
        } finally {
          inFlight.set(key, (inFlight.get(key) ?? 1) - 1);
          total--;
        }
      },
    });
  };
  const deps: Deps = {
    ...base,
    ec2: counted,
    services: (target) => new ServiceSimulator(find(target)),
    serviceQuotas: (target) => new ServiceQuotasSimulator(find(target)),
    ...(options.failReport
      ? {
          store: {
            get: base.store.get.bind(base.store),
            put: async (key: string, body: string) => {
              if (key.endsWith('/report.json'))
                throw Object.assign(new Error('Access Denied'), { name: 'AccessDenied' });
              return base.store.put(key, body);
            },
          },
        }
      : {}),
  };
  return { deps, notices, assumed, inFlightMost, mostAtOnce: () => most };
}

const SCOPE = {
  accounts: ['444455556666', NO_ROLE_ACCOUNT, '111122223333', '111122223333'],
  regions: ['us-east-1', 'eu-west-1'],
};

describe('the organization audit state machine', () => {
  it('audits every account × region through its member role, reports the failing ones, writes the report, sends one notice', async () => {
    const org = organization();
    const result = await runMachine('audit', SCOPE, { deps: org.deps, executionName: 'audit-test-1' });
    expect(result.status, result.cause).toBe('SUCCEEDED');

    const text = await org.deps.store.get(auditReportKey('audit-test-1', 'json'));
    expect(text).toBeDefined();
    const report = JSON.parse(text as string) as AuditReport;
    const statusOf = (accountId: string, region: string) =>
      report.groups
        .filter((row) => row.accountId === accountId && row.region === region)
        .map((row) => row.status)
        .sort();
    // The fixture set's statuses (test/fixtures/org/README.md), read through the deployed definition.
    expect(statusOf('111122223333', 'us-east-1')).toEqual(['compliant', 'empty', 'in use']);
    expect(statusOf('111122223333', 'eu-west-1')).toEqual(['empty', 'excluded', 'in use']);
    expect(statusOf('444455556666', 'us-east-1')).toEqual(['blocked', 'empty']);
    // A region the account has not enabled, and an account whose role cannot be assumed: rows, not failures.
    expect(report.groups.filter((row) => row.accountId === '444455556666' && row.region === 'eu-west-1')).toEqual([
      expect.objectContaining({ status: 'unreachable', reasons: [expect.stringMatching(/^AuthFailure/)] }),
    ]);
    const denied = report.groups.filter((row) => row.accountId === NO_ROLE_ACCOUNT);
    expect(denied.map((row: AuditedGroup) => row.region).sort()).toEqual(['eu-west-1', 'us-east-1']);
    for (const row of denied) {
      expect(row.status).toBe('unreachable');
      expect(row.reasons.join(' ')).toMatch(
        /AccessDenied: .*sts:AssumeRole on resource: arn:aws:iam::999999999999:role/,
      );
    }
    expect(report.summary).toEqual({
      accounts: 3,
      regions: 2,
      groups: 8,
      'in use': 2,
      empty: 3,
      compliant: 1,
      blocked: 1,
      excluded: 1,
      unreachable: 3,
    });
    // Sorted by account, region, VPC: the report reads the same whatever order the batches finished in.
    const locations = report.groups.map((row) => `${row.accountId} ${row.region} ${row.vpcId ?? ''}`);
    expect(locations).toEqual([...locations].sort());

    // Each account once (its member role), each account/region's calls one after the other, several side by side.
    expect([...org.assumed].sort()).toEqual(['111122223333', '444455556666', NO_ROLE_ACCOUNT]);
    expect(Math.max(...org.inFlightMost.values())).toBe(1);
    expect(org.mostAtOnce()).toBeGreaterThan(1);

    // The rows travel through the store, one part per batch (one account each here), never through the state.
    for (const batch of [0, 1, 2]) expect(await org.deps.store.get(auditPartKey('audit-test-1', batch))).toBeDefined();
    expect(result.metrics.maxPayloadBytes).toBeLessThan(2000);
    expect(result.output).toEqual({
      auditId: 'audit-test-1',
      summary: report.summary,
      reports: {
        json: 'audits/audit-test-1/report.json',
        csv: 'audits/audit-test-1/report.csv',
        html: 'audits/audit-test-1/report.html',
      },
    });
    // The CSV and the HTML are the same rows: a line per row after the header, and each group on the page.
    const csv = (await org.deps.store.get(auditReportKey('audit-test-1', 'csv'))) as string;
    expect(csv.trimEnd().split(/\r?\n/)).toHaveLength(report.groups.length + 1);
    const page = (await org.deps.store.get(auditReportKey('audit-test-1', 'html'))) as string;
    expect(page).toMatch(/^<!doctype html>/i);
    for (const row of report.groups) if (row.groupId) expect(page).toContain(row.groupId);

    expect(org.notices).toHaveLength(1);
    const [notice] = org.notices;
    expect(notice?.subject).toBe('EC2.2 organization audit: 6 of 8 default groups fail');
    expect(notice?.message).toContain('audits/audit-test-1/report.json');
    expect(notice?.message).toMatch(/unreachable: 3/);
    // Nothing the accounts wrote (reasons quote VPC tags and function names) reaches the notice.
    expect(notice?.message).not.toMatch(/ingest|remediation:exclude|AccessDenied/);
  });

  it('refuses a scope without accounts, naming the field, and reads nothing', async () => {
    const org = organization();
    const result = await runMachine('audit', { regions: ['us-east-1'] }, { deps: org.deps });
    expect(result.status).toBe('FAILED');
    expect(result.error).toBe('InvalidInput');
    expect(result.cause).toMatch(/scope\.accounts/);
    expect(org.assumed).toEqual([]);
    expect(org.notices).toEqual([]);
  });

  it('a report that cannot be written fails the audit with one notice saying so', async () => {
    const org = organization({ failReport: true });
    const result = await runMachine('audit', SCOPE, { deps: org.deps, executionName: 'audit-test-2' });
    expect(result.status).toBe('FAILED');
    expect(result.error).toBe('AuditFailed');
    expect(org.notices).toHaveLength(1);
    expect(org.notices[0]?.subject).toBe('EC2.2 organization audit failed');
    expect(org.notices[0]?.message).toMatch(/audit-test-2 failed \(AccessDenied\)/);
  });

  it('bounds the Map: batches of accounts, at most 40 at once, results left out of the state', () => {
    const definition = loadDefinition('audit');
    const map = definition.States['Audit the accounts, a batch at a time'] as unknown as Record<string, unknown>;
    expect(map.Type).toBe('Map');
    expect(map.MaxConcurrency).toBe(40);
    expect(map.ResultPath).toBeNull();
    expect(JSON.stringify(definition)).not.toMatch(/DISTRIBUTED|ItemReader|ItemBatcher|"Assign"|JSONata/);
  });
});
