/**
 * The guarantee of issue 14, as properties over random small VPCs and random flow logs of them:
 * - every accepted flow in the window that the state allowed is still allowed after tightening (traffic model);
 * - nothing outside the proposal changes (other groups, every interface, the copy's name and description);
 * - the proposal is deterministic: the same records in another order give the same proposal.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FlowAggregator, readLines } from '../../../handlers/core/flow-logs/aggregate.ts';
import { DEFAULT_LOG_FORMAT, parseLogFormat, RECOMMENDED_LOG_FORMAT } from '../../../handlers/core/flow-logs/format.ts';
import { checkGuarantee, tightenedState } from '../../../handlers/core/flow-logs/guarantee.ts';
import { membersOf, propose } from '../../../handlers/core/flow-logs/propose.ts';
import { ruleKey, rulesOf } from '../../../handlers/core/rules.ts';
import { plainCopy } from '../../support/flow-traffic.ts';
import { StateBuilder } from '../../support/generate-vpc.ts';

const DAY = 86400;
const START = Date.UTC(2026, 10, 1) / 1000;
const WINDOW = { start: START, end: START + 30 * DAY };

type End = { member: number } | { other: number } | { outside: number };

interface FlowSpec {
  opener: End;
  listener: End;
  protocol: 6 | 17 | 1;
  port: number;
  clientPort: number;
  /** SYN/SYN-ACK on the records (tcp, recommended format only). */
  syn: boolean;
  day: number;
}

const endArb: fc.Arbitrary<End> = fc.oneof(
  fc.record({ member: fc.nat(5) }),
  fc.record({ other: fc.nat(2) }),
  fc.record({ outside: fc.nat(30) }),
);

const flowArb: fc.Arbitrary<FlowSpec> = fc.record({
  opener: endArb,
  listener: endArb,
  protocol: fc.constantFrom(6 as const, 6 as const, 17 as const, 1 as const),
  port: fc.oneof(fc.constantFrom(22, 53, 443, 5432, 8080, 8081), fc.integer({ min: 1, max: 65535 })),
  clientPort: fc.oneof(fc.integer({ min: 32768, max: 60999 }), fc.integer({ min: 1, max: 65535 })),
  syn: fc.boolean(),
  day: fc.nat(29),
});

const scenarioArb = fc.record({
  members: fc.integer({ min: 1, max: 6 }),
  others: fc.integer({ min: 0, max: 3 }),
  /** Which members are also in the app group, which others are in it (else in the tools group). */
  alsoApp: fc.array(fc.boolean(), { minLength: 6, maxLength: 6 }),
  otherInApp: fc.array(fc.boolean(), { minLength: 3, maxLength: 3 }),
  appIngressFromCopy: fc.constantFrom(-1, 22, 443, 8080),
  flows: fc.array(flowArb, { maxLength: 25 }),
  recommended: fc.boolean(),
  order: fc.array(fc.nat(), { maxLength: 80 }),
});

type Scenario = typeof scenarioArb extends fc.Arbitrary<infer T> ? T : never;

function outsideAddress(n: number): string {
  return n % 3 === 0 ? `10.50.0.${n + 1}` : `203.0.113.${n + 1}`;
}

function build(spec: Scenario) {
  const builder = new StateBuilder({ salt: 11 });
  const vpc = builder.vpc({ cidr: '10.20.0.0/16' });
  const app = builder.group(vpc, {
    name: 'app',
    ingress:
      spec.appIngressFromCopy < 0
        ? [{ protocol: '-1', peers: [{ group: vpc.defaultGroupId }] }]
        : [{ protocol: 'tcp', port: spec.appIngressFromCopy, peers: [{ group: vpc.defaultGroupId }] }],
    egress: [{ protocol: '-1', peers: [{ cidr: '0.0.0.0/0' }] }],
  });
  const tools = builder.group(vpc, {
    name: 'tools',
    ingress: [{ protocol: 'tcp', from: 0, to: 65535, peers: [{ cidr: '10.20.0.0/16' }] }],
    egress: [{ protocol: 'udp', from: 0, to: 65535, peers: [{ cidr: '0.0.0.0/0' }] }],
  });
  const members = Array.from({ length: spec.members }, (_, i) =>
    builder.eni(vpc, { groups: spec.alsoApp[i] ? [vpc.defaultGroupId, app] : [vpc.defaultGroupId] }),
  );
  const others = Array.from({ length: spec.others }, (_, i) =>
    builder.eni(vpc, { groups: [spec.otherInApp[i] ? app : tools] }),
  );
  const { state, copyId } = plainCopy(builder.build(), vpc.defaultGroupId);
  const addressOf = (id: string) =>
    state.NetworkInterfaces.find((e) => e.NetworkInterfaceId === id)?.PrivateIpAddress as string;
  return { state, copyId, members, others, addressOf };
}

