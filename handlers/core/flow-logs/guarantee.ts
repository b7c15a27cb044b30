/**
 * What a proposal promises, checked with the traffic model (handlers/core/reachability.ts): every accepted flow the
 * logs show that the state allowed before tightening is still allowed after, and the allowed port space between
 * interfaces shrinks. Pure.
 */
import type { Ec2State } from '../ec2-shapes.ts';
import { computeFlows, type FlowModel, type OutsideView, parseIpv4, parseIpv6 } from '../reachability.ts';
import type { Observations } from './aggregate.ts';
import { type Proposal, permissionsOf } from './propose.ts';

/** The state with the group's rules replaced by the proposal's; nothing else changes. */
export function tightenedState(state: Ec2State, proposal: Proposal): Ec2State {
  const { ingress, egress } = permissionsOf(proposal.rules);
  return {
    ...state,
    SecurityGroups: state.SecurityGroups.map((group) =>
      group.GroupId === proposal.groupId ? { ...group, IpPermissions: ingress, IpPermissionsEgress: egress } : group,
    ),
  };
}

/** One observed connection: who opened it, to whom, on what. Ends are interface ids or outside addresses. */
export interface ObservedConnection {
  from: { interfaceId: string } | { address: string };
  to: { interfaceId: string } | { address: string };
  protocol: number;
  /** The listener's port (tcp/udp); -1 when the protocol has none. */
  port: number;
}

/**
 * The connections the observations show, each orientation of an uncertain flow included (the proposal must allow
 * whichever it was). Peers the reader summarised past its cap are not listed one by one: the proposal widened to a
 * block holding them.
 */
export function observedConnections(state: Ec2State, observations: Observations): ObservedConnection[] {
  const byAddress = new Map<string, string>();
  for (const eni of state.NetworkInterfaces) {
    if (!eni.NetworkInterfaceId) continue;
    for (const address of [
      eni.PrivateIpAddress,
      ...(eni.PrivateIpAddresses ?? []).map((a) => a.PrivateIpAddress),
      eni.Ipv6Address,
      ...(eni.Ipv6Addresses ?? []).map((a) => a.Ipv6Address),
    ])
      if (address && !byAddress.has(address.toLowerCase()))
        byAddress.set(address.toLowerCase(), eni.NetworkInterfaceId);
  }
  const out: ObservedConnection[] = [];
  for (const bucket of observations.buckets) {
    const uncertain = bucket.evidence['tcp-flags'] + bucket.evidence['port pattern'] === 0;
    const orientations: ['local' | 'peer', number][] = [[bucket.opener, bucket.port]];
    if (uncertain) orientations.push([bucket.opener === 'local' ? 'peer' : 'local', bucket.otherPort]);
    for (const address of bucket.peers.keys()) {
      const peerId = byAddress.get(address.toLowerCase());
      const peer = peerId ? { interfaceId: peerId } : { address };
      const local = { interfaceId: bucket.interfaceId };
      for (const [opener, port] of orientations) {
        if ((bucket.protocol === 6 || bucket.protocol === 17) && port < 0) continue;
        out.push(
          opener === 'local'
            ? { from: local, to: peer, protocol: bucket.protocol, port }
            : { from: peer, to: local, protocol: bucket.protocol, port },
        );
      }
    }
  }
  return out;
}

/** Whether a traffic key (reachability.ts's canonical `proto-range:value-ranges;…`) holds (protocol, value). */
export function trafficIncludes(key: string, protocol: number, value: number): boolean {
  if (key === '') return false;
  for (const part of key.split(';')) {
    const [protocols = '', values = ''] = part.split(':');
    const [lo, hi = lo] = protocols.split('-').map(Number) as [number, number?];
    if (protocol < lo || protocol > (hi as number)) continue;
    for (const span of values.split(',')) {
      const [from, to = from] = span.split('-').map(Number) as [number, number?];
      if (value >= from && value <= (to as number)) return true;
    }
  }
  return false;
}

/** The value the model keys a connection's traffic by: the port, or 0 for protocols without ports (all values). */
function modelValue(connection: ObservedConnection): number {
  return connection.port < 0 ? 0 : connection.port;
}

