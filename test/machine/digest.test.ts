/**
 * One decision per batch (issue 13 point 3), through the real definitions: runs in several accounts and regions that
 * wait for approval in the same batch window send no notice of their own; the digest sender sends ONE notice for the
 * window, whose page approves the selected runs and rejects the rest — each through decideApproval, so the approved
 * runs strip their default group and the rejected one is rolled back; a run that needed no approval (when-in-use) is a
 * line of the digest, not an email. A window with a single run sends exactly the notice it always did.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { type ExecutionResult, runMachine } from '../../cli/runner.ts';
import { createWebApproval, type WebApproval } from '../../cli/web-approval.ts';
import { sendDigests } from '../../handlers/steps/digest.ts';
import { organization, type Place } from '../support/digest.ts';
import { disposeAll, groupById, newGroups } from '../support/harness.ts';

const WINDOW = 300;
const LINK_BASE = 'https://links.example.com';

const PLACES: Place[] = [
  { accountId: '111111111111', region: 'us-east-1', interfaces: 3 },
  { accountId: '111111111111', region: 'eu-west-1', interfaces: 2 },
  { accountId: '222222222222', region: 'us-east-1', interfaces: 4 },
  { accountId: '333333333333', region: 'ap-northeast-1', interfaces: 0 },
];

let web: WebApproval | undefined;
afterEach(async () => {
  await web?.close();
  web = undefined;
  disposeAll();
});

const until = async (condition: () => boolean | Promise<boolean>, what: string) => {
  for (let i = 0; i < 600; i++) {
    if (await condition()) return;
    await new Promise((done) => setTimeout(done, 50));
  }
  throw new Error(`timed out waiting for ${what}`);
};

/** The digest page's form: its CSRF token and, per default group, the checkbox value. */
function readForm(page: string): { csrf: string; boxes: Map<string, string> } {
  const csrf = /name="csrf" value="([A-Za-z0-9_-]{43})"/.exec(page)?.[1] ?? '';
  const boxes = new Map<string, string>();
  for (const match of page.matchAll(
    /<tr data-group="(sg-[0-9a-f]+)"><td class="pick"><input type="checkbox" name="select" value="(\d+)"/g,
  ))
    boxes.set(match[1] as string, match[2] as string);
  return { csrf, boxes };
}