/** The records the service would write for the flows, at each end that is an interface. */
function linesFor(spec: Scenario, built: ReturnType<typeof build>): string[] {
  const resolve = (end: End): { id?: string; address: string } | undefined => {
    if ('member' in end) {
      const id = built.members[end.member % built.members.length] as string;
      return { id, address: built.addressOf(id) };
    }
    if ('other' in end) {
      if (built.others.length === 0) return undefined;
      const id = built.others[end.other % built.others.length] as string;
      return { id, address: built.addressOf(id) };
    }
    return { address: outsideAddress(end.outside) };
  };
  const lines: string[] = [];
  for (const flow of spec.flows) {
    const opener = resolve(flow.opener);
    const listener = resolve(flow.listener);
    if (!opener || !listener || opener.address === listener.address) continue;
    const t = START + flow.day * DAY + 300;
    const icmp = flow.protocol === 1;
    const [sport, dport] = icmp ? [0, 0] : [flow.clientPort, flow.port];
    const record = (eni: string, src: string, dst: string, sp: number, dp: number, flags: number, direction: string) =>
      spec.recommended
        ? `5 111122223333 ${eni} ${src} ${dst} ${sp} ${dp} ${flow.protocol} 3 200 ${t} ${t + 60} ACCEPT OK ${flow.protocol === 6 ? flags : '-'} ${src} ${dst} ${direction}`
        : `2 111122223333 ${eni} ${src} ${dst} ${sp} ${dp} ${flow.protocol} 3 200 ${t} ${t + 60} ACCEPT OK`;
    const syn = flow.syn && flow.protocol === 6;
    if (opener.id) lines.push(record(opener.id, opener.address, listener.address, sport, dport, syn ? 2 : 0, 'egress'));
    if (listener.id) {
      lines.push(record(listener.id, opener.address, listener.address, sport, dport, syn ? 2 : 0, 'ingress'));
      lines.push(record(listener.id, listener.address, opener.address, dport, sport, syn ? 18 : 0, 'egress'));
    }
  }
  return lines;
}

async function proposalFor(spec: Scenario, built: ReturnType<typeof build>, lines: string[]) {
  const aggregator = new FlowAggregator({ interfaces: membersOf(built.state, built.copyId), window: WINDOW });
  await readLines(lines, aggregator, parseLogFormat(spec.recommended ? RECOMMENDED_LOG_FORMAT : DEFAULT_LOG_FORMAT));
  const observations = aggregator.observations();
  return { observations, proposal: propose(built.state, built.copyId, observations) };
}

function shuffled<T>(items: readonly T[], order: readonly number[]): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = (order[i % Math.max(1, order.length)] ?? i) % (i + 1);
    [out[i], out[j]] = [out[j] as T, out[i] as T];
  }
  return out;
}

describe('the guarantee of a tightening (property tests)', () => {
  it('every accepted flow the state allowed is still allowed after tightening', async () => {
    await fc.assert(
      fc.asyncProperty(scenarioArb, async (spec) => {
        const built = build(spec);
        const { observations, proposal } = await proposalFor(spec, built, linesFor(spec, built));
        const check = checkGuarantee(built.state, proposal, observations);
        expect(check.broken).toEqual([]);
        // The plain copy allows everything between members and out: every observed connection of a member was
        // allowed before unless the other end's own group refuses it.
        if (proposal.tighten) expect(check.portSpaceAfter).toBeLessThanOrEqual(check.portSpaceBefore);
      }),
      { numRuns: 150 },
    );
  });

  it('nothing outside the proposal changes: other groups, interfaces, and the copy but for its rules', async () => {
    await fc.assert(
      fc.asyncProperty(scenarioArb, async (spec) => {
        const built = build(spec);
        const { proposal } = await proposalFor(spec, built, linesFor(spec, built));
        const after = tightenedState(built.state, proposal);
        expect(after.NetworkInterfaces).toEqual(built.state.NetworkInterfaces);
        const others = (state: typeof after) => state.SecurityGroups.filter((g) => g.GroupId !== built.copyId);
        expect(others(after)).toEqual(others(built.state));
        const copyBefore = built.state.SecurityGroups.find((g) => g.GroupId === built.copyId);
        const copyAfter = after.SecurityGroups.find((g) => g.GroupId === built.copyId);
        const { IpPermissions: _a, IpPermissionsEgress: _b, ...restBefore } = copyBefore ?? {};
        const { IpPermissions: _c, IpPermissionsEgress: _d, ...restAfter } = copyAfter ?? {};
        expect(restAfter).toEqual(restBefore);
        // Revoking `revoke` and authorizing `add` takes the copy's current rules exactly to the proposed ones.
        const current = rulesOf(copyBefore ?? {}).map(ruleKey);
        const revoked = new Set(proposal.revoke.map(ruleKey));
        const reached = new Set([...current.filter((key) => !revoked.has(key)), ...proposal.add.map(ruleKey)]);
        expect([...reached].sort()).toEqual(proposal.rules.map((r) => ruleKey(r.rule)).sort());
      }),
      { numRuns: 100 },
    );
  });

  it('is deterministic: the same records in any order give the same proposal', async () => {
    await fc.assert(
      fc.asyncProperty(scenarioArb, async (spec) => {
        const built = build(spec);
        const lines = linesFor(spec, built);
        const a = await proposalFor(spec, built, lines);
        const b = await proposalFor(spec, built, shuffled(lines, spec.order));
        expect(b.proposal).toEqual(a.proposal);
      }),
      { numRuns: 100 },
    );
  });
});