function outsideAllows(view: OutsideView | undefined, address: string, protocol: number, value: number): boolean {
  if (!view) return false;
  const v6 = address.includes(':');
  const point = v6 ? parseIpv6(address) : parseIpv4(address);
  if (point === undefined) return false;
  const parse = v6 ? parseIpv6 : parseIpv4;
  for (const segment of v6 ? view.ipv6 : view.ipv4) {
    const first = parse(segment.first) as bigint;
    const last = parse(segment.last) as bigint;
    if (point >= first && point <= last && trafficIncludes(segment.traffic, protocol, value)) return true;
  }
  return false;
}

/** Whether the model allows the connection. */
export function allows(model: FlowModel, connection: ObservedConnection): boolean {
  const value = modelValue(connection);
  const { from, to, protocol } = connection;
  if ('interfaceId' in from && 'interfaceId' in to)
    return trafficIncludes(model.flows[from.interfaceId]?.[to.interfaceId] ?? '', protocol, value);
  if ('interfaceId' in from && 'address' in to)
    return outsideAllows(model.outbound[from.interfaceId], to.address, protocol, value);
  if ('address' in from && 'interfaceId' in to)
    return outsideAllows(model.inbound[to.interfaceId], from.address, protocol, value);
  return false;
}

export function describeConnection(connection: ObservedConnection): string {
  const end = (e: ObservedConnection['from']) => ('interfaceId' in e ? e.interfaceId : e.address);
  const what =
    connection.port < 0
      ? `protocol ${connection.protocol}`
      : `${connection.protocol === 6 ? 'tcp' : connection.protocol === 17 ? 'udp' : `protocol ${connection.protocol}`} ${connection.port}`;
  return `${end(connection.from)} → ${end(connection.to)} ${what}`;
}

export interface GuaranteeCheck {
  /** Connections checked (observed, allowed before). */
  checked: number;
  /** Observed connections the state did not allow before (the logs and the state disagree: left out of the promise). */
  notAllowedBefore: string[];
  /** Connections allowed before and not after: must be empty. */
  broken: string[];
  /** Allowed (protocol, value) points summed over ordered pairs of interfaces with a member at one end. */
  portSpaceBefore: number;
  portSpaceAfter: number;
}

/** The number of (protocol, value) points in a traffic key. */
export function trafficSize(key: string): number {
  if (key === '') return 0;
  let size = 0;
  for (const part of key.split(';')) {
    const [protocols = '', values = ''] = part.split(':');
    const [lo, hi = lo] = protocols.split('-').map(Number) as [number, number?];
    let width = 0;
    for (const span of values.split(',')) {
      const [from, to = from] = span.split('-').map(Number) as [number, number?];
      width += (to as number) - from + 1;
    }
    size += ((hi as number) - lo + 1) * width;
  }
  return size;
}

function portSpace(model: FlowModel): number {
  const sizes = new Map<string, number>();
  let total = 0;
  for (const row of Object.values(model.flows))
    for (const key of Object.values(row)) {
      let size = sizes.get(key);
      if (size === undefined) {
        size = trafficSize(key);
        sizes.set(key, size);
      }
      total += size;
    }
  return total;
}

/**
 * Checks the proposal against the observations with the traffic model of the state before and after (pairs with a
 * member of the group at one end, and the members' outside views). O(n·m) for n interfaces and m members.
 */
export function checkGuarantee(state: Ec2State, proposal: Proposal, observations: Observations): GuaranteeCheck {
  const members = state.NetworkInterfaces.filter((eni) =>
    (eni.Groups ?? []).some((g) => g.GroupId === proposal.groupId),
  ).map((eni) => eni.NetworkInterfaceId as string);
  const before = computeFlows(state, { interfaces: members });
  const after = computeFlows(tightenedState(state, proposal), { interfaces: members });
  const notAllowedBefore: string[] = [];
  const broken: string[] = [];
  let checked = 0;
  for (const connection of observedConnections(state, observations)) {
    if (!allows(before, connection)) {
      notAllowedBefore.push(describeConnection(connection));
      continue;
    }
    checked++;
    if (!allows(after, connection)) broken.push(describeConnection(connection));
  }
  return { checked, notAllowedBefore, broken, portSpaceBefore: portSpace(before), portSpaceAfter: portSpace(after) };
}