describe('one decision per batch', () => {
  it('several runs waiting at once: ONE notice; approve-selected resumes exactly those, the rest are rolled back', async () => {
    const org = organization(PLACES, {
      digestWindowSeconds: WINDOW,
      approvalMode: 'when-in-use',
      linkBaseUrl: LINK_BASE,
    });
    const notices = (org.sessions[0] ?? { notifications: [] }).notifications;
    web = createWebApproval(org.deps, { print: () => {} });
    let waiting = 0;
    const runs: Promise<ExecutionResult>[] = PLACES.map((place, index) =>
      runMachine(
        'remediate',
        { accountId: place.accountId, region: place.region, groupId: org.groups[index] },
        {
          deps: org.deps,
          executionName: `rem-digest-${index}`,
          approver: (request) => {
            waiting++;
            return (web as WebApproval).approver(request);
          },
        },
      ),
    );
    // The run nobody uses needs no approval: it finishes; the three others wait.
    const lone = await runs[3];
    expect(lone?.output).toMatchObject({ outcome: 'remediated' });
    await until(() => waiting === 3, 'three runs waiting for approval');
    expect(notices, 'no run sends its own approval request or completion notice').toEqual([]);

    // Before the window has passed, the sender sends nothing; after, one notice for the four runs.
    expect(await sendDigests({}, org.deps)).toEqual({ windows: 0, notices: 0 });
    org.advance(WINDOW);
    expect(await sendDigests({}, org.deps)).toEqual({ windows: 1, notices: 1 });
    expect(await sendDigests({}, org.deps), 'a window is sent once').toEqual({ windows: 0, notices: 0 });
    expect(notices).toHaveLength(1);
    const notice = notices[0] ?? { subject: '', message: '' };
    expect(notice.subject).toMatch(/^Approve 3 EC2\.2 remediation\(s\) in 3 account\(s\)/);
    for (const group of org.groups) expect(notice.message).toContain(group);
    expect(notice.message).toContain('Account 111111111111, eu-west-1 (1):');
    expect(notice.message).toContain('done without approval (nothing used it)');
    expect(notice.message).not.toContain('/approvals/');
    const digestId = /\/digests\/([A-Za-z0-9_-]{24})/.exec(notice.message)?.[1];
    expect(digestId).toBeDefined();

    // The page (served by the links handler, as in the deployment): approve the first and third, not the second.
    const url = `${web.origin}/digests/${digestId}`;
    const page = await (await fetch(url)).text();
    const { csrf, boxes } = readForm(page);
    expect([...boxes.keys()].sort()).toEqual([org.groups[0], org.groups[1], org.groups[2]].sort());
    const form = new URLSearchParams([
      ['csrf', csrf],
      ['select', boxes.get(org.groups[0] as string) as string],
      ['select', boxes.get(org.groups[2] as string) as string],
      ['decision', 'approve-selected'],
    ]);
    const decided = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: form.toString(),
    });
    expect(decided.status).toBe(200);
    expect(await decided.text()).toContain('3 of 3 run(s) decided now.');

    const [first, second, third] = await Promise.all(runs.slice(0, 3));
    expect(first?.output).toMatchObject({ outcome: 'remediated' });
    expect(second?.output).toMatchObject({ outcome: 'rejected' });
    expect(third?.output).toMatchObject({ outcome: 'remediated' });
    // Approved: stripped. Rejected: its default group keeps its rules and no copy is left.
    for (const index of [0, 2, 3]) {
      const session = org.sessions[index];
      if (!session) throw new Error('no session');
      const group = groupById(session.simulator.toState(), org.groups[index] as string);
      expect(group.IpPermissions ?? []).toEqual([]);
      expect(group.IpPermissionsEgress ?? []).toEqual([]);
    }
    const rejected = org.sessions[1];
    if (!rejected) throw new Error('no session');
    const after = rejected.simulator.toState();
    expect(groupById(after, org.groups[1] as string).IpPermissions).toEqual(
      groupById(rejected.original, org.groups[1] as string).IpPermissions,
    );
    expect(newGroups(rejected.original, after)).toEqual([]);

    // The same decision again: nothing is decided twice.
    const again = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams([
        ['csrf', csrf],
        ['decision', 'approve-all'],
      ]).toString(),
    });
    expect(again.status).toBe(409);
    expect(await again.text()).toContain('already decided before: not changed now');

    // The three outcomes ended together: one more notice, for the next window, not three.
    expect(notices, JSON.stringify(notices.slice(1))).toHaveLength(1);
    org.advance(WINDOW);
    expect(await sendDigests({}, org.deps)).toEqual({ windows: 1, notices: 1 });
    expect(notices).toHaveLength(2);
    expect(notices[1]?.subject).toMatch(/^EC2\.2 batch: /);
    expect(notices[1]?.message).toContain('2 done');
    expect(notices[1]?.message).toContain('1 rejected, put back as it was');
  }, 120_000);

  it('a single run in its window gets its own approval request and completion notice, as without digests', async () => {
    const org = organization([PLACES[0] as Place], { digestWindowSeconds: WINDOW, linkBaseUrl: LINK_BASE });
    const notices = (org.sessions[0] ?? { notifications: [] }).notifications;
    let asked = false;
    let release: (decision: 'approved') => void = () => {};
    const run = runMachine(
      'remediate',
      { accountId: '111111111111', region: 'us-east-1', groupId: org.groups[0] },
      {
        deps: org.deps,
        executionName: 'rem-digest-single',
        approver: () => {
          asked = true;
          return new Promise((resolve) => {
            release = resolve;
          });
        },
      },
    );
    await until(() => asked, 'the run waiting for approval');
    expect(notices).toEqual([]);
    org.advance(WINDOW);
    expect(await sendDigests({}, org.deps)).toEqual({ windows: 1, notices: 1 });
    expect(notices[0]?.subject).toBe(`Approve EC2.2 remediation of ${org.groups[0]} (111111111111 us-east-1)`);
    expect(notices[0]?.message).toMatch(
      /Review and decide: https:\/\/links\.example\.com\/approvals\/[A-Za-z0-9_-]{24}/,
    );
    release('approved');
    expect((await run).output).toMatchObject({ outcome: 'remediated' });
    org.advance(WINDOW);
    await sendDigests({}, org.deps);
    expect(notices).toHaveLength(2);
    expect(notices[1]?.subject).toBe(`EC2.2 remediated: ${org.groups[0]}`);
    expect(notices[1]?.message).toMatch(/Roll back with one click .*https:\/\/links\.example\.com\/rollbacks\//);
  }, 60_000);
});
