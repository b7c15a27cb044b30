/**
 * Realistic EC2 states for tests and benchmarks, in exactly the shape of `aws ec2 describe-security-groups` +
 * `aws ec2 describe-network-interfaces` output (the simulator's state file, see handlers/core/ec2-shapes.ts).
 *
 * - `StateBuilder`: small, consistent building blocks (VPCs with their default group, groups, rules, peering, ENIs).
 *   Ids look like AWS ids (`sg-` + 17 hex…) and are unique within a state; every ENI gets a private address from
 *   its subnet of the VPC CIDR; references to groups in another VPC carry the peering fields EC2 answers with.
 * - `vpcStateArbitrary`: fast-check arbitrary of small random, self-consistent states.
 * - `generateVpc`: deterministic large state for benchmarks (seeded PRNG, no fast-check).
 * - `checkState`: the consistency checker the tests apply to generated states and to the scenario files.
 */
import fc from 'fast-check';
import type {
  Ec2State,
  IpPermission,
  ManagedPrefixList,
  NetworkInterface,
  NetworkInterfaceAttachment,
  SecurityGroup,
  Tag,
  UserIdGroupPair,
} from '../../handlers/core/ec2-shapes.ts';
import type { OwnerService } from '../../handlers/core/owners/index.ts';
import {
  autoScalingGroup,
  batchComputeEnvironment,
  codebuildProject,
  dmsReplicationInstance,
  ecsAttachmentDescription,
  ecsService,
  ecsTask,
  type LaunchRecords,
  launchConfiguration,
  launchTemplate,
  redshiftCluster,
} from './owner-records.ts';

export const DEFAULT_GROUP_NAME = 'default';
export const DEFAULT_GROUP_DESCRIPTION = 'default VPC security group';
export const DEFAULT_ACCOUNT = '111122223333';
export const DEFAULT_REGION = 'us-east-1';
/** The rule quota per group, direction and IP version (EC2 default "Inbound or outbound rules per security group"). */
export const RULES_PER_DIRECTION_QUOTA = 60;
/** The quota of security groups per network interface (EC2 default). */
export const GROUPS_PER_INTERFACE_QUOTA = 5;

/** The GroupId of the group named `default` in the `vpcIndex`-th VPC (VPCs in order of first appearance in SecurityGroups). */
export function defaultGroupOf(state: Ec2State, vpcIndex = 0): string {
  const vpcs = [...new Set(state.SecurityGroups.map((group) => group.VpcId))];
  const vpcId = vpcs[vpcIndex];
  const group = state.SecurityGroups.find((g) => g.VpcId === vpcId && g.GroupName === DEFAULT_GROUP_NAME);
  if (vpcId === undefined || !group?.GroupId) throw new Error(`no default security group in VPC #${vpcIndex}`);
  return group.GroupId;
}

// ---------------------------------------------------------------------------------------------------------------
// Ids and numbers
// ---------------------------------------------------------------------------------------------------------------

