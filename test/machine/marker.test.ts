/**
 * Issue 11, "mark it and watch it", through the real state machine definitions: after the strip the default group
 * carries the CIS 5.4 mark (`Name` "DO NOT USE. DO NOT ADD RULES" and the status tag naming the remediation), the tags
 * it had are in the snapshot, and a rollback puts them back exactly; the watcher reports a rule added to the stripped
 * group, and nothing once the group is rolled back.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Ec2State, SecurityGroup } from '../../handlers/core/ec2-shapes.ts';
import { Ec2ApiError } from '../../handlers/core/errors.ts';
import { markTags, STATUS_TAG } from '../../handlers/core/marker.ts';
import { diffFlows } from '../../handlers/core/reachability.ts';
import { minus, rulesOf } from '../../handlers/core/rules.ts';
import { openSnapshot, snapshotKey } from '../../handlers/core/snapshot.ts';
import { watch } from '../../handlers/steps/watch.ts';
import {
  disposeAll,
  examplePath,
  expectedAfterRemediation,
  flowsOf,
  groupById,
  newGroups,
  normalizeState,
  readJson,
  remediateState,
} from '../support/harness.ts';

afterEach(disposeAll);

const DEFAULT = 'sg-07d2e3f4a5b6c7d8e';
const SAME = { ignoreDerivedPairFields: true };
const TAGS = [
  { Key: 'Name', Value: 'legacy default' },
  { Key: 'team', Value: 'web' },
];

/** The shared web-app sample with tags of its own on the default group. */
function taggedWebApp(): Ec2State {
  const state = readJson<Ec2State>(examplePath('web-app.state.json'));
  (state.SecurityGroups.find((group) => group.GroupId === DEFAULT) as SecurityGroup).Tags = TAGS.map((tag) => ({
    ...tag,
  }));
  return state;
}

const tagsOf = (state: Ec2State) =>
  [...(groupById(state, DEFAULT).Tags ?? [])].sort((a, b) => String(a.Key).localeCompare(String(b.Key)));

describe('the mark', () => {
  it('after the strip the default group carries it (its Name replaced, other tags kept); rollback restores the tags exactly', async () => {
    const run = await remediateState(taggedWebApp(), { approve: 'approved' });
    expect(run.result.output?.outcome, JSON.stringify(run.result)).toBe('remediated');
    const id = run.result.executionName;
    expect(tagsOf(run.after)).toEqual([
      { Key: STATUS_TAG, Value: `DO NOT USE. DO NOT ADD RULES. Stripped by default-sg-remediation ${id}` },
      { Key: 'Name', Value: 'DO NOT USE. DO NOT ADD RULES' },
      { Key: 'team', Value: 'web' },
    ]);
    // Exactly the planned state otherwise; one CreateTags, after the last revoke, and no DeleteTags.
    const [copy] = newGroups(run.before, run.after);
    expect(normalizeState(run.after, SAME)).toEqual(
      normalizeState(expectedAfterRemediation(run.before, DEFAULT, copy, [], id), SAME),
    );
    const calls = run.session.trace.flatMap((event) => (event.kind === 'call' ? [event.action] : []));
    // (The copy gets its tags inside CreateSecurityGroup.)
    expect(calls.filter((action) => action === 'CreateTags')).toHaveLength(1);
    expect(calls.lastIndexOf('RevokeSecurityGroupIngress')).toBeLessThan(calls.lastIndexOf('CreateTags'));
    expect(calls).not.toContain('DeleteTags');
    // The tags it had are in the snapshot the rollback works from.
    const snapshot = openSnapshot((await run.deps.store.get(snapshotKey(id))) ?? '', { remediationId: id });
    expect(snapshot.inventory.defaultGroup.Tags).toEqual(TAGS);

    const rollback = await run.rollback();
    expect(rollback.result.status, JSON.stringify(rollback.result)).toBe('SUCCEEDED');
    expect(tagsOf(rollback.after)).toEqual(tagsOf(run.before));
    expect(normalizeState(rollback.after, SAME)).toEqual(normalizeState(run.before, SAME));
  });

  it('a group without tags is left without tags after the rollback', async () => {
    const run = await remediateState(readJson<Ec2State>(examplePath('web-app.state.json')), { approve: 'approved' });
    expect(tagsOf(run.after)).toEqual(markTags(run.result.executionName).sort((a, b) => a.Key.localeCompare(b.Key)));
    const rollback = await run.rollback();
    expect(rollback.result.status).toBe('SUCCEEDED');
    expect(groupById(rollback.after, DEFAULT)).not.toHaveProperty('Tags');
  });

  it('a rejected run never tags (the strip never ran) and its rollback touches no tag', async () => {
    const run = await remediateState(taggedWebApp(), { approve: 'rejected' });
    expect(run.result.output?.outcome).toBe('rejected');
    expect(run.session.mutatingCalls().CreateSecurityGroup).toBe(1);
    expect(run.session.mutatingCalls().CreateTags ?? 0).toBe(0);
    expect(run.session.mutatingCalls().DeleteTags ?? 0).toBe(0);
    expect(tagsOf(run.after)).toEqual(tagsOf(run.before));
  });

  it('a Name someone set after the strip is kept by the rollback (and said); the status tag goes', async () => {
    const run = await remediateState(taggedWebApp(), { approve: 'approved' });
    await run.simulator.createTags({ Resources: [DEFAULT], Tags: [{ Key: 'Name', Value: 'renamed by hand' }] });
    const rollback = await run.rollback();
    expect(rollback.result.status, JSON.stringify(rollback.result)).toBe('SUCCEEDED');
    expect(tagsOf(rollback.after)).toEqual([
      { Key: 'Name', Value: 'renamed by hand' },
      { Key: 'team', Value: 'web' },
    ]);
    const report = JSON.stringify(rollback.result.output);
    expect(report).toContain('Name is \\"renamed by hand\\", the snapshot has \\"legacy default\\"');
  });
});

