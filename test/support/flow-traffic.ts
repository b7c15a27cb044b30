/**
 * Flow log traffic for tests, the benchmark and the README sample: a state after a plain copy (every interface of the
 * default group moved to a copy that keeps the default group's rules), and flow log lines for that state, as the
 * service writes them (https://docs.aws.amazon.com/vpc/latest/userguide/flow-log-records.html), seeded.
 *
 * Every record is one the plain copy accepts (the default group's rules: all from its members, all out). Roles of the
 * copy's members (by their order): one in ten a web server (tcp 443 from other members), six in ten
 * an application server (tcp 8080 from web servers), one in ten a database (tcp 5432 from application servers), the
 * rest workers; every member resolves names (udp 53 to the VPC resolver, not an interface) and calls HTTPS APIs on
 * the internet (tcp 443 to many addresses). A connection is written as one record per end that is a member, in the
 * recommended custom format; `synShare` of them carry SYN / SYN-ACK, the rest no flags (later intervals).
 */
import type { Ec2State } from '../../handlers/core/ec2-shapes.ts';
import { DEFAULT_FIELDS, type FlowLogField, RECOMMENDED_LOG_FORMAT } from '../../handlers/core/flow-logs/format.ts';
import { mulberry32 } from './generate-vpc.ts';

export { RECOMMENDED_LOG_FORMAT };

/** The state with the default group's members moved to a copy holding the default group's rules (self → copy). */
export function plainCopy(state: Ec2State, defaultGroupId: string): { state: Ec2State; copyId: string } {
  const source = state.SecurityGroups.find((group) => group.GroupId === defaultGroupId);
  if (!source) throw new Error(`no group ${defaultGroupId}`);
  const copyId = 'sg-0c0ffee0c0ffee001';
  const retarget = (permissions = source.IpPermissions ?? []) =>
    permissions.map((p) => ({
      ...p,
      UserIdGroupPairs: (p.UserIdGroupPairs ?? []).map((pair) =>
        pair.GroupId === defaultGroupId ? { ...pair, GroupId: copyId } : pair,
      ),
    }));
  const copy = {
    ...source,
    GroupId: copyId,
    GroupName: 'default-copy',
    Description: 'copy of the default group',
    IpPermissions: retarget(source.IpPermissions),
    IpPermissionsEgress: retarget(source.IpPermissionsEgress),
  };
  const emptied = { ...source, IpPermissions: [], IpPermissionsEgress: [] };
  return {
    copyId,
    state: {
      SecurityGroups: [...state.SecurityGroups.map((g) => (g.GroupId === defaultGroupId ? emptied : g)), copy],
      NetworkInterfaces: state.NetworkInterfaces.map((eni) => ({
        ...eni,
        Groups: (eni.Groups ?? []).map((g) =>
          g.GroupId === defaultGroupId ? { GroupId: copyId, GroupName: 'default-copy' } : g,
        ),
      })),
    },
  };
}

export interface TrafficOptions {
  records: number;
  seed?: number;
  /** Window start, Unix seconds, and its length in days. */
  start: number;
  days: number;
  /** Share of connections written with SYN / SYN-ACK flags (the rest: 0). Default 0.4. */
  synShare?: number;
  /** Distinct internet addresses the members call on tcp 443. Default 2000. */
  apiAddresses?: number;
  /** `recommended` (default) or `default` (version 2: no flags, no direction). */
  format?: 'recommended' | 'default';
}

const ACCOUNT = '111122223333';
const RESOLVER = '10.20.0.2';

function publicAddress(n: number): string {
  // 198.18.0.0/15 (RFC 2544 benchmarking) and 203.0.113.0/24 are not EC2-private: they count as internet peers.
  return `198.${18 + ((n >> 16) & 1)}.${(n >> 8) & 255}.${n & 255}`;
}

/** Flow log lines (a header first) for the members of `copyId`, `records` of them (± one connection's second end). */
export function* flowLogLines(state: Ec2State, copyId: string, options: TrafficOptions): Generator<string> {
  const random = mulberry32(options.seed ?? 1);
  const synShare = options.synShare ?? 0.4;
  const apiAddresses = options.apiAddresses ?? 2000;
  const recommended = (options.format ?? 'recommended') === 'recommended';
  const members = state.NetworkInterfaces.filter((eni) => (eni.Groups ?? []).some((g) => g.GroupId === copyId))
    .map((eni) => ({ id: eni.NetworkInterfaceId as string, address: eni.PrivateIpAddress as string }))
    .sort((a, b) => (a.id < b.id ? -1 : 1));
  if (members.length === 0) return;
  const role = (i: number) => (i % 10 === 0 ? 'web' : i % 10 <= 6 ? 'app' : i % 10 === 7 ? 'db' : 'worker');
  const byRole = (name: string) => members.filter((_, i) => role(i) === name);
  const web = byRole('web');
  const app = byRole('app');
  const db = byRole('db');
  const pick = <T>(list: readonly T[]) => list[Math.floor(random() * list.length)] as T;
  const fields: FlowLogField[] = recommended
    ? [...DEFAULT_FIELDS, 'tcp-flags', 'pkt-srcaddr', 'pkt-dstaddr', 'flow-direction']
    : [...DEFAULT_FIELDS];
  yield fields.join(' ');

  const span = options.days * 86400;
  let written = 0;
  const line = (
    eni: string,
    src: string,
    dst: string,
    srcport: number,
    dstport: number,
    protocol: number,
    time: number,
    flags: number,
    direction: 'ingress' | 'egress',
  ) => {
    written++;
    const base = `${ACCOUNT} ${eni} ${src} ${dst} ${srcport} ${dstport} ${protocol} 4 320 ${time} ${time + 60} ACCEPT OK`;
    return recommended ? `5 ${base} ${protocol === 6 ? flags : '-'} ${src} ${dst} ${direction}` : `2 ${base}`;
  };
  while (written < options.records) {
    const time = options.start + Math.floor((random() * span) / 60) * 60;
    const ephemeral = 32768 + Math.floor(random() * 28232);
    const syn = random() < synShare;
    const kind = random();
    let client: { id?: string; address: string };
    let server: { id?: string; address: string };
    let port: number;
    let protocol = 6;
    if (kind < 0.15 && web.length > 0) {
      // Web servers behind an internal load balancer: members open 443 on them.
      client = pick(members);
      server = pick(web);
      port = 443;
    } else if (kind < 0.45 && app.length > 0) {
      client = pick(web.length > 0 ? web : members);
      server = pick(app);
      port = 8080;
    } else if (kind < 0.6 && db.length > 0) {
      client = pick(app.length > 0 ? app : members);
      server = pick(db);
      port = 5432;
    } else if (kind < 0.75) {
      client = pick(members);
      server = { address: RESOLVER };
      port = 53;
      protocol = 17;
    } else {
      client = pick(members);
      server = { address: publicAddress(65536 + Math.floor(random() * apiAddresses)) };
      port = 443;
    }
    // Traffic to oneself does not cross a security group (and is not a flow between two interfaces).
    if (client.id !== undefined && client.id === server.id) continue;
    // The opener's record (its packets to the listener), then the listener's record (its packets back).
    if (client.id)
      yield line(client.id, client.address, server.address, ephemeral, port, protocol, time, syn ? 2 : 0, 'egress');
    if (server.id)
      yield line(server.id, client.address, server.address, ephemeral, port, protocol, time, syn ? 2 : 0, 'ingress');
    if (server.id && written < options.records)
      yield line(server.id, server.address, client.address, port, ephemeral, protocol, time, syn ? 18 : 0, 'egress');
  }
}