/** murmur3 finalizer: a bijection on 32-bit integers, so distinct counters give distinct id suffixes. */
function fmix32(value: number): number {
  let h = value >>> 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

function hex8(value: number): string {
  return (value >>> 0).toString(16).padStart(8, '0');
}

function hashString(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

/** Mulberry32: a tiny seeded PRNG returning floats in [0, 1). */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** AWS-looking ids (`<prefix>-0` + 16 hex), unique per prefix: the last 8 hex digits are a bijection of a counter. */
class IdFactory {
  private readonly counters = new Map<string, number>();
  constructor(private readonly salt: number) {}

  next(prefix: string): string {
    const counter = this.counters.get(prefix) ?? 0;
    this.counters.set(prefix, counter + 1);
    const kind = hashString(prefix);
    const head = fmix32(this.salt ^ kind ^ Math.imul(counter + 1, 0x9e3779b1));
    const tail = fmix32((counter + fmix32(this.salt + kind)) >>> 0);
    return `${prefix}-0${hex8(head)}${hex8(tail)}`;
  }

  /** 32 hex digits in UUID layout (Lambda ENI descriptions). */
  uuid(): string {
    const a = this.next('uuid').slice(6);
    const b = this.next('uuid').slice(6);
    const h = `${a}${b}`;
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
  }
}

function ipv4ToInt(ip: string): number {
  const parts = ip.split('.').map(Number);
  return (((parts[0] ?? 0) << 24) | ((parts[1] ?? 0) << 16) | ((parts[2] ?? 0) << 8) | (parts[3] ?? 0)) >>> 0;
}

function intToIpv4(value: number): string {
  return [value >>> 24, (value >>> 16) & 255, (value >>> 8) & 255, value & 255].join('.');
}

// ---------------------------------------------------------------------------------------------------------------
// StateBuilder
// ---------------------------------------------------------------------------------------------------------------

/** One peer of a rule: a CIDR (`:` makes it IPv6), a prefix list, or a group (peering fields are filled in). */
export type PeerSpec = ({ cidr: string } | { prefixList: string } | { group: string }) & { description?: string };

/** One IpPermission as written: protocol, ports (`port` = from and to) and peers. Same protocol/ports are merged. */
export interface RuleSpec {
  protocol: string;
  port?: number;
  from?: number;
  to?: number;
  peers: PeerSpec[];
}

export type InterfaceKind = 'instance' | 'lambda' | 'rds' | 'elb';

export interface InterfaceSpec {
  /** Group ids, all in the interface's VPC. */
  groups: string[];
  /** Subnet index in the VPC (0–7); default 0. */
  subnet?: number;
  kind?: InterfaceKind;
  /** Number of IPv6 addresses (dual-stack VPCs only); default 0. */
  ipv6?: number;
  /** Extra private IPv4 addresses besides the primary one; default 0. */
  secondaryIps?: number;
  /** Lambda function / load balancer name for the description. */
  name?: string;
  description?: string;
  /** Instance ENIs: device index (0 = primary interface of the instance). */
  deviceIndex?: number;
  /** Instance ENIs: attach to this instance id instead of a new one. */
  instanceId?: string;
  tags?: Tag[];
}

export interface VpcSpec {
  /** IPv4 CIDR, a /16 (e.g. `10.0.0.0/16`). */
  cidr: string;
  /** IPv6 CIDR, a /56 (e.g. `2600:1f18:4b2:a800::/56`): dual-stack VPC. */
  ipv6Cidr?: string;
  /** The account owning the VPC and everything in it; default the builder's account. */
  ownerId?: string;
  /**
   * Rules of the VPC's default group: `usual` (what EC2 creates: inbound all from itself, outbound all to 0.0.0.0/0
   * and ::/0 when dual-stack; the default), `none`, or explicit rules (`self` as a group id means the default group).
   */
  defaultRules?: 'usual' | 'none' | { ingress: RuleSpec[]; egress: RuleSpec[] };
}

export interface VpcHandle {
  readonly index: number;
  readonly id: string;
  readonly ownerId: string;
  readonly cidr: string;
  readonly ipv6Cidr?: string;
  readonly defaultGroupId: string;
}

interface GroupRecord {
  id: string;
  name: string;
  description: string;
  vpc: VpcHandle;
  ownerId: string;
  tags?: Tag[];
  ingress: RuleSpec[];
  egress: RuleSpec[];
}

interface SubnetRecord {
  id: string;
  az: string;
  base: number;
  nextHost: number;
  ipv6Prefix?: string;
  nextIpv6: number;
}

/** Host addresses per /19 subnet: AWS reserves the first four and the last one. */
const SUBNET_SIZE = 8192;
const SUBNET_HOSTS = SUBNET_SIZE - 5;
const AZ_LETTERS = 'abcdef';

/** Builds consistent states; `build()` folds the rules into describe-style IpPermissions. */
export class StateBuilder {
  readonly accountId: string;
  readonly region: string;
  private readonly ids: IdFactory;
  private readonly vpcs: VpcHandle[] = [];
  private readonly groups = new Map<string, GroupRecord>();
  private readonly groupOrder: string[] = [];
  private readonly subnets = new Map<string, SubnetRecord[]>();
  private readonly peerings = new Map<string, string>();
  private readonly interfaces: NetworkInterface[] = [];

  constructor(options: { accountId?: string; region?: string; salt?: number } = {}) {
    this.accountId = options.accountId ?? DEFAULT_ACCOUNT;
    this.region = options.region ?? DEFAULT_REGION;
    this.ids = new IdFactory(options.salt ?? 0x5eed);
  }

  /** A fresh id with the given prefix (`i`, `pl`, …). */
  id(prefix: string): string {
    return this.ids.next(prefix);
  }

  /** A VPC and its default group. */
  vpc(spec: VpcSpec): VpcHandle {
    const [network, bits] = spec.cidr.split('/');
    if (bits !== '16' || !network || (ipv4ToInt(network) & 0xffff) !== 0)
      throw new Error(`VPC CIDR must be a /16: ${spec.cidr}`);
    if (spec.ipv6Cidr && !/^[0-9a-f]{1,4}:[0-9a-f]{1,4}:[0-9a-f]{1,4}:[0-9a-f]{1,2}00::\/56$/.test(spec.ipv6Cidr))
      throw new Error(`VPC IPv6 CIDR must be a /56 like 2600:1f18:4b2:a800::/56: ${spec.ipv6Cidr}`);
    const handle: VpcHandle = {
      index: this.vpcs.length,
      id: this.ids.next('vpc'),
      ownerId: spec.ownerId ?? this.accountId,
      cidr: spec.cidr,
      ...(spec.ipv6Cidr ? { ipv6Cidr: spec.ipv6Cidr } : {}),
      defaultGroupId: this.ids.next('sg'),
    };
    this.vpcs.push(handle);
    this.subnets.set(handle.id, []);
    const self = handle.defaultGroupId;
    const rules = spec.defaultRules ?? 'usual';
    const usualEgress = [{ cidr: '0.0.0.0/0' }, ...(spec.ipv6Cidr ? [{ cidr: '::/0' }] : [])];
    this.addGroup(handle, {
      id: self,
      name: DEFAULT_GROUP_NAME,
      description: DEFAULT_GROUP_DESCRIPTION,
      ingress: rules === 'usual' ? [{ protocol: '-1', peers: [{ group: self }] }] : [],
      egress: rules === 'usual' ? [{ protocol: '-1', peers: usualEgress }] : [],
    });
    if (typeof rules === 'object') {
      for (const rule of rules.ingress) this.rule(self, 'ingress', rule);
      for (const rule of rules.egress) this.rule(self, 'egress', rule);
    }
    return handle;
  }

  /** A peering connection between two VPCs (idempotent); needed before their groups reference each other. */
  peer(a: VpcHandle, b: VpcHandle): string {
    const key = [a.id, b.id].sort().join('|');
    let pcx = this.peerings.get(key);
    if (!pcx) {
      pcx = this.ids.next('pcx');
      this.peerings.set(key, pcx);
    }
    return pcx;
  }

  /** A non-default security group; returns its id. */
  group(
    vpc: VpcHandle,
    spec: { name: string; description?: string; tags?: Tag[]; ingress?: RuleSpec[]; egress?: RuleSpec[] },
  ): string {
    const id = this.ids.next('sg');
    this.addGroup(vpc, {
      id,
      name: spec.name,
      description: spec.description ?? `${spec.name} tier`,
      ingress: [],
      egress: [],
      ...(spec.tags ? { tags: spec.tags } : {}),
    });
    for (const rule of spec.ingress ?? []) this.rule(id, 'ingress', rule);
    for (const rule of spec.egress ?? []) this.rule(id, 'egress', rule);
    return id;
  }

  /** Adds an inbound or outbound rule to a group. */
  rule(groupId: string, direction: 'ingress' | 'egress', rule: RuleSpec): this {
    const group = this.groups.get(groupId);
    if (!group) throw new Error(`unknown group ${groupId}`);
    for (const peer of rule.peers) {
      if ('group' in peer) {
        const target = this.groups.get(peer.group);
        if (!target) throw new Error(`rule of ${groupId} references unknown group ${peer.group}`);
        if (target.vpc.id !== group.vpc.id && !this.peerings.has([target.vpc.id, group.vpc.id].sort().join('|')))
          throw new Error(`${groupId} references ${peer.group} in another VPC without a peering connection`);
      }
    }
    group[direction].push(rule);
    return this;
  }

  /** A network interface in the VPC; returns its id. */
  eni(vpc: VpcHandle, spec: InterfaceSpec): string {
    const subnet = this.subnet(vpc, spec.subnet ?? 0);
    if (spec.groups.length === 0) throw new Error('an interface needs at least one group');
    const groups = spec.groups.map((id) => {
      const group = this.groups.get(id);
      if (!group || group.vpc.id !== vpc.id) throw new Error(`group ${id} is not in ${vpc.id}`);
      return { GroupId: id, GroupName: group.name };
    });
    const id = this.ids.next('eni');
    const addresses: string[] = [];
    for (let i = 0; i <= (spec.secondaryIps ?? 0); i++) {
      if (subnet.nextHost >= SUBNET_HOSTS) throw new Error(`subnet ${subnet.id} is full`);
      addresses.push(intToIpv4(subnet.base + 4 + subnet.nextHost++));
    }
    const ipv6: { Ipv6Address: string }[] = [];
    for (let i = 0; i < (spec.ipv6 ?? 0); i++) {
      if (!subnet.ipv6Prefix) throw new Error(`${vpc.id} is not dual-stack`);
      ipv6.push({ Ipv6Address: `${subnet.ipv6Prefix}${(0x10 + subnet.nextIpv6++).toString(16)}` });
    }
    const kind = spec.kind ?? 'instance';
    let description = spec.description ?? '';
    let interfaceType = 'interface';
    let requesterId: string | undefined;
    let attachment: NetworkInterfaceAttachment;
    if (kind === 'instance') {
      const deviceIndex = spec.deviceIndex ?? 0;
      attachment = {
        AttachmentId: this.ids.next('eni-attach'),
        DeviceIndex: deviceIndex,
        InstanceId: spec.instanceId ?? this.ids.next('i'),
        InstanceOwnerId: vpc.ownerId,
        Status: 'attached',
        DeleteOnTermination: deviceIndex === 0,
      };
    } else if (kind === 'lambda') {
      interfaceType = 'lambda';
      requesterId = 'AROAEXAMPLE:lambda';
      description = spec.description ?? `AWS Lambda VPC ENI-${spec.name ?? 'my-function'}-${this.ids.uuid()}`;
      attachment = {
        AttachmentId: this.ids.next('ela-attach'),
        DeviceIndex: 1,
        InstanceOwnerId: 'amazon-aws',
        Status: 'attached',
        DeleteOnTermination: false,
      };
    } else {
      const owner = kind === 'rds' ? 'amazon-rds' : 'amazon-elb';
      requesterId = owner;
      description =
        spec.description ??
        (kind === 'rds' ? 'RDSNetworkInterface' : `ELB app/${spec.name ?? 'web-alb'}/${this.ids.next('x').slice(-16)}`);
      attachment = {
        AttachmentId: this.ids.next(kind === 'rds' ? 'eni-attach' : 'ela-attach'),
        DeviceIndex: 1,
        InstanceOwnerId: owner,
        Status: 'attached',
        DeleteOnTermination: false,
      };
    }
    const eni: NetworkInterface = {
      NetworkInterfaceId: id,
      VpcId: vpc.id,
      SubnetId: subnet.id,
      AvailabilityZone: subnet.az,
      Description: description,
      InterfaceType: interfaceType,
      OwnerId: vpc.ownerId,
      RequesterManaged: kind !== 'instance',
      Status: 'in-use',
      PrivateIpAddress: addresses[0] as string,
      PrivateIpAddresses: addresses.map((address, i) => ({ Primary: i === 0, PrivateIpAddress: address })),
      Ipv6Addresses: ipv6,
      Groups: groups,
      SourceDestCheck: true,
      TagSet: spec.tags ?? [],
      Attachment: attachment,
      ...(requesterId ? { RequesterId: requesterId } : {}),
    };
    this.interfaces.push(eni);
    return id;
  }

  /**
   * With `PrefixLists` (`aws ec2 describe-managed-prefix-lists` entries) for every prefix list a rule references, as
   * the simulator requires: the AWS-managed S3 and DynamoDB lists of the Region (weight 1) for their us-east-1 ids,
   * else a customer-managed list of this account with MaxEntries 1 — so each still counts as one rule.
   */
  build(): Ec2State {
    const SecurityGroups = this.groupOrder.map((id) => this.renderGroup(this.groups.get(id) as GroupRecord));
    const referenced = new Set(
      SecurityGroups.flatMap((group) =>
        [...(group.IpPermissions ?? []), ...(group.IpPermissionsEgress ?? [])].flatMap((permission) =>
          (permission.PrefixListIds ?? []).map((list) => list.PrefixListId ?? ''),
        ),
      ),
    );
    const state: Ec2State & { PrefixLists?: ManagedPrefixList[] } = {
      SecurityGroups,
      NetworkInterfaces: this.interfaces.map((eni) => structuredClone(eni)),
    };
    if (referenced.size > 0) state.PrefixLists = [...referenced].sort().map((id) => this.prefixListRecord(id));
    return state;
  }

  private prefixListRecord(id: string): ManagedPrefixList {
    const awsManaged = AWS_MANAGED_LISTS[id];
    const owner = awsManaged ? 'AWS' : this.accountId;
    return {
      PrefixListId: id,
      AddressFamily: 'IPv4',
      State: 'create-complete',
      PrefixListArn: `arn:aws:ec2:${this.region}:${awsManaged ? 'aws' : this.accountId}:prefix-list/${id}`,
      PrefixListName: awsManaged ? `com.amazonaws.${this.region}.${awsManaged}` : `list-${id.slice(3, 11)}`,
      ...(awsManaged ? {} : { MaxEntries: 1, Version: 1 }),
      Tags: [],
      OwnerId: owner,
    };
  }

  private addGroup(vpc: VpcHandle, group: Omit<GroupRecord, 'vpc' | 'ownerId'>): void {
    for (const other of this.groups.values())
      if (other.vpc.id === vpc.id && other.name === group.name)
        throw new Error(`duplicate group name ${group.name} in ${vpc.id}`);
    this.groups.set(group.id, { ...group, vpc, ownerId: vpc.ownerId });
    this.groupOrder.push(group.id);
  }

  /** The id of the VPC's `index`-th subnet (0–7), made if new. */
  subnetId(vpc: VpcHandle, index: number): string {
    return this.subnet(vpc, index).id;
  }

  /** 32 hex digits in UUID layout (an ECS attachment id). */
  uuid(): string {
    return this.ids.uuid();
  }

  private subnet(vpc: VpcHandle, index: number): SubnetRecord {
    if (!Number.isInteger(index) || index < 0 || index > 7) throw new Error(`subnet index 0-7, not ${index}`);
    const list = this.subnets.get(vpc.id) as SubnetRecord[];
    while (list.length <= index) {
      const i = list.length;
      const v6 = vpc.ipv6Cidr?.replace(/00::\/56$/, '');
      list.push({
        id: this.ids.next('subnet'),
        az: `${this.region}${AZ_LETTERS[i % AZ_LETTERS.length]}`,
        base: ipv4ToInt((vpc.cidr.split('/')[0] as string) ?? '') + i * SUBNET_SIZE,
        nextHost: 6,
        ...(v6 ? { ipv6Prefix: `${v6}${i.toString(16).padStart(2, '0')}::` } : {}),
        nextIpv6: 0,
      });
    }
    return list[index] as SubnetRecord;
  }

  private renderGroup(group: GroupRecord): SecurityGroup {
    const rendered: SecurityGroup = {
      GroupId: group.id,
      GroupName: group.name,
      VpcId: group.vpc.id,
      OwnerId: group.ownerId,
      Description: group.description,
      IpPermissions: this.fold(group, group.ingress),
      IpPermissionsEgress: this.fold(group, group.egress),
    };
    if (group.tags) rendered.Tags = group.tags.map((tag) => ({ ...tag }));
    rendered.SecurityGroupArn = `arn:aws:ec2:${this.region}:${group.ownerId}:security-group/${group.id}`;
    return rendered;
  }

  /** Rules → IpPermissions as EC2 describes them: one per protocol and port range, duplicate peers dropped. */
  private fold(group: GroupRecord, rules: RuleSpec[]): IpPermission[] {
    const permissions = new Map<string, { permission: IpPermission; peers: Set<string> }>();
    for (const rule of rules) {
      const protocol = rule.protocol;
      const ported = protocol !== '-1';
      const from = rule.from ?? rule.port;
      const to = rule.to ?? rule.port;
      if (ported && (from === undefined || to === undefined)) throw new Error(`${protocol} rule without ports`);
      const key = ported ? `${protocol}|${from}|${to}` : protocol;
      let entry = permissions.get(key);
      if (!entry) {
        const permission: IpPermission = {
          IpProtocol: protocol,
          IpRanges: [],
          Ipv6Ranges: [],
          PrefixListIds: [],
          UserIdGroupPairs: [],
        };
        if (ported) {
          permission.FromPort = from;
          permission.ToPort = to;
        }
        entry = { permission, peers: new Set() };
        permissions.set(key, entry);
      }
      const { permission, peers } = entry;
      for (const peer of rule.peers) {
        const peerKey = 'cidr' in peer ? peer.cidr : 'prefixList' in peer ? peer.prefixList : peer.group;
        if (peers.has(peerKey)) continue;
        peers.add(peerKey);
        const description = peer.description === undefined ? {} : { Description: peer.description };
        if ('cidr' in peer) {
          if (peer.cidr.includes(':')) permission.Ipv6Ranges?.push({ CidrIpv6: peer.cidr, ...description });
          else permission.IpRanges?.push({ CidrIp: peer.cidr, ...description });
        } else if ('prefixList' in peer) {
          permission.PrefixListIds?.push({ PrefixListId: peer.prefixList, ...description });
        } else {
          const target = this.groups.get(peer.group) as GroupRecord;
          const pair: UserIdGroupPair = { GroupId: target.id, UserId: target.ownerId };
          if (target.vpc.id !== group.vpc.id) {
            pair.VpcId = target.vpc.id;
            pair.VpcPeeringConnectionId = this.peer(target.vpc, group.vpc);
            pair.PeeringStatus = 'active';
          }
          permission.UserIdGroupPairs?.push({ ...pair, ...description });
        }
      }
    }
    return [...permissions.values()].map((entry) => entry.permission);
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Random states (fast-check)
// ---------------------------------------------------------------------------------------------------------------

export interface VpcStateOptions {
  /** Most other (non-default) groups; default 5. */
  maxGroups?: number;
  /** Most network interfaces; default 12. */
  maxInterfaces?: number;
  /** Allow a second, peered VPC; default true. */
  allowPeering?: boolean;
  accountId?: string;
  region?: string;
}

type RawPeerKind = 'cidr4' | 'cidr6' | 'prefix' | 'default' | 'group' | 'self';
interface RawPeer {
  kind: RawPeerKind;
  pick: number;
  description: string | undefined;
}
interface RawPermission {
  protocol: 'all' | 'tcp' | 'udp' | 'icmp';
  ports: number;
  peers: RawPeer[];
}
interface RawDefault {
  shape: 'usual' | 'none' | 'random';
  ingressSelf: boolean;
  egressSelf: boolean;
  egressAll: boolean;
  selfDescription: string | undefined;
  ingress: RawPermission[];
  egress: RawPermission[];
}
interface RawGroup {
  vpc: number;
  name: number;
  ingress: RawPermission[];
  egress: RawPermission[];
}
interface RawInterface {
  vpc: number;
  subnet: number;
  picks: number[];
  withDefault: boolean;
  ipv6: number;
  secondaryIps: number;
}
interface RawState {
  salt: number;
  twoVpcs: boolean;
  dualStack: [boolean, boolean];
  cidrs: number;
  defaults: [RawDefault, RawDefault];
  groups: RawGroup[];
  interfaces: RawInterface[];
}

const DESCRIPTIONS = [
  'members of default',
  'office VPN',
  'health checks',
  'from app tier',
  'to database',
  'monitoring',
  'legacy batch jobs',
  'partner feed',
];
const TCP_PORTS: [number, number][] = [
  [22, 22],
  [80, 80],
  [443, 443],
  [3306, 3306],
  [5432, 5432],
  [6379, 6379],
  [8080, 8080],
  [9000, 9100],
  [1024, 65535],
  [0, 65535],
];
const UDP_PORTS: [number, number][] = [
  [53, 53],
  [123, 123],
  [514, 514],
  [1024, 65535],
];
const ICMP_TYPES: [number, number][] = [
  [-1, -1],
  [8, -1],
  [0, -1],
  [3, 4],
];
const CIDR4_EXTRA = ['0.0.0.0/0', '10.0.0.0/8', '192.168.0.0/16', '203.0.113.0/24', '198.51.100.17/32'];
const CIDR6_EXTRA = ['::/0', '2001:db8::/32', '2001:db8:1234::/48'];
const PREFIX_LISTS = ['pl-63a5400a', 'pl-02cd2c6b', 'pl-0a1b2c3d4e5f60718'];
/** The us-east-1 ids of the AWS-managed S3 and DynamoDB lists (weight 1 each). */
const AWS_MANAGED_LISTS: Record<string, string> = { 'pl-63a5400a': 's3', 'pl-02cd2c6b': 'dynamodb' };
const GROUP_NAMES = ['web', 'app', 'api', 'db', 'cache', 'batch', 'bastion', 'monitoring', 'workers', 'etl'];
const VPC_CIDRS = ['10.0.0.0/16', '10.1.0.0/16', '172.31.0.0/16', '10.20.0.0/16', '192.168.0.0/16'];
const VPC_IPV6 = ['2600:1f18:4b2:a800::/56', '2600:1f18:7c1:3e00::/56'];

const descriptionArb = fc.option(fc.constantFrom(...DESCRIPTIONS), { nil: undefined, freq: 2 });
const peerArb: fc.Arbitrary<RawPeer> = fc.record({
  kind: fc.oneof(
    { weight: 3, arbitrary: fc.constant<RawPeerKind>('cidr4') },
    { weight: 1, arbitrary: fc.constant<RawPeerKind>('cidr6') },
    { weight: 1, arbitrary: fc.constant<RawPeerKind>('prefix') },
    { weight: 4, arbitrary: fc.constant<RawPeerKind>('default') },
    { weight: 2, arbitrary: fc.constant<RawPeerKind>('group') },
    { weight: 1, arbitrary: fc.constant<RawPeerKind>('self') },
  ),
  pick: fc.nat({ max: 1000 }),
  description: descriptionArb,
});
const permissionArb: fc.Arbitrary<RawPermission> = fc.record({
  protocol: fc.constantFrom<RawPermission['protocol']>('all', 'tcp', 'tcp', 'udp', 'icmp'),
  ports: fc.nat({ max: 1000 }),
  peers: fc.array(peerArb, { minLength: 1, maxLength: 3 }),
});
const permissionsArb = (max: number) => fc.array(permissionArb, { maxLength: max });
const defaultArb: fc.Arbitrary<RawDefault> = fc.record({
  shape: fc.constantFrom<RawDefault['shape']>('usual', 'usual', 'none', 'random', 'random', 'random'),
  ingressSelf: fc.boolean(),
  egressSelf: fc.boolean(),
  egressAll: fc.boolean(),
  selfDescription: descriptionArb,
  ingress: permissionsArb(3),
  egress: permissionsArb(3),
});

/** Small random states: one account, 1–2 VPCs (the second peered), default groups, other groups, EC2-instance ENIs. */
export function vpcStateArbitrary(options: VpcStateOptions = {}): fc.Arbitrary<Ec2State> {
  const maxGroups = options.maxGroups ?? 5;
  const maxInterfaces = options.maxInterfaces ?? 12;
  const raw: fc.Arbitrary<RawState> = fc.record({
    salt: fc.nat(),
    twoVpcs: options.allowPeering === false ? fc.constant(false) : fc.boolean(),
    dualStack: fc.tuple(fc.boolean(), fc.boolean()),
    cidrs: fc.nat({ max: 1000 }),
    defaults: fc.tuple(defaultArb, defaultArb),
    groups: fc.array(
      fc.record({
        vpc: fc.nat({ max: 3 }),
        name: fc.nat({ max: 1000 }),
        ingress: permissionsArb(4),
        egress: permissionsArb(4),
      }),
      { maxLength: maxGroups },
    ),
    interfaces: fc.array(
      fc.record({
        vpc: fc.nat({ max: 3 }),
        subnet: fc.nat({ max: 2 }),
        picks: fc.array(fc.nat({ max: 1000 }), { minLength: 1, maxLength: 4 }),
        withDefault: fc.boolean(),
        ipv6: fc.constantFrom(0, 0, 1, 2),
        secondaryIps: fc.constantFrom(0, 0, 0, 1),
      }),
      { maxLength: maxInterfaces },
    ),
  });
  return raw.map((r) => buildRandomState(r, options));
}

function buildRandomState(raw: RawState, options: VpcStateOptions): Ec2State {
  const builder = new StateBuilder({
    salt: raw.salt,
    ...(options.accountId ? { accountId: options.accountId } : {}),
    ...(options.region ? { region: options.region } : {}),
  });
  const vpcCount = raw.twoVpcs ? 2 : 1;
  const first = raw.cidrs % VPC_CIDRS.length;
  const vpcs: VpcHandle[] = [];
  for (let v = 0; v < vpcCount; v++) {
    const ipv6 = raw.dualStack[v] ? VPC_IPV6[v] : undefined;
    vpcs.push(
      builder.vpc({
        cidr: VPC_CIDRS[(first + v) % VPC_CIDRS.length] as string,
        ...(ipv6 ? { ipv6Cidr: ipv6 } : {}),
        defaultRules: 'none',
      }),
    );
  }
  if (vpcs[1]) builder.peer(vpcs[0] as VpcHandle, vpcs[1]);
  const vpcOf = (pick: number) => vpcs[pick % vpcs.length] as VpcHandle;

  // Groups first (ids are needed to resolve references), rules afterwards.
  const names = new Map<string, Set<string>>();
  const others = raw.groups.map((g) => {
    const vpc = vpcOf(g.vpc);
    const used = names.get(vpc.id) ?? new Set<string>();
    names.set(vpc.id, used);
    let name = GROUP_NAMES[g.name % GROUP_NAMES.length] as string;
    for (let n = 2; used.has(name); n++) name = `${GROUP_NAMES[g.name % GROUP_NAMES.length]}-${n}`;
    used.add(name);
    return { raw: g, vpc, id: builder.group(vpc, { name }) };
  });
  const allGroups = [...vpcs.map((vpc) => vpc.defaultGroupId), ...others.map((g) => g.id)];
  const firstDefault = (vpcs[0] as VpcHandle).defaultGroupId;

  const toRule = (vpc: VpcHandle, self: string, permission: RawPermission): RuleSpec[] => {
    const peers: PeerSpec[] = permission.peers.map((peer) => {
      const description = peer.description === undefined ? {} : { description: peer.description };
      switch (peer.kind) {
        case 'cidr4': {
          const choices = [...CIDR4_EXTRA, vpc.cidr];
          return { cidr: choices[peer.pick % choices.length] as string, ...description };
        }
        case 'cidr6': {
          const choices = [...CIDR6_EXTRA, ...(vpc.ipv6Cidr ? [vpc.ipv6Cidr] : [])];
          return { cidr: choices[peer.pick % choices.length] as string, ...description };
        }
        case 'prefix':
          return { prefixList: PREFIX_LISTS[peer.pick % PREFIX_LISTS.length] as string, ...description };
        case 'default':
          return { group: firstDefault, ...description };
        case 'group':
          return { group: allGroups[peer.pick % allGroups.length] as string, ...description };
        default:
          return { group: self, ...description };
      }
    });
    if (permission.protocol === 'all') return [{ protocol: '-1', peers }];
    const table = permission.protocol === 'tcp' ? TCP_PORTS : permission.protocol === 'udp' ? UDP_PORTS : ICMP_TYPES;
    const [from, to] = table[permission.ports % table.length] as [number, number];
    if (permission.protocol !== 'icmp') return [{ protocol: permission.protocol, from, to, peers }];
    // ICMP does not apply to IPv6 peers: those get the ICMPv6 equivalent (all types).
    const v6 = peers.filter((peer) => 'cidr' in peer && peer.cidr.includes(':'));
    const rest = peers.filter((peer) => !v6.includes(peer));
    return [
      ...(rest.length > 0 ? [{ protocol: 'icmp', from, to, peers: rest }] : []),
      ...(v6.length > 0 ? [{ protocol: 'icmpv6', from: -1, to: -1, peers: v6 }] : []),
    ];
  };

  vpcs.forEach((vpc, v) => {
    const spec = raw.defaults[v] as RawDefault;
    const self = vpc.defaultGroupId;
    const description = spec.selfDescription === undefined ? {} : { description: spec.selfDescription };
    const add = (direction: 'ingress' | 'egress', rules: RuleSpec[]) => {
      for (const rule of rules) builder.rule(self, direction, rule);
    };
    if (spec.shape === 'usual') {
      add('ingress', [{ protocol: '-1', peers: [{ group: self }] }]);
      add('egress', [{ protocol: '-1', peers: [{ cidr: '0.0.0.0/0' }, ...(vpc.ipv6Cidr ? [{ cidr: '::/0' }] : [])] }]);
    } else if (spec.shape === 'random') {
      if (spec.ingressSelf) add('ingress', [{ protocol: '-1', peers: [{ group: self, ...description }] }]);
      if (spec.egressSelf) add('egress', [{ protocol: '-1', peers: [{ group: self, ...description }] }]);
      if (spec.egressAll) add('egress', [{ protocol: '-1', peers: [{ cidr: '0.0.0.0/0' }] }]);
      for (const p of spec.ingress) add('ingress', toRule(vpc, self, p));
      for (const p of spec.egress) add('egress', toRule(vpc, self, p));
    }
  });
  for (const group of others) {
    for (const p of group.raw.ingress)
      for (const rule of toRule(group.vpc, group.id, p)) builder.rule(group.id, 'ingress', rule);
    for (const p of group.raw.egress)
      for (const rule of toRule(group.vpc, group.id, p)) builder.rule(group.id, 'egress', rule);
  }

  for (const eni of raw.interfaces) {
    const vpc = vpcOf(eni.vpc);
    const inVpc = [vpc.defaultGroupId, ...others.filter((g) => g.vpc.id === vpc.id).map((g) => g.id)];
    const wantDefault = vpc.index === 0 && eni.withDefault;
    let candidates = vpc.index === 0 ? inVpc.filter((id) => id !== firstDefault) : inVpc;
    if (candidates.length === 0) candidates = inVpc;
    const groups = wantDefault ? [firstDefault] : [];
    for (const pick of eni.picks) {
      const id = candidates[pick % candidates.length] as string;
      if (!groups.includes(id) && groups.length < 4) groups.push(id);
    }
    builder.eni(vpc, {
      groups,
      subnet: eni.subnet,
      ipv6: vpc.ipv6Cidr ? eni.ipv6 : 0,
      secondaryIps: eni.secondaryIps,
    });
  }
  return builder.build();
}

// ---------------------------------------------------------------------------------------------------------------
// Large deterministic states (benchmarks)
// ---------------------------------------------------------------------------------------------------------------

export interface GenerateVpcOptions {
  /** Network interfaces, all on the default group, spread over the subnets. */
  interfaces: number;
  /** Rules in other groups that reference the default group (ingress and egress); default ≈ interfaces / 10, ≥ 1 when interfaces > 0. */
  references?: number;
  seed?: number;
  accountId?: string;
  region?: string;
}

/**
 * References per group and direction: with the group's one other rule per direction that leaves room for a twin of
 * every reference under the quota of 60, so the generated state can be remediated.
 */
export const REFERENCES_PER_GROUP_DIRECTION = 29;

const BENCH_PORTS = [443, 8443, 5432, 3306, 6379, 9200, 27017, 5672, 11211, 2049];

/** One VPC, `interfaces` ENIs on its default group, `references` rules in other groups referencing it. Deterministic. */
export function generateVpc(options: GenerateVpcOptions): Ec2State {
  const n = options.interfaces;
  if (!Number.isInteger(n) || n < 0) throw new RangeError(`interfaces must be a non-negative integer: ${n}`);
  const references = options.references ?? (n > 0 ? Math.max(1, Math.round(n / 10)) : 0);
  if (!Number.isInteger(references) || references < 0) throw new RangeError(`references must be ≥ 0: ${references}`);
  const subnets = Math.min(8, Math.max(3, Math.ceil(n / 1500)));
  if (n > subnets * (SUBNET_HOSTS - 6)) throw new RangeError(`at most ${subnets * (SUBNET_HOSTS - 6)} interfaces`);
  const seed = options.seed ?? 1;
  const random = mulberry32(seed);
  const builder = new StateBuilder({
    salt: fmix32(seed),
    ...(options.accountId ? { accountId: options.accountId } : {}),
    ...(options.region ? { region: options.region } : {}),
  });
  const vpc = builder.vpc({ cidr: '10.20.0.0/16' });
  const target = vpc.defaultGroupId;

  const perGroup = 2 * REFERENCES_PER_GROUP_DIRECTION;
  const groupCount = Math.max(1, Math.ceil(references / perGroup));
  const groups: string[] = [];
  for (let g = 0; g < groupCount; g++) {
    groups.push(
      builder.group(vpc, {
        name: `app-${String(g + 1).padStart(3, '0')}`,
        description: `application tier ${g + 1}`,
        ingress: [{ protocol: 'tcp', port: 22, peers: [{ cidr: '10.20.0.0/16', description: 'ssh from the VPC' }] }],
        egress: [{ protocol: 'tcp', port: 443, peers: [{ cidr: '0.0.0.0/0', description: 'https out' }] }],
      }),
    );
  }
  const used = groups.map(() => ({ ingress: 0, egress: 0 }));
  for (let r = 0; r < references; r++) {
    const g = r % groupCount;
    const direction = Math.floor(r / groupCount) % 2 === 0 ? 'ingress' : 'egress';
    const counts = used[g] as { ingress: number; egress: number };
    const k = counts[direction]++;
    const description = random() < 0.5 ? { description: `default members #${r + 1}` } : {};
    const peers = [{ group: target, ...description }];
    const rule: RuleSpec =
      k === 0 && random() < 0.3
        ? { protocol: '-1', peers }
        : { protocol: random() < 0.85 ? 'tcp' : 'udp', port: BENCH_PORTS[k] ?? 30000 + k, peers };
    builder.rule(groups[g] as string, direction, rule);
  }
  for (let i = 0; i < n; i++) {
    const extra = groupCount > 0 && random() < 0.3 ? [groups[Math.floor(random() * groupCount)] as string] : [];
    builder.eni(vpc, { groups: [target, ...extra], subnet: i % subnets });
  }
  return builder.build();
}

// ---------------------------------------------------------------------------------------------------------------
// Consistency checker
// ---------------------------------------------------------------------------------------------------------------

export interface CheckOptions {
  /** Most rules per group, direction and IP version; default 60 (the EC2 quota). */
  maxRulesPerDirection?: number;
  /** Most groups per interface; default 5 (the EC2 quota). */
  maxGroupsPerInterface?: number;
}

const ID = (prefix: string) => new RegExp(`^${prefix}-[0-9a-f]{17}$`);
const SG_ID = ID('sg');
const VPC_ID = ID('vpc');
const ENI_ID = ID('eni');
const SUBNET_ID = ID('subnet');
const PCX_ID = ID('pcx');
const ACCOUNT = /^\d{12}$/;
const PREFIX_LIST_ID = /^pl-([0-9a-f]{8}|[0-9a-f]{17})$/;
const ATTACHMENT_ID = /^(eni|ela)-attach-[0-9a-f]{17}$/;
const INSTANCE_ID = /^i-[0-9a-f]{17}$/;
const REGION = /^[a-z]{2}(-[a-z]+)+-\d$/;

function parseIpv4(ip: string): number | undefined {
  const parts = ip.split('.');
  if (parts.length !== 4 || parts.some((p) => !/^(0|[1-9]\d{0,2})$/.test(p) || Number(p) > 255)) return undefined;
  return ipv4ToInt(ip);
}

function validCidr4(cidr: string): boolean {
  const [ip, bits, ...rest] = cidr.split('/');
  const value = parseIpv4(ip ?? '');
  const n = Number(bits);
  if (rest.length > 0 || value === undefined || !/^\d{1,2}$/.test(bits ?? '') || n > 32) return false;
  const mask = n === 0 ? 0 : (0xffffffff << (32 - n)) >>> 0;
  return (value & mask) >>> 0 === value;
}

function parseIpv6(ip: string): bigint | undefined {
  if (ip !== ip.toLowerCase() || !/^[0-9a-f:]+$/.test(ip) || (ip.match(/::/g)?.length ?? 0) > 1) return undefined;
  const [head, tail] = ip.includes('::') ? ip.split('::') : [ip, undefined];
  const left = head ? head.split(':') : [];
  const right = tail ? tail.split(':') : [];
  const missing = 8 - left.length - right.length;
  if (tail === undefined ? left.length !== 8 : missing < 1) return undefined;
  const groups = [...left, ...Array<string>(tail === undefined ? 0 : missing).fill('0'), ...right];
  if (groups.some((g) => !/^[0-9a-f]{1,4}$/.test(g))) return undefined;
  return groups.reduce((acc, g) => (acc << 16n) | BigInt(Number.parseInt(g, 16)), 0n);
}

function validCidr6(cidr: string): boolean {
  const [ip, bits, ...rest] = cidr.split('/');
  const value = parseIpv6(ip ?? '');
  const n = Number(bits);
  if (rest.length > 0 || value === undefined || !/^\d{1,3}$/.test(bits ?? '') || n > 128) return false;
  return (value & ((1n << BigInt(128 - n)) - 1n)) === 0n;
}

function isPrivateIpv4(value: number): boolean {
  return value >>> 24 === 10 || value >>> 20 === (172 << 4) + 1 || value >>> 16 === (192 << 8) + 168;
}

function validPorts(permission: IpPermission): string | undefined {
  const { IpProtocol: protocol, FromPort: from, ToPort: to } = permission;
  if (protocol === '-1') return from === undefined && to === undefined ? undefined : 'all-traffic rule with ports';
  if (protocol === 'tcp' || protocol === 'udp') {
    if (from === undefined || to === undefined || from < 0 || to > 65535 || from > to) return `bad ports ${from}-${to}`;
    return undefined;
  }
  if (protocol === 'icmp' || protocol === 'icmpv6') {
    if (from === undefined || to === undefined || from < -1 || from > 255 || to < -1 || to > 255)
      return `bad icmp type/code ${from}/${to}`;
    return undefined;
  }
  return `unexpected protocol ${protocol}`;
}

/**
 * Every inconsistency of a state as a list of messages (empty when consistent): well-formed unique ids, ARNs,
 * one `default` group per VPC, describe-style rules (merged per protocol/ports, no duplicate peers, valid CIDRs and
 * ports), references to groups that exist (peering fields when across VPCs, one peering connection per VPC pair,
 * UserId = the group's owner), rule counts within the quota, ENIs in known VPCs and subnets with distinct private
 * addresses from their VPC's /16, 1–5 distinct groups of their own VPC.
 */
export function checkState(state: Ec2State, options: CheckOptions = {}): string[] {
  const maxRules = options.maxRulesPerDirection ?? RULES_PER_DIRECTION_QUOTA;
  const maxGroups = options.maxGroupsPerInterface ?? GROUPS_PER_INTERFACE_QUOTA;
  const problems: string[] = [];
  const fail = (where: string, message: string) => problems.push(`${where}: ${message}`);
  if (!Array.isArray(state?.SecurityGroups) || !Array.isArray(state?.NetworkInterfaces))
    return ['state: SecurityGroups and NetworkInterfaces must be arrays'];

  const groups = new Map<string, SecurityGroup>();
  // A VPC's owner owns its default group; other accounts' groups there are VPC-sharing participants' (they create
  // their own groups and interfaces: https://docs.aws.amazon.com/vpc/latest/userguide/vpc-share-limitations.html).
  const vpcOwner = new Map<string, string>();
  for (const group of state.SecurityGroups) {
    if (group.GroupName !== DEFAULT_GROUP_NAME) continue;
    if (vpcOwner.has(group.VpcId ?? '')) fail(group.GroupId ?? '?', `second default group in ${group.VpcId}`);
    vpcOwner.set(group.VpcId ?? '', group.OwnerId ?? '');
  }
  const namesByVpc = new Map<string, Set<string>>();
  const regions = new Set<string>();
  for (const group of state.SecurityGroups) {
    const id = group.GroupId ?? '?';
    if (!SG_ID.test(id)) fail(id, 'malformed GroupId');
    if (groups.has(id)) fail(id, 'duplicate GroupId');
    groups.set(id, group);
    if (!VPC_ID.test(group.VpcId ?? '')) fail(id, `malformed VpcId ${group.VpcId}`);
    if (!ACCOUNT.test(group.OwnerId ?? '')) fail(id, `malformed OwnerId ${group.OwnerId}`);
    if (!group.GroupName) fail(id, 'no GroupName');
    if (!group.Description) fail(id, 'no Description');
    const arn = /^arn:aws:ec2:([^:]+):(\d{12}):security-group\/(.+)$/.exec(group.SecurityGroupArn ?? '');
    if (!arn || !REGION.test(arn[1] ?? '') || arn[2] !== group.OwnerId || arn[3] !== id)
      fail(id, `SecurityGroupArn ${group.SecurityGroupArn} does not match`);
    else regions.add(arn[1] as string);
    if (!Array.isArray(group.IpPermissions) || !Array.isArray(group.IpPermissionsEgress))
      fail(id, 'IpPermissions and IpPermissionsEgress must be arrays');
    const vpc = group.VpcId ?? '';
    const names = namesByVpc.get(vpc) ?? new Set<string>();
    namesByVpc.set(vpc, names);
    const name = `${group.OwnerId}/${group.GroupName}`;
    if (names.has(name)) fail(id, `duplicate group name ${group.GroupName} in ${vpc}`);
    names.add(name);
    if (group.GroupName === DEFAULT_GROUP_NAME) names.add(DEFAULT_GROUP_NAME);
    if (group.GroupName === DEFAULT_GROUP_NAME && group.Description !== DEFAULT_GROUP_DESCRIPTION)
      fail(id, 'default group with an unusual Description');
  }
  for (const [vpc, names] of namesByVpc) if (!names.has(DEFAULT_GROUP_NAME)) fail(vpc, 'no default group');
  if (regions.size > 1) fail('state', `more than one region: ${[...regions].join(', ')}`);
  const region = [...regions][0];

  const peerings = new Map<string, string>();
  for (const group of state.SecurityGroups) {
    const id = group.GroupId ?? '?';
    for (const [direction, permissions] of [
      ['ingress', group.IpPermissions ?? []],
      ['egress', group.IpPermissionsEgress ?? []],
    ] as const) {
      const where = `${id} ${direction}`;
      const ranges = new Set<string>();
      const keys = new Set<string>();
      let v4 = 0;
      let v6 = 0;
      for (const permission of permissions) {
        const portProblem = validPorts(permission);
        if (portProblem) fail(where, portProblem);
        const range = `${permission.IpProtocol}|${permission.FromPort}|${permission.ToPort}`;
        if (ranges.has(range)) fail(where, `two IpPermissions for ${range} (EC2 describes them as one)`);
        ranges.add(range);
        const lists = [
          permission.IpRanges,
          permission.Ipv6Ranges,
          permission.PrefixListIds,
          permission.UserIdGroupPairs,
        ];
        if (lists.some((list) => !Array.isArray(list))) fail(where, `${range}: missing peer arrays`);
        if (lists.every((list) => (list?.length ?? 0) === 0)) fail(where, `${range}: no peers`);
        const seen = (key: string) => {
          if (keys.has(`${range}|${key}`)) fail(where, `${range}: duplicate peer ${key}`);
          keys.add(`${range}|${key}`);
        };
        for (const r of permission.IpRanges ?? []) {
          if (!validCidr4(r.CidrIp ?? '')) fail(where, `bad IPv4 CIDR ${r.CidrIp}`);
          seen(r.CidrIp ?? '');
          v4++;
        }
        for (const r of permission.Ipv6Ranges ?? []) {
          if (!validCidr6(r.CidrIpv6 ?? '')) fail(where, `bad IPv6 CIDR ${r.CidrIpv6}`);
          if (permission.IpProtocol === 'icmp') fail(where, 'icmp rule with an IPv6 peer (use icmpv6)');
          seen(r.CidrIpv6 ?? '');
          v6++;
        }
        for (const p of permission.PrefixListIds ?? []) {
          if (!PREFIX_LIST_ID.test(p.PrefixListId ?? '')) fail(where, `bad prefix list ${p.PrefixListId}`);
          seen(p.PrefixListId ?? '');
          v4++;
          v6++;
        }
        for (const pair of permission.UserIdGroupPairs ?? []) {
          seen(pair.GroupId ?? '');
          v4++;
          v6++;
          const target = groups.get(pair.GroupId ?? '');
          if (!target) {
            fail(where, `references unknown group ${pair.GroupId}`);
            continue;
          }
          if (pair.UserId !== target.OwnerId)
            fail(where, `pair ${pair.GroupId}: UserId ${pair.UserId} is not its owner`);
          if (target.VpcId === group.VpcId) {
            if (pair.VpcPeeringConnectionId) fail(where, `pair ${pair.GroupId}: same VPC but a peering connection`);
          } else {
            if (pair.VpcId !== target.VpcId) fail(where, `pair ${pair.GroupId}: VpcId must be ${target.VpcId}`);
            if (!PCX_ID.test(pair.VpcPeeringConnectionId ?? ''))
              fail(where, `pair ${pair.GroupId}: cross-VPC reference without a peering connection`);
            const key = [target.VpcId, group.VpcId].sort().join('|');
            const pcx = peerings.get(key);
            if (pcx !== undefined && pcx !== pair.VpcPeeringConnectionId)
              fail(where, `two peering connections between ${key}`);
            peerings.set(key, pair.VpcPeeringConnectionId ?? '');
          }
        }
      }
      if (v4 > maxRules) fail(where, `${v4} IPv4 rules (more than ${maxRules})`);
      if (v6 > maxRules) fail(where, `${v6} IPv6 rules (more than ${maxRules})`);
    }
  }

  const eniIds = new Set<string>();
  const subnets = new Map<string, string>();
  const addresses = new Set<string>();
  const ipv6Addresses = new Set<string>();
  const vpcNetworks = new Map<string, number>();
  for (const eni of state.NetworkInterfaces) {
    const id = eni.NetworkInterfaceId ?? '?';
    if (!ENI_ID.test(id)) fail(id, 'malformed NetworkInterfaceId');
    if (eniIds.has(id)) fail(id, 'duplicate NetworkInterfaceId');
    eniIds.add(id);
    const vpc = eni.VpcId ?? '';
    if (!namesByVpc.has(vpc)) fail(id, `unknown VPC ${vpc}`);
    // An interface uses its own account's groups (a participant cannot use the owner's default group).
    for (const member of eni.Groups ?? []) {
      const owner = groups.get(member.GroupId ?? '')?.OwnerId;
      if (owner !== undefined && owner !== eni.OwnerId) fail(id, `OwnerId ${eni.OwnerId} uses a group of ${owner}`);
    }
    if (!SUBNET_ID.test(eni.SubnetId ?? '')) fail(id, `malformed SubnetId ${eni.SubnetId}`);
    const subnetKey = `${vpc}|${eni.AvailabilityZone}`;
    const knownSubnet = subnets.get(eni.SubnetId ?? '');
    if (knownSubnet !== undefined && knownSubnet !== subnetKey) fail(id, `subnet ${eni.SubnetId} in two VPCs/AZs`);
    subnets.set(eni.SubnetId ?? '', subnetKey);
    if (region && !(eni.AvailabilityZone ?? '').startsWith(region))
      fail(id, `AZ ${eni.AvailabilityZone} not in ${region}`);
    if (typeof eni.RequesterManaged !== 'boolean') fail(id, 'RequesterManaged missing');
    if (eni.RequesterManaged && !eni.RequesterId) fail(id, 'requester-managed without RequesterId');
    if (eni.Status !== 'in-use' && eni.Status !== 'available') fail(id, `unexpected Status ${eni.Status}`);
    const all = eni.PrivateIpAddresses ?? [];
    if (eni.InterfaceType === 'efa-only') {
      // "You can't assign an IP address to an EFA-only network interface"
      // (https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/create-efa.html).
      if (eni.PrivateIpAddress !== undefined || all.length > 0 || (eni.Ipv6Addresses ?? []).length > 0)
        fail(id, 'an EFA-only interface with an IP address');
    } else {
      const primary = parseIpv4(eni.PrivateIpAddress ?? '');
      if (primary === undefined || !isPrivateIpv4(primary)) fail(id, `bad PrivateIpAddress ${eni.PrivateIpAddress}`);
      if (
        all.filter((a) => a.Primary).length !== 1 ||
        all.find((a) => a.Primary)?.PrivateIpAddress !== eni.PrivateIpAddress
      )
        fail(id, 'PrivateIpAddresses must list the primary address once');
    }
    for (const a of all) {
      const value = parseIpv4(a.PrivateIpAddress ?? '');
      if (value === undefined) {
        fail(id, `bad address ${a.PrivateIpAddress}`);
        continue;
      }
      const network = vpcNetworks.get(vpc);
      if (network !== undefined && network !== value >>> 16) fail(id, `${a.PrivateIpAddress} outside ${vpc}'s /16`);
      vpcNetworks.set(vpc, value >>> 16);
      if (addresses.has(`${vpc}|${a.PrivateIpAddress}`)) fail(id, `address ${a.PrivateIpAddress} used twice`);
      addresses.add(`${vpc}|${a.PrivateIpAddress}`);
    }
    if (!Array.isArray(eni.Ipv6Addresses)) fail(id, 'Ipv6Addresses must be an array');
    for (const a of eni.Ipv6Addresses ?? []) {
      if (parseIpv6(a.Ipv6Address ?? '') === undefined) fail(id, `bad IPv6 address ${a.Ipv6Address}`);
      if (ipv6Addresses.has(a.Ipv6Address ?? '')) fail(id, `IPv6 address ${a.Ipv6Address} used twice`);
      ipv6Addresses.add(a.Ipv6Address ?? '');
    }
    const attachment = eni.Attachment;
    if (attachment) {
      if (!ATTACHMENT_ID.test(attachment.AttachmentId ?? '')) fail(id, `bad AttachmentId ${attachment.AttachmentId}`);
      if (attachment.InstanceId !== undefined && !INSTANCE_ID.test(attachment.InstanceId))
        fail(id, `bad InstanceId ${attachment.InstanceId}`);
    }
    if (!eni.RequesterManaged && eni.Status === 'in-use' && !attachment?.InstanceId)
      fail(id, 'in-use instance interface without an attached instance');
    const members = eni.Groups ?? [];
    if (members.length < 1 || members.length > maxGroups) fail(id, `${members.length} groups (1-${maxGroups} allowed)`);
    if (new Set(members.map((m) => m.GroupId)).size !== members.length) fail(id, 'a group listed twice');
    for (const member of members) {
      const group = groups.get(member.GroupId ?? '');
      if (!group) fail(id, `unknown group ${member.GroupId}`);
      else if (group.VpcId !== vpc) fail(id, `group ${member.GroupId} is in another VPC`);
      else if (member.GroupName !== group.GroupName) fail(id, `group ${member.GroupId} named ${member.GroupName}`);
    }
  }
  const networks = [...vpcNetworks.values()];
  if (new Set(networks).size !== networks.length) fail('state', 'two VPCs share a /16');
  return problems;
}

/** The owner services' records a mixed VPC adds to the state, under the keys their describes print. */
export interface MixedOwnerRecords extends LaunchRecords {
  Functions: Record<string, unknown>[];
  DBInstances: Record<string, unknown>[];
  LoadBalancers: Record<string, unknown>[];
  MountTargets: Record<string, unknown>[];
  VpcEndpoints: Record<string, unknown>[];
  CacheClusters: Record<string, unknown>[];
  services: Record<string, unknown>[];
  tasks: Record<string, unknown>[];
  Clusters: Record<string, unknown>[];
  ReplicationInstances: Record<string, unknown>[];
  projects: Record<string, unknown>[];
  computeEnvironments: Record<string, unknown>[];
}

/** What a mixed-VPC builder adds its resource to. */
interface MixedVpc {
  builder: StateBuilder;
  vpc: VpcHandle;
  /** The default group. */
  target: string;
  subnets: number;
  seed: number;
  records: MixedOwnerRecords;
  /** Fields of managed interfaces the builder's kinds do not set (RequesterId, InterfaceType), by interface id. */
  managed: Map<string, Partial<NetworkInterface>>;
}

const pad = (i: number) => String(i).padStart(3, '0');
/** `<prefix>-0` + 16 hex, distinct per index and seed. */
const hexId = (prefix: string, seed: number, i: number) =>
  `${prefix}-0${hex8(fmix32(seed * 7919 + i))}${hex8(fmix32(i + 1))}`;

/** A requester-managed interface on the default group in the `i`-th subnet, described `description`. */
function managedEni(
  mixed: MixedVpc,
  i: number,
  description: string,
  fields: Partial<NetworkInterface>,
): { id: string; subnet: string } {
  const subnet = i % mixed.subnets;
  const id = mixed.builder.eni(mixed.vpc, { groups: [mixed.target], kind: 'rds', description, subnet });
  mixed.managed.set(id, fields);
  return { id, subnet: mixed.builder.subnetId(mixed.vpc, subnet) };
}

/**
 * The `i`-th resource of each owner service, on the default group. A `Record<OwnerService, …>`: a service added to the
 * registry (handlers/core/owners/) without its builder here is a compile error.
 */
const MIXED_BUILDERS = {
  lambda(mixed, i) {
    const { builder, vpc, target } = mixed;
    const name = `fn-${pad(i)}`;
    builder.eni(vpc, { groups: [target], kind: 'lambda', name, subnet: i % mixed.subnets });
    mixed.records.Functions.push({
      FunctionName: name,
      FunctionArn: `arn:aws:lambda:${builder.region}:${builder.accountId}:function:${name}`,
      VpcConfig: { VpcId: vpc.id, SubnetIds: [], SecurityGroupIds: [target] },
      State: 'Active',
      LastUpdateStatus: 'Successful',
    });
  },
  // One per subnet at most: the simulator links an RDS interface to its instance by subnet and groups.
  rds(mixed, i) {
    const { builder, vpc, target } = mixed;
    if (i >= mixed.subnets) throw new Error(`mixed VPC: at most ${mixed.subnets} RDS instances (one per subnet)`);
    builder.eni(vpc, { groups: [target], kind: 'rds', subnet: i });
    mixed.records.DBInstances.push({
      DBInstanceIdentifier: `db-${pad(i)}`,
      DBInstanceStatus: 'available',
      VpcSecurityGroups: [{ VpcSecurityGroupId: target, Status: 'active' }],
      DBSubnetGroup: { VpcId: vpc.id, Subnets: [{ SubnetIdentifier: builder.subnetId(vpc, i) }] },
    });
  },
  elbv2(mixed, i) {
    const { builder, vpc, target, seed } = mixed;
    const lbName = `web-${pad(i)}`;
    const lbId = hex8(fmix32(seed + i * 31)) + hex8(fmix32(i + 7));
    builder.eni(vpc, {
      groups: [target],
      kind: 'elb',
      description: `ELB app/${lbName}/${lbId}`,
      subnet: i % mixed.subnets,
    });
    mixed.records.LoadBalancers.push({
      LoadBalancerArn: `arn:aws:elasticloadbalancing:${builder.region}:${builder.accountId}:loadbalancer/app/${lbName}/${lbId}`,
      LoadBalancerName: lbName,
      Type: 'application',
      VpcId: vpc.id,
      State: { Code: 'active' },
      SecurityGroups: [target],
    });
  },
  efs(mixed, i) {
    const mountTarget = hexId('fsmt', mixed.seed, i);
    const fileSystem = hexId('fs', mixed.seed, i);
    const { id } = managedEni(mixed, i, `EFS mount target for ${fileSystem} (${mountTarget})`, {
      RequesterId: 'amazon-elasticfilesystem',
    });
    mixed.records.MountTargets.push({
      MountTargetId: mountTarget,
      FileSystemId: fileSystem,
      LifeCycleState: 'available',
      NetworkInterfaceId: id,
      VpcId: mixed.vpc.id,
      SecurityGroups: [mixed.target],
    });
  },
  'vpc-endpoints'(mixed, i) {
    const endpoint = hexId('vpce', mixed.seed, i);
    const { id } = managedEni(mixed, i, `VPC Endpoint Interface ${endpoint}`, {
      RequesterId: 'amazon-vpce',
      InterfaceType: 'vpc_endpoint',
    });
    mixed.records.VpcEndpoints.push({
      VpcEndpointId: endpoint,
      VpcEndpointType: 'Interface',
      VpcId: mixed.vpc.id,
      State: 'available',
      Groups: [{ GroupId: mixed.target, GroupName: DEFAULT_GROUP_NAME }],
      NetworkInterfaceIds: [id],
    });
  },
  elasticache(mixed, i) {
    const cluster = `cache-${pad(i)}`;
    managedEni(mixed, i, `ElastiCache ${cluster}`, { RequesterId: 'amazon-elasticache' });
    mixed.records.CacheClusters.push({
      CacheClusterId: cluster,
      CacheClusterStatus: 'available',
      Engine: 'redis',
      SecurityGroups: [{ SecurityGroupId: mixed.target, Status: 'active' }],
    });
  },
  // A template whose only version names the group, used by an Auto Scaling group through `$Default`.
  'ec2-launch-templates'(mixed, i) {
    const id = hexId('lt', mixed.seed, i);
    const name = `web-lt-${pad(i)}`;
    const { template, version } = launchTemplate(id, name, [mixed.target]);
    mixed.records.LaunchTemplates.push(template);
    mixed.records.LaunchTemplateVersions.push(version);
    const subnet = mixed.builder.subnetId(mixed.vpc, i % mixed.subnets);
    mixed.records.AutoScalingGroups.push(
      autoScalingGroup(`web-asg-${pad(i)}`, subnet, { template: { id, name }, version: '$Default' }),
    );
  },
  'autoscaling-launch-configurations'(mixed, i) {
    const configuration = `legacy-lc-${pad(i)}`;
    mixed.records.LaunchConfigurations.push(launchConfiguration(configuration, [mixed.target]));
    const subnet = mixed.builder.subnetId(mixed.vpc, i % mixed.subnets);
    mixed.records.AutoScalingGroups.push(autoScalingGroup(`legacy-asg-${pad(i)}`, subnet, { configuration }));
  },
  // A service with one running task (its interface on the group), the first one scaled to zero; each with a completed
  // deployment, so its move starts one and waits for it (handlers/adapters/local/owners/ecs.ts).
  ecs(mixed, i) {
    const { builder } = mixed;
    const clusterArn = `arn:aws:ecs:${builder.region}:${builder.accountId}:cluster/bench`;
    const name = `svc-${pad(i)}`;
    const subnet = builder.subnetId(mixed.vpc, i % mixed.subnets);
    const running = i === 0 ? 0 : 1;
    const deployment = `ecs-svc/${String(fmix32(mixed.seed + i)).padStart(19, '0')}`;
    mixed.records.services.push(
      ecsService({ name, clusterArn, subnets: [subnet], groups: [mixed.target], running, deployment }),
    );
    if (running === 0) return;
    const attachment = builder.uuid();
    // Assumed: Fargate's RequesterId is an AWS-owned account; the model recognises the task by its description.
    const { id } = managedEni(mixed, i, ecsAttachmentDescription(builder.region, builder.accountId, attachment), {
      RequesterId: '578734482556',
    });
    mixed.records.tasks.push(
      ecsTask({
        taskArn: `arn:aws:ecs:${builder.region}:${builder.accountId}:task/bench/${hexId('t', mixed.seed, i).slice(3)}`,
        clusterArn,
        service: name,
        attachment,
        networkInterfaceId: id,
      }),
    );
  },
  redshift(mixed, i) {
    managedEni(mixed, i, 'RedshiftNetworkInterface', { RequesterId: 'amazon-redshift' });
    mixed.records.Clusters.push(redshiftCluster(`analytics-${pad(i)}`, mixed.vpc.id, [mixed.target]));
  },
  dms(mixed, i) {
    const { builder } = mixed;
    // Assumed RequesterId; the model recognises the interface by its description.
    managedEni(mixed, i, 'DMSNetworkInterface', { RequesterId: 'amazon-dms' });
    const id = `migrate-${pad(i)}`;
    mixed.records.ReplicationInstances.push(
      dmsReplicationInstance({
        id,
        arn: `arn:aws:dms:${builder.region}:${builder.accountId}:rep:${hexId('rep', mixed.seed, i).slice(5).toUpperCase()}`,
        vpcId: mixed.vpc.id,
        groups: [mixed.target],
      }),
    );
  },
  codebuild(mixed, i) {
    const subnet = mixed.builder.subnetId(mixed.vpc, i % mixed.subnets);
    mixed.records.projects.push(codebuildProject(`tests-${pad(i)}`, mixed.vpc.id, [subnet], [mixed.target]));
  },
  batch(mixed, i) {
    const subnet = mixed.builder.subnetId(mixed.vpc, i % mixed.subnets);
    mixed.records.computeEnvironments.push(batchComputeEnvironment(`jobs-${pad(i)}`, [subnet], [mixed.target]));
  },
} satisfies Record<OwnerService, (mixed: MixedVpc, index: number) => void>;

/** The owner services the mixed VPC builds, in registry order of the builders. */
export const MIXED_SERVICES = Object.keys(MIXED_BUILDERS) as OwnerService[];

/**
 * A VPC whose default group is used by `instances` EC2 interfaces (as `generateVpc`) and by `perService` resources of
 * each owner service the registry has (handlers/core/owners/, one builder each in MIXED_BUILDERS), each with its
 * interfaces and records in the shapes the services' describes print (docs/simulator-fidelity.md). At least one
 * subnet per RDS instance (at most 8). Deterministic.
 */
export function generateMixedVpc(options: {
  instances: number;
  perService: number;
  seed?: number;
}): Ec2State & MixedOwnerRecords {
  const { instances, perService } = options;
  const seed = options.seed ?? 1;
  const owners = MIXED_SERVICES.length;
  const subnets = Math.min(8, Math.max(3, perService, Math.ceil((instances + owners * perService) / 1500)));
  const builder = new StateBuilder({ salt: fmix32(seed) });
  const vpc = builder.vpc({ cidr: '10.30.0.0/16' });
  const target = vpc.defaultGroupId;
  builder.group(vpc, {
    name: 'app',
    description: 'application tier',
    ingress: [{ protocol: 'tcp', port: 443, peers: [{ group: target, description: 'clients on default' }] }],
  });
  for (let i = 0; i < instances; i++) builder.eni(vpc, { groups: [target], subnet: i % subnets });
  const records: MixedOwnerRecords = {
    Functions: [],
    DBInstances: [],
    LoadBalancers: [],
    MountTargets: [],
    VpcEndpoints: [],
    CacheClusters: [],
    LaunchTemplates: [],
    LaunchTemplateVersions: [],
    AutoScalingGroups: [],
    LaunchConfigurations: [],
    services: [],
    tasks: [],
    Clusters: [],
    ReplicationInstances: [],
    projects: [],
    computeEnvironments: [],
  };
  const mixed: MixedVpc = { builder, vpc, target, subnets, seed, records, managed: new Map() };
  for (const build of Object.values(MIXED_BUILDERS) as ((mixed: MixedVpc, index: number) => void)[])
    for (let i = 0; i < perService; i++) build(mixed, i);
  const state = builder.build();
  state.NetworkInterfaces = state.NetworkInterfaces.map((eni) => {
    const extra = mixed.managed.get(eni.NetworkInterfaceId ?? '');
    return extra
      ? { ...eni, ...extra, Attachment: { ...eni.Attachment, InstanceOwnerId: extra.RequesterId ?? eni.RequesterId } }
      : eni;
  });
  return { ...state, ...records };
}