describe('a tag call refused during the rollback', () => {
  it('the rules come back first (traffic as before), the rollback fails naming it, a re-run ends exact', async () => {
    const run = await remediateState(taggedWebApp(), { approve: 'approved' });
    let refuse = true;
    run.session.setHooks({
      before(action) {
        if (refuse && action === 'DeleteTags')
          throw new Ec2ApiError('UnauthorizedOperation', 'You are not authorized to perform this operation.');
      },
    });
    const failed = await run.rollback();
    expect(failed.result.status).toBe('FAILED');
    expect(JSON.stringify(failed.result)).toContain('UnauthorizedOperation');
    expect(diffFlows(flowsOf(run.before), flowsOf(failed.after))).toEqual([]);
    // Every rule of the default group is back (with the transitional reference to the copy, which is still there).
    expect(minus(rulesOf(groupById(run.before, DEFAULT)), rulesOf(groupById(failed.after, DEFAULT)))).toEqual([]);
    // The Name was written back before the refused DeleteTags; the status tag is still there.
    expect(tagsOf(failed.after).map((tag) => tag.Key)).toEqual([STATUS_TAG, 'Name', 'team']);

    refuse = false;
    const again = await run.rollback();
    expect(again.result.status, JSON.stringify(again.result)).toBe('SUCCEEDED');
    expect(normalizeState(again.after, SAME)).toEqual(normalizeState(run.before, SAME));
  });
});

describe('the watcher on a remediated group', () => {
  const record = (name: string) =>
    JSON.parse(readFileSync(join(import.meta.dirname, '..', 'fixtures', 'cloudtrail', name), 'utf8'));

  it('reports a rule added to the stripped group, naming who; after the rollback the same call is not reported', async () => {
    const run = await remediateState(readJson<Ec2State>(examplePath('web-app.state.json')), { approve: 'approved' });
    const id = run.result.executionName;
    // Someone adds a rule to the stripped group, as in the CloudTrail record.
    await run.simulator.authorizeSecurityGroupIngress({
      GroupId: DEFAULT,
      IpPermissions: [
        { IpProtocol: 'tcp', FromPort: 998, ToPort: 998, IpRanges: [{ CidrIp: '192.168.0.0/32', Description: 'x' }] },
      ],
    });
    const event = record('authorize-ingress.json');
    const before = run.notifications.length;
    expect((await watch(event, run.deps)).notified).toEqual([DEFAULT]);
    const notice = run.notifications[before];
    expect(notice?.message).toContain(`marked DO NOT USE by remediation ${id}`);
    expect(notice?.message).toContain('assumed-role/PlatformAdmin/alice@example.com');
    expect(notice?.message).toContain(`npm run cli -- remediate --group ${DEFAULT}`);

    await run.simulator.revokeSecurityGroupIngress({
      GroupId: DEFAULT,
      IpPermissions: [{ IpProtocol: 'tcp', FromPort: 998, ToPort: 998, IpRanges: [{ CidrIp: '192.168.0.0/32' }] }],
    });
    const rollback = await run.rollback();
    expect(rollback.result.status).toBe('SUCCEEDED');
    const after = run.notifications.length;
    expect((await watch(event, run.deps)).notified).toEqual([]);
    expect(run.notifications).toHaveLength(after);
  });
});
