/** The organization-run building blocks: guards of the bulk mode, pacing, unreachable places, progress, the AWS reach. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DescribeRegionsCommand, DescribeSecurityGroupsCommand, EC2Client } from '@aws-sdk/client-ec2';
import { AssumeRoleCommand, GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createLocalDeps } from '../../cli/deps.ts';
import {
  type AuditedGroup,
  auditOrganization,
  mapBounded,
  type OrgReach,
  progressReporter,
  remediateEmptyGroups,
} from '../../cli/org.ts';
import { awsReach } from '../../cli/org-aws.ts';
import { type StateFile, simulatedReach } from '../../cli/org-states.ts';
import { Ec2Simulator } from '../../handlers/adapters/local/ec2-simulator.ts';
import type { Ec2State } from '../../handlers/core/ec2-shapes.ts';
import { Ec2ApiError } from '../../handlers/core/errors.ts';
import { canonicalJson } from '../../handlers/core/snapshot.ts';
import { DEFAULT_SETTINGS } from '../../handlers/steps/deps.ts';
import { ORG_FIXTURES } from '../fixtures/org/build.ts';

const MAIN_US = '111122223333-us-east-1.state.json';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'dsr-org-unit-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function fixture(name: string): Ec2State {
  return (ORG_FIXTURES[name] as () => Ec2State)();
}

function files(...names: string[]): StateFile[] {
  return names.map((name) => ({ path: name, simulator: Ec2Simulator.fromState(fixture(name), { seed: 7 }) }));
}

const settings = DEFAULT_SETTINGS;

/** The `empty` default group of MAIN_US, and the interface of its VPC that is on the `app` group only. */
function emptyGroupOf(state: Ec2State) {
  const groupId = state.SecurityGroups.filter((group) => group.GroupName === 'default')[1]?.GroupId as string;
  const vpcId = state.SecurityGroups.find((group) => group.GroupId === groupId)?.VpcId;
  const eni = state.NetworkInterfaces.find((candidate) => candidate.VpcId === vpcId);
  const appGroupId = eni?.Groups?.[0]?.GroupId as string;
  return { groupId, eniId: eni?.NetworkInterfaceId as string, appGroupId };
}

function bulkDeps(reach: OrgReach) {
  const base = createLocalDeps({ storeDir: join(dir, 'store'), notifier: { publish: async () => {} } });
  return () => ({ ...base, ec2: reach.ec2, services: reach.services, serviceQuotas: reach.serviceQuotas });
}

