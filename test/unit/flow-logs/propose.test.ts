/**
 * The proposal: least-privilege rules for the copy from what its members did in the window (issue 14), and honesty
 * about the window. States are built as EC2 describes them; lines as the service writes them.
 */
import { describe, expect, it } from 'vitest';
import type { Ec2State } from '../../../handlers/core/ec2-shapes.ts';
import { FlowAggregator, type Observations, readLines } from '../../../handlers/core/flow-logs/aggregate.ts';
import { parseLogFormat, RECOMMENDED_LOG_FORMAT } from '../../../handlers/core/flow-logs/format.ts';
import { checkGuarantee, tightenedState } from '../../../handlers/core/flow-logs/guarantee.ts';
import { membersOf, ProposalInputError, propose } from '../../../handlers/core/flow-logs/propose.ts';
import { ruleKey } from '../../../handlers/core/rules.ts';
import { plainCopy } from '../../support/flow-traffic.ts';
import { StateBuilder } from '../../support/generate-vpc.ts';

const DAY = 86400;
const START = Date.UTC(2026, 10, 1) / 1000;
const WINDOW = { start: START, end: START + 30 * DAY };

function scenario() {
  const builder = new StateBuilder({ salt: 7 });
  // A default group someone opened to the world on every tcp port, as real accounts have them.
  const vpc = builder.vpc({ cidr: '10.20.0.0/16' });
  builder.rule(vpc.defaultGroupId, 'ingress', { protocol: 'tcp', from: 0, to: 65535, peers: [{ cidr: '0.0.0.0/0' }] });
  const bastionGroup = builder.group(vpc, {
    name: 'bastion',
    egress: [{ protocol: 'tcp', port: 22, peers: [{ cidr: '10.20.0.0/16' }] }],
  });
  const eni = (groups: string[]) => builder.eni(vpc, { groups });
  const web = eni([vpc.defaultGroupId]);
  const app1 = eni([vpc.defaultGroupId]);
  const app2 = eni([vpc.defaultGroupId, bastionGroup]);
  const db = eni([vpc.defaultGroupId]);
  const bastion = eni([bastionGroup]);
  const { state, copyId } = plainCopy(builder.build(), vpc.defaultGroupId);
  const address = (id: string) =>
    state.NetworkInterfaces.find((e) => e.NetworkInterfaceId === id)?.PrivateIpAddress as string;
  return { state, copyId, bastionGroup, web, app1, app2, db, bastion, address, defaultGroupId: vpc.defaultGroupId };
}

/** One record in the recommended format: at `eni`, src → dst, flags (or '-'), direction. */
function rec(
  eni: string,
  src: string,
  dst: string,
  sport: number,
  dport: number,
  protocol: number,
  flags: number | '-',
  direction: 'ingress' | 'egress',
  day = 0,
) {
  const t = START + day * DAY + 600;
  return `5 111122223333 ${eni} ${src} ${dst} ${sport} ${dport} ${protocol} 4 320 ${t} ${t + 60} ACCEPT OK ${flags} ${src} ${dst} ${direction}`;
}

async function observe(state: Ec2State, copyId: string, lines: string[]): Promise<Observations> {
  const aggregator = new FlowAggregator({ interfaces: membersOf(state, copyId), window: WINDOW });
  await readLines(lines, aggregator, parseLogFormat(RECOMMENDED_LOG_FORMAT));
  return aggregator.observations();
}

describe('propose', () => {
  it('turns the observed flows into rules: groups for interfaces, blocks for the rest, one 0.0.0.0/0 for many, listener by flags or ports', async () => {
    const s = scenario();
    const lines = [
      // An internet client opens tcp 443 on the web server (SYN at the web server).
      rec(s.web, '203.0.113.7', s.address(s.web), 51515, 443, 6, 2, 'ingress'),
      // The web server opens 8080 on app1: no flags (a later interval), the port pattern decides.
      rec(s.web, s.address(s.web), s.address(s.app1), 40001, 8080, 6, 0, 'egress'),
      // app1 opens 5432 on the database: only the database's records (flags SYN, then SYN-ACK back).
      rec(s.db, s.address(s.app1), s.address(s.db), 40002, 5432, 6, 2, 'ingress'),
      rec(s.db, s.address(s.db), s.address(s.app1), 5432, 40002, 6, 18, 'egress'),
      // The bastion (another group) opens ssh on app2.
      rec(s.app2, s.address(s.bastion), s.address(s.app2), 40003, 22, 6, '-', 'ingress'),
      // DNS to the VPC resolver (not an interface).
      rec(s.app1, s.address(s.app1), '10.20.0.2', 40004, 53, 17, '-', 'egress'),
      // app1 calls 20 internet addresses on 443: one rule to 0.0.0.0/0.
      ...Array.from({ length: 20 }, (_, i) =>
        rec(s.app1, s.address(s.app1), `198.51.100.${i + 1}`, 41000 + i, 443, 6, 2, 'egress'),
      ),
      // Two high ports, no flags: uncertain, allowed both ways round.
      rec(s.app2, s.address(s.app2), '192.0.2.10', 20000, 9000, 6, 0, 'egress'),
      // A rejected probe proposes nothing.
      rec(s.web, '192.0.2.99', s.address(s.web), 40000, 23, 6, 2, 'ingress').replace('ACCEPT', 'REJECT'),
    ];
    const observations = await observe(s.state, s.copyId, lines);
    const proposal = propose(s.state, s.copyId, observations);
    const words = proposal.rules.map((r) => `${ruleKey(r.rule)} (${r.certainty})`);
    const copy = `sg:${s.copyId}`;
    expect(words).toEqual(
      [
        `egress|tcp|443-443|cidr4:0.0.0.0/0 (tcp-flags)`,
        `egress|tcp|5432-5432|${copy} (tcp-flags)`,
        `egress|tcp|8080-8080|${copy} (port pattern)`,
        `egress|tcp|9000-9000|cidr4:192.0.2.10/32 (uncertain)`,
        `egress|udp|53-53|cidr4:10.20.0.2/32 (port pattern)`,
        `ingress|tcp|20000-20000|cidr4:192.0.2.10/32 (uncertain)`,
        `ingress|tcp|22-22|sg:${s.bastionGroup} (port pattern)`,
        `ingress|tcp|443-443|cidr4:203.0.113.7/32 (tcp-flags)`,
        `ingress|tcp|5432-5432|${copy} (tcp-flags)`,
        `ingress|tcp|8080-8080|${copy} (port pattern)`,
      ].sort(),
    );
    // Records behind each rule: the database's two records (SYN in, SYN-ACK out) of one connection, the 20 calls out.
    const records = Object.fromEntries(proposal.rules.map((r) => [ruleKey(r.rule), r.records]));
    expect(records[`ingress|tcp|5432-5432|${copy}`]).toBe(2);
    expect(records[`egress|tcp|8080-8080|${copy}`]).toBe(1);
    expect(records['egress|tcp|443-443|cidr4:0.0.0.0/0']).toBe(20);
    // The plain copy's two rules go.
    expect(proposal.revoke.map(ruleKey).sort()).toEqual([
      `egress|-1||cidr4:0.0.0.0/0`,
      `ingress|-1||${copy}`,
      `ingress|tcp|0-65535|cidr4:0.0.0.0/0`,
    ]);
    expect(proposal.add).toHaveLength(10);
    expect(proposal.tighten).toBe(true);
    // Classes: the three members on the copy alone, and app2 on the copy and the bastion group.
    expect(proposal.classes.map((c) => [c.groups.length, c.interfaces.length]).sort()).toEqual([
      [1, 3],
      [2, 1],
    ]);
    const guarantee = checkGuarantee(s.state, proposal, observations);
    expect(guarantee.broken).toEqual([]);
    expect(guarantee.checked).toBeGreaterThan(0);
    expect(guarantee.portSpaceAfter).toBeLessThan(guarantee.portSpaceBefore / 10);
  });

  it('only narrows: a flow the copy never let through that way (the wrong guess of an uncertain one) gets no rule', async () => {
    const s = scenario();
    const { state, copyId } = plainCopy(
      { ...s.state, SecurityGroups: s.state.SecurityGroups.filter((g) => g.GroupId !== s.copyId) },
      s.defaultGroupId,
    );
    // Restore the usual default rules on the source of this plain copy: inbound from itself only, all out.
    const usual = state.SecurityGroups.map((g) =>
      g.GroupId === copyId
        ? {
            ...g,
            IpPermissions: [{ IpProtocol: '-1', UserIdGroupPairs: [{ GroupId: copyId }] }],
            IpPermissionsEgress: [{ IpProtocol: '-1', IpRanges: [{ CidrIp: '0.0.0.0/0' }] }],
          }
        : g,
    );
    const plain = { ...state, SecurityGroups: usual };
    const lines = [rec(s.app2, s.address(s.app2), '192.0.2.10', 20000, 9000, 6, 0, 'egress')];
    const proposal = propose(plain, copyId, await observe(plain, copyId, lines));
    expect(proposal.rules.map((r) => `${ruleKey(r.rule)} (${r.certainty})`)).toEqual([
      'egress|tcp|9000-9000|cidr4:192.0.2.10/32 (uncertain)',
    ]);
  });

  it('merges adjacent ports into one range and exact sibling addresses into their block, nothing wider', async () => {
    const s = scenario();
    const lines = [8080, 8081, 8082, 9090].flatMap((port) => [
      rec(s.app1, '10.99.0.4', s.address(s.app1), 40000, port, 6, 2, 'ingress'),
      rec(s.app1, '10.99.0.5', s.address(s.app1), 40000, port, 6, 2, 'ingress'),
    ]);
    const proposal = propose(s.state, s.copyId, await observe(s.state, s.copyId, lines));
    expect(proposal.rules.map((r) => ruleKey(r.rule))).toEqual([
      'ingress|tcp|8080-8082|cidr4:10.99.0.4/31',
      'ingress|tcp|9090-9090|cidr4:10.99.0.4/31',
    ]);
  });

  it('widens many private peers to the smallest block holding them, not to 0.0.0.0/0', async () => {
    const s = scenario();
    const lines = Array.from({ length: 12 }, (_, i) =>
      rec(s.db, `10.30.${i}.9`, s.address(s.db), 40000, 5432, 6, 2, 'ingress'),
    );
    const proposal = propose(s.state, s.copyId, await observe(s.state, s.copyId, lines));
    expect(proposal.rules.map((r) => ruleKey(r.rule))).toEqual(['ingress|tcp|5432-5432|cidr4:10.30.0.0/20']);
  });

  it('is honest about the window: coverage, the 14-day warning, gaps, interfaces without records, monthly jobs', async () => {
    const s = scenario();
    const lines = [0, 1, 2, 9].map((day) =>
      rec(s.web, '203.0.113.7', s.address(s.web), 51515, 443, 6, 2, 'ingress', day),
    );
    const proposal = propose(s.state, s.copyId, await observe(s.state, s.copyId, lines));
    expect(proposal.window).toMatchObject({ days: 30, coveredDays: 0.2 });
    expect(proposal.window.gaps).toHaveLength(3);
    const text = proposal.warnings.join('\n');
    expect(text).toMatch(/cover 0.2 of the 30 days asked for \(under 14\)/);
    expect(text).toMatch(/3 gap\(s\)/);
    expect(text).toMatch(/3 interface\(s\) of the group have no record in the window/);
    expect(text).toMatch(/monthly or quarterly/);
  });

  it('without any record tightens nothing and offers the command that turns flow logs on with the recommended format', async () => {
    const s = scenario();
    const proposal = propose(s.state, s.copyId, await observe(s.state, s.copyId, []));
    expect(proposal.tighten).toBe(false);
    expect(proposal.add).toEqual([]);
    expect(proposal.revoke).toEqual([]);
    expect(tightenedState(s.state, proposal)).toEqual(s.state);
    expect(proposal.warnings[0]).toContain('aws ec2 create-flow-logs --resource-type VPC --resource-ids vpc-');
    expect(proposal.warnings[0]).toContain(RECOMMENDED_LOG_FORMAT);
  });

  it('refuses a group that is not in the state, naming it', () => {
    const s = scenario();
    expect(() => membersOf(s.state, 'sg-0123456789abcdef0')).toThrow(
      new ProposalInputError('group sg-0123456789abcdef0 is not in the state'),
    );
  });
});