describe('remediateEmptyGroups never migrates a group in use', () => {
  it('skips a group that is in use by the time its run starts (re-read before each run)', async () => {
    const [file] = files(MAIN_US);
    const simulator = (file as StateFile).simulator;
    const reach = simulatedReach([file as StateFile], {});
    const rows = await auditOrganization(reach, { settings });
    const { groupId, eniId, appGroupId } = emptyGroupOf(fixture(MAIN_US));
    expect(rows.find((row) => row.groupId === groupId)?.status).toBe('empty');

    await simulator.modifyNetworkInterfaceAttribute({ NetworkInterfaceId: eniId, Groups: [appGroupId, groupId] });
    const before = canonicalJson(simulator.toState());
    simulator.resetCallCounts();
    const results = await remediateEmptyGroups(rows, { depsFor: bulkDeps(reach), decision: 'approved' });
    expect(results).toEqual([
      expect.objectContaining({ groupId, result: 'skipped', reasons: ['Re-read before the run: now in use.'] }),
    ]);
    expect(canonicalJson(simulator.toState())).toBe(before);
    expect(Object.keys(simulator.callCounts()).filter((action) => !action.startsWith('Describe'))).toEqual([]);
  });

  it('rejects (and so rolls back exactly) a run whose Discover finds interfaces on the group', async () => {
    const [file] = files(MAIN_US);
    const simulator = (file as StateFile).simulator;
    const reach = simulatedReach([file as StateFile], {});
    const rows = await auditOrganization(reach, { settings });
    const { groupId, eniId, appGroupId } = emptyGroupOf(fixture(MAIN_US));

    // The re-read before the run sees the group empty; the interface joins it just before Discover reads it.
    let memberReads = 0;
    simulator.setHooks({
      before: async (action, input) => {
        const filters = (input as { Filters?: { Name: string; Values: string[] }[] }).Filters ?? [];
        const readsMembers = filters.some((filter) => filter.Name === 'group-id' && filter.Values.includes(groupId));
        if (action === 'DescribeNetworkInterfaces' && readsMembers && ++memberReads === 2)
          await simulator.modifyNetworkInterfaceAttribute({ NetworkInterfaceId: eniId, Groups: [appGroupId, groupId] });
      },
    });
    const expected = Ec2Simulator.fromState(fixture(MAIN_US));
    await expected.modifyNetworkInterfaceAttribute({ NetworkInterfaceId: eniId, Groups: [appGroupId, groupId] });

    const results = await remediateEmptyGroups(rows, { depsFor: bulkDeps(reach), decision: 'approved' });
    expect(results).toHaveLength(1);
    expect(results[0]).toMatchObject({ groupId, result: 'skipped', outcome: 'rejected' });
    expect(results[0]?.reasons.join(' ')).toMatch(/Discover found the group in use during the run \(1 interface\(s\)/);
    expect(simulator.callCounts().CreateSecurityGroup).toBe(1);
    expect(canonicalJson(simulator.toState())).toBe(canonicalJson(expected.toState()));
  });
});

describe('auditOrganization', () => {
  it('paces every call through the pacer of its own account and region', async () => {
    const stateFiles = files(...Object.keys(ORG_FIXTURES));
    const inner = simulatedReach(stateFiles, {});
    const paced = new Map<string, number>();
    const reach: OrgReach = {
      ...inner,
      pace: (place) => async () => {
        const key = `${place.accountId}/${place.region}`;
        paced.set(key, (paced.get(key) ?? 0) + 1);
      },
    };
    await auditOrganization(reach, { settings, concurrency: 2 });
    for (const { simulator } of stateFiles)
      expect(paced.get(`${simulator.accountId}/${simulator.region}`)).toBe(simulator.totalCalls());
  });

  it.each([
    { code: 'UnauthorizedOperation', message: 'You are not authorized to perform this operation.' },
    { code: 'AuthFailure', message: 'AWS was not able to validate the provided access credentials' },
  ])('reports an account/region whose describe fails with $code as unreachable, with the reason', async (failure) => {
    const stateFiles = files(MAIN_US);
    (stateFiles[0] as StateFile).simulator.setHooks({
      before: () => {
        throw new Ec2ApiError(failure.code, failure.message);
      },
    });
    const rows = await auditOrganization(simulatedReach(stateFiles, {}), { settings });
    expect(rows).toEqual<AuditedGroup[]>([
      {
        accountId: '111122223333',
        region: 'us-east-1',
        status: 'unreachable',
        members: 0,
        references: 0,
        rules: 0,
        reasons: [`${failure.code}: ${failure.message}`],
      },
    ]);
  });
  it('a group that cannot be read is unreachable on its own; the other groups of its region are audited', async () => {
    const stateFiles = files(MAIN_US);
    const { groupId } = emptyGroupOf(fixture(MAIN_US));
    (stateFiles[0] as StateFile).simulator.setHooks({
      before: (action, input) => {
        if (action === 'DescribeSecurityGroupReferences' && (input as { GroupId: string[] }).GroupId.includes(groupId))
          throw new Ec2ApiError('UnauthorizedOperation', 'You are not authorized to perform this operation.');
      },
    });
    const rows = await auditOrganization(simulatedReach(stateFiles, {}), { settings });
    expect(rows.map((row) => row.status).sort()).toEqual(['compliant', 'in use', 'unreachable']);
    expect(rows.find((row) => row.status === 'unreachable')).toMatchObject({
      groupId,
      reasons: ['UnauthorizedOperation: You are not authorized to perform this operation.'],
    });
  });
});

describe('helpers', () => {
  it('mapBounded keeps the order and never runs more than the limit at once', async () => {
    let running = 0;
    let most = 0;
    const results = await mapBounded([5, 1, 4, 2, 3, 0], 2, async (delay) => {
      running++;
      most = Math.max(most, running);
      await new Promise((done) => setTimeout(done, delay));
      running--;
      return delay * 10;
    });
    expect(results).toEqual([50, 10, 40, 20, 30, 0]);
    expect(most).toBe(2);
  });

  it('progress redraws one line on a terminal and ends it when done', () => {
    let text = '';
    const progress = progressReporter((chunk) => {
      text += chunk;
    }, true);
    progress.update(1, 4, 'one');
    progress.update(4, 4, 'four');
    expect(text).toBe(`\r[${'#'.repeat(6)}${'.'.repeat(18)}] 1/4 one\x1b[K\r[${'#'.repeat(24)}] 4/4 four\x1b[K\n`);
  });
});

describe('awsReach', () => {
  // Fresh mocks per test: one test restores the real EC2 client half-way.
  const mocks = () => ({ ec2: mockClient(EC2Client), sts: mockClient(STSClient) });
  let ec2: ReturnType<typeof mocks>['ec2'];
  let sts: ReturnType<typeof mocks>['sts'];
  beforeEach(() => {
    ({ ec2, sts } = mocks());
  });
  afterEach(() => {
    ec2.restore();
    sts.restore();
  });

  it('lists accounts × regions from DescribeRegions; a region the caller has not enabled is unreachable', async () => {
    sts.on(GetCallerIdentityCommand).resolves({ Account: '111122223333' });
    ec2.on(DescribeRegionsCommand).resolves({
      Regions: [
        { RegionName: 'us-east-1', OptInStatus: 'opt-in-not-required' },
        { RegionName: 'af-south-1', OptInStatus: 'not-opted-in' },
        { RegionName: 'eu-south-1', OptInStatus: 'opted-in' },
      ],
    });
    const reach = await awsReach({ env: { AWS_REGION: 'us-east-1' }, accounts: ['111122223333', '444455556666'] });
    expect(ec2.commandCalls(DescribeRegionsCommand)[0]?.args[0].input).toEqual({ AllRegions: true });
    expect(await reach.places()).toEqual([
      {
        accountId: '111122223333',
        region: 'af-south-1',
        unreachable: 'The region is not enabled in this account (opt-in status not-opted-in).',
      },
      { accountId: '111122223333', region: 'eu-south-1' },
      { accountId: '111122223333', region: 'us-east-1' },
      { accountId: '444455556666', region: 'af-south-1' },
      { accountId: '444455556666', region: 'eu-south-1' },
      { accountId: '444455556666', region: 'us-east-1' },
    ]);
  });

  it('defaults to the caller account, refuses a region DescribeRegions does not list, and lists default groups by name', async () => {
    sts.on(GetCallerIdentityCommand).resolves({ Account: '111122223333' });
    ec2
      .on(DescribeRegionsCommand)
      .resolves({ Regions: [{ RegionName: 'us-east-1', OptInStatus: 'opt-in-not-required' }] });
    await expect(awsReach({ env: { AWS_REGION: 'us-east-1' }, regions: ['xx-nowhere-1'] })).rejects.toThrow(
      /xx-nowhere-1 not among the regions/,
    );
    const reach = await awsReach({ env: { AWS_REGION: 'us-east-1' }, regions: ['us-east-1'] });
    expect(await reach.places()).toEqual([{ accountId: '111122223333', region: 'us-east-1' }]);
    ec2
      .on(DescribeSecurityGroupsCommand)
      .rejects(Object.assign(new Error('denied'), { name: 'UnauthorizedOperation' }));
    const rows = await auditOrganization({ ...reach, pace: () => async () => {} }, { settings });
    // The reason names the call that was refused (issue 10 point 11).
    expect(rows).toMatchObject([
      { status: 'unreachable', reasons: ['DescribeSecurityGroups failed: UnauthorizedOperation: denied'] },
    ]);
    expect(ec2.commandCalls(DescribeSecurityGroupsCommand)[0]?.args[0].input).toMatchObject({
      Filters: [{ Name: 'group-name', Values: ['default'] }],
    });
  });

  it('reaches another account through the member role; a refused AssumeRole makes it unreachable', async () => {
    sts.on(GetCallerIdentityCommand).resolves({ Account: '111122223333' });
    sts
      .on(AssumeRoleCommand)
      .rejects(Object.assign(new Error('not authorized to perform sts:AssumeRole'), { name: 'AccessDenied' }));
    ec2
      .on(DescribeRegionsCommand)
      .resolves({ Regions: [{ RegionName: 'us-east-1', OptInStatus: 'opt-in-not-required' }] });
    const reach = await awsReach({
      env: { AWS_REGION: 'us-east-1', MEMBER_ROLE_NAME: 'AuditRole' },
      accounts: ['444455556666'],
    });
    // The real EC2 client from here on: it asks the member role for credentials before any request leaves.
    ec2.restore();
    const rows = await auditOrganization({ ...reach, pace: () => async () => {} }, { settings });
    expect(rows).toMatchObject([
      {
        accountId: '444455556666',
        status: 'unreachable',
        reasons: ['DescribeSecurityGroups failed: AccessDenied: not authorized to perform sts:AssumeRole'],
      },
    ]);
    expect(sts.commandCalls(AssumeRoleCommand)[0]?.args[0].input).toMatchObject({
      RoleArn: 'arn:aws:iam::444455556666:role/AuditRole',
    });
  });
});
