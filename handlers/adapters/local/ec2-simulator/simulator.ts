/**
 * An in-memory EC2 (security groups and network interfaces only) that answers the `Ec2Port` calls as the EC2 API
 * reference describes them, with EC2's error codes. Each behaviour cites its reference page; docs/simulator-fidelity.md
 * lists them all, and what is not modelled.
 */
import { readFile, writeFile } from 'node:fs/promises';
import type {
  Ec2State,
  FlowLog,
  IpPermission,
  ManagedPrefixList,
  NetworkInterface,
  NetworkInterfaceAttachment,
  SecurityGroup,
  SecurityGroupReference,
  SecurityGroupRule,
  StaleIpPermission,
  StaleSecurityGroup,
  Tag,
  TagDescription,
  Vpc,
} from '../../../core/ec2-shapes.ts';
import { InvalidInputError } from '../../../core/errors.ts';
import { DOCUMENTED_DEFAULTS, prefixListWeight, quotaUsage } from '../../../core/quotas.ts';
import { type Neighbour, RateLimiter } from '../../../core/rate-limits.ts';
import type { Direction } from '../../../core/rules.ts';
import type { Clock, Ec2Port } from '../../../ports.ts';
import { ec2Errors } from './errors.ts';
import { compileFilters, tagValues } from './filters.ts';
import { ACCOUNT_ID, ENI_ID, IdFactory, SG_ID, SGR_ID, VPC_ID } from './ids.ts';
import {
  describeForDuplicate,
  explodePermissions,
  keyOf,
  type RuleDraft,
  renderGroup,
  renderInterface,
  renderPermissions,
  renderRule,
  type StoredGroup,
  type StoredInterface,
  type StoredRule,
} from './model.ts';
import { paginate } from './pagination.ts';
import { Peerings } from './peering.ts';
import { loadState } from './state.ts';
import { isEc2Text, permissionProblems } from './syntax.ts';

export type Ec2Action =
  | 'DescribeSecurityGroups'
  | 'DescribeNetworkInterfaces'
  | 'DescribeSecurityGroupReferences'
  | 'DescribeStaleSecurityGroups'
  | 'DescribeVpcs'
  | 'DescribeManagedPrefixLists'
  | 'DescribeTags'
  | 'DescribeFlowLogs'
  | 'CreateSecurityGroup'
  | 'DeleteSecurityGroup'
  | 'AuthorizeSecurityGroupIngress'
  | 'AuthorizeSecurityGroupEgress'
  | 'RevokeSecurityGroupIngress'
  | 'RevokeSecurityGroupEgress'
  | 'UpdateSecurityGroupRuleDescriptionsIngress'
  | 'UpdateSecurityGroupRuleDescriptionsEgress'
  | 'ModifyNetworkInterfaceAttribute'
  | 'CreateTags'
  | 'DeleteTags';

/**
 * Default quotas. https://docs.aws.amazon.com/vpc/latest/userguide/amazon-vpc-limits.html#vpc-limits-security-groups
 * (60 inbound and 60 outbound rules per group, counted separately for IPv4 and IPv6; 5 groups per interface; 2,500
 * groups — a per-Region quota in AWS, applied here per VPC). The state file's `Quotas` (the account's applied values)
 * replace the first two; `options.quotas` replace any.
 */
export interface SimulatorQuotas {
  rulesPerDirection: number;
  groupsPerInterface: number;
  groupsPerVpc: number;
}

export const DEFAULT_SIMULATOR_QUOTAS: SimulatorQuotas = {
  rulesPerDirection: DOCUMENTED_DEFAULTS.rulesPerGroup,
  groupsPerInterface: DOCUMENTED_DEFAULTS.groupsPerInterface,
  groupsPerVpc: 2500,
};

export interface SimulatorOptions {
  /** The simulated account. Default: the OwnerId of the first security group. */
  accountId?: string;
  /** Default: the region of the first SecurityGroupArn, else of the first interface's AvailabilityZone, else us-east-1. */
  region?: string;
  quotas?: Partial<SimulatorQuotas>;
  /** Seed for new `sg-` / `sgr-` ids: the same seed and the same calls give the same ids. Default: random. */
  seed?: string | number;
  /**
   * VPCs to treat as the account's default VPC. The state file has no VPC records, so by default every VPC is a
   * nondefault VPC. Only RevokeSecurityGroup* differs (see there); CreateSecurityGroup without VpcId uses the single
   * VPC listed here.
   */
  defaultVpcIds?: string[];
  /** VPCs with an IPv6 CIDR, in addition to those inferred from the state (see CreateSecurityGroup). */
  ipv6VpcIds?: string[];
  /**
   * EC2's request throttling (token buckets per account, Region and action, handlers/core/rate-limits.ts), timed by
   * this clock (a virtual one in the benchmark). Off by default: no call is ever throttled. With `neighbour`, another
   * client of the account spends that share of every bucket's refill (core/rate-limits.ts, `Neighbour`).
   */
  throttling?: { clock: Pick<Clock, 'now'>; neighbour?: Neighbour };
}

/** Fault injection: `before` may throw (an error answer, nothing applied); `after` may throw (a crash after the call took effect). */
export interface SimulatorHooks {
  before?(action: Ec2Action, input: unknown): void | Promise<void>;
  after?(action: Ec2Action, input: unknown, output: unknown): void | Promise<void>;
}

type Input<K extends keyof Ec2Port> = Parameters<Ec2Port[K]>[0];
type Output<K extends keyof Ec2Port> = Awaited<ReturnType<Ec2Port[K]>>;

const DEFAULT_ACCOUNT_ID = '123456789012';
const DEFAULT_REGION = 'us-east-1';

const PREFIX_LIST_FILTERS = new Set(['owner-id', 'prefix-list-id', 'prefix-list-name']);

const TAG_FILTERS = new Set(['key', 'resource-id', 'resource-type', 'value']);

/** https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DescribeFlowLogs.html, `Filter.N` (and `tag:<key>`). */
const FLOW_LOG_FILTERS = new Set([
  'deliver-log-status',
  'log-destination-type',
  'flow-log-id',
  'log-group-name',
  'resource-id',
  'traffic-type',
  'tag-key',
]);

const GROUP_FILTERS = new Set([
  'description',
  'group-id',
  'group-name',
  'owner-id',
  'vpc-id',
  'tag-key',
  ...[
    'cidr',
    'from-port',
    'group-id',
    'group-name',
    'ipv6-cidr',
    'prefix-list-id',
    'protocol',
    'to-port',
    'user-id',
  ].flatMap((field) => [`ip-permission.${field}`, `egress.ip-permission.${field}`]),
]);

const INTERFACE_FILTERS = new Set([
  'addresses.private-ip-address',
  'attachment.attachment-id',
  'attachment.delete-on-termination',
  'attachment.device-index',
  'attachment.instance-id',
  'attachment.instance-owner-id',
  'attachment.status',
  'availability-zone',
  'description',
  'group-id',
  'interface-type',
  'ipv6-addresses.ipv6-address',
  'mac-address',
  'network-interface-id',
  'owner-id',
  'private-dns-name',
  'private-ip-address',
  'requester-id',
  'requester-managed',
  'source-dest-check',
  'status',
  'subnet-id',
  'tag-key',
  'vpc-id',
]);

const PROTOCOL_ALIASES: Record<string, string[]> = {
  tcp: ['tcp', '6'],
  udp: ['udp', '17'],
  icmp: ['icmp', '1'],
  icmpv6: ['icmpv6', '58'],
  '-1': ['-1'],
};

function str(value: unknown): string[] {
  return value === undefined || value === null ? [] : [String(value)];
}

function partitionOf(region: string): string {
  if (region.startsWith('cn-')) return 'aws-cn';
  if (region.startsWith('us-gov-')) return 'aws-us-gov';
  return 'aws';
}

export class Ec2Simulator implements Ec2Port {
  readonly accountId: string;
  readonly region: string;
  readonly quotas: SimulatorQuotas;
  private readonly partition: string;
  private readonly groups = new Map<string, StoredGroup>();
  private readonly interfaces = new Map<string, StoredInterface>();
  private readonly extras: Record<string, unknown>;
  /** `PrefixLists` of the state file, by id, and how many rules a reference to each counts as. */
  private readonly prefixLists: Map<string, ManagedPrefixList>;
  private readonly prefixListWeights: Record<string, number>;
  private readonly defaultVpcs: Set<string>;
  private readonly ipv6Vpcs: Set<string>;
  private readonly ids: IdFactory;
  private counts: Record<string, number> = {};
  private hooks: SimulatorHooks = {};
  private readonly limiter?: RateLimiter;
  private readonly peerings: Peerings;

  private constructor(state: unknown, options: SimulatorOptions) {
    const reasons: string[] = [];
    if (options.accountId !== undefined && !ACCOUNT_ID.test(options.accountId))
      reasons.push('options.accountId: must be a 12-digit AWS account id');
    if (options.region !== undefined && !/^[a-z]{2}(-[a-z]+)+-\d+$/.test(options.region))
      reasons.push('options.region: must look like us-east-1');
    for (const [name, value] of Object.entries(options.quotas ?? {})) {
      if (value !== undefined && (!Number.isInteger(value) || value < 1))
        reasons.push(`options.quotas.${name}: must be a positive integer`);
    }
    for (const [name, list] of [
      ['defaultVpcIds', options.defaultVpcIds],
      ['ipv6VpcIds', options.ipv6VpcIds],
    ] as const) {
      (list ?? []).forEach((vpcId, index) => {
        if (!VPC_ID.test(vpcId)) reasons.push(`options.${name}[${index}]: must look like vpc-…`);
      });
    }
    if (reasons.length > 0) throw new InvalidInputError(reasons);

    const loaded = loadState(state, options.accountId ? { accountId: options.accountId } : {});
    this.accountId = options.accountId ?? loaded.firstOwnerId ?? DEFAULT_ACCOUNT_ID;
    this.region = options.region ?? loaded.regionHint ?? DEFAULT_REGION;
    this.partition = loaded.partitionHint ?? partitionOf(this.region);
    this.quotas = { ...DEFAULT_SIMULATOR_QUOTAS, ...loaded.quotas, ...definedEntries(options.quotas ?? {}) };
    this.extras = loaded.extras;
    this.prefixLists = loaded.prefixLists;
    this.prefixListWeights = {};
    for (const [id, list] of this.prefixLists) {
      const weight = prefixListWeight(list);
      if (weight !== undefined) this.prefixListWeights[id] = weight;
    }
    for (const group of loaded.groups) this.groups.set(group.GroupId, group);
    for (const eni of loaded.interfaces) this.interfaces.set(eni.id, eni);
    this.defaultVpcs = new Set(options.defaultVpcIds ?? []);
    this.ipv6Vpcs = new Set([...(options.ipv6VpcIds ?? []), ...this.inferIpv6Vpcs()]);
    this.ids = new IdFactory(options.seed, (id) => this.groups.has(id) || this.ruleIdTaken(id));
    this.peerings = new Peerings(loaded.peeringConnections, (pcxId) => this.pairStatuses(pcxId));
    const clock = options.throttling?.clock;
    if (clock) this.limiter = new RateLimiter(() => clock.now(), options.throttling?.neighbour);
  }

  /** Validates a state (describe-security-groups + describe-network-interfaces output); throws InvalidInputError naming each problem. */
  static fromState(state: unknown, options: SimulatorOptions = {}): Ec2Simulator {
    return new Ec2Simulator(state, options);
  }

  static async fromFile(path: string, options: SimulatorOptions = {}): Promise<Ec2Simulator> {
    const text = await readFile(path, 'utf8');
    let state: unknown;
    try {
      state = JSON.parse(text);
    } catch (error) {
      throw new InvalidInputError([`${path}: not valid JSON (${(error as Error).message})`]);
    }
    return Ec2Simulator.fromState(state, options);
  }

  /** The whole state (every account's groups and interfaces), in the input's shape and order; new groups last. */
  toState(): Ec2State {
    return structuredClone({
      ...this.extras,
      SecurityGroups: [...this.groups.values()].map(renderGroup),
      NetworkInterfaces: [...this.interfaces.values()].map((eni) => renderInterface(eni, (id) => this.groupName(id))),
    });
  }

  async toFile(path: string): Promise<void> {
    await writeFile(path, `${JSON.stringify(this.toState(), null, 1)}\n`, 'utf8');
  }

  /** Calls made so far, by EC2 action name (failed calls included). */
  callCounts(): Record<string, number> {
    return { ...this.counts };
  }

  totalCalls(): number {
    return Object.values(this.counts).reduce((sum, count) => sum + count, 0);
  }

  resetCallCounts(): void {
    this.counts = {};
  }

  /** Calls refused with RequestLimitExceeded, by action (empty when throttling is off). */
  throttledCounts(): Record<string, number> {
    return this.limiter?.throttledCounts() ?? {};
  }

  /** The neighbour's calls refused so far, and over the same time without this account's other calls. */
  neighbourThrottles(): { withRun: number; alone: number } {
    return { withRun: this.limiter?.neighbourThrottles() ?? 0, alone: this.limiter?.neighbourThrottlesAlone() ?? 0 };
  }

  /**
   * What terminating an instance does to its primary interface (DeleteOnTermination): the interface is gone. Not an
   * API call the workflow makes; tests use it to change the world while a run waits.
   */
  removeInterface(networkInterfaceId: string): void {
    if (!this.interfaces.delete(networkInterfaceId)) throw ec2Errors.interfaceNotFound([networkInterfaceId]);
  }

  /**
   * What the service that owns a requester-managed interface does when its configuration changes (e.g. Lambda
   * UpdateFunctionConfiguration with new SecurityGroupIds): the interface's groups change although EC2 itself refuses
   * ModifyNetworkInterfaceAttribute on it. Not an API call the workflow makes; tests use it to change the world.
   */
  setGroupsAsOwner(networkInterfaceId: string, groupIds: string[]): void {
    const eni = this.interfaces.get(networkInterfaceId);
    if (!eni) throw ec2Errors.interfaceNotFound([networkInterfaceId]);
    for (const groupId of groupIds) this.ownGroup(groupId);
    eni.groupIds = [...new Set(groupIds)];
  }

  /**
   * What a requester-managed interface's service does when it uses the interface again: it is attached and in use.
   * Not an API call the workflow makes; tests use it to change the world while a run waits.
   */
  attachAsOwner(networkInterfaceId: string, attachment: NetworkInterfaceAttachment): void {
    const eni = this.interfaces.get(networkInterfaceId);
    if (!eni) throw ec2Errors.interfaceNotFound([networkInterfaceId]);
    eni.raw.Status = 'in-use';
    eni.raw.Attachment = { ...attachment, Status: attachment.Status ?? 'attached' };
  }

  /**
   * What other accounts do: a VPC-sharing participant creating a group (with its rules) or an interface in a VPC this
   * account shares with it, a peer account doing so in its own VPC. Not an API call the workflow makes; tests use it
   * to change the world while a run waits. The records are validated as a state file's are.
   */
  addOtherAccountResources(resources: {
    SecurityGroups?: SecurityGroup[];
    NetworkInterfaces?: NetworkInterface[];
  }): void {
    const added = resources.SecurityGroups ?? [];
    const loaded = loadState({
      SecurityGroups: [...[...this.groups.values()].map(renderGroup), ...added],
      NetworkInterfaces: resources.NetworkInterfaces ?? [],
    });
    const owners = [...added.map((group) => group.OwnerId), ...loaded.interfaces.map((eni) => eni.ownerId)];
    if (owners.some((owner) => owner === undefined || owner === this.accountId))
      throw new InvalidInputError([
        'addOtherAccountResources: every group and interface needs another account as OwnerId',
      ]);
    const addedIds = new Set(added.map((group) => group.GroupId));
    for (const group of loaded.groups) if (addedIds.has(group.GroupId)) this.groups.set(group.GroupId, group);
    for (const eni of loaded.interfaces) {
      if (this.interfaces.has(eni.id)) throw new InvalidInputError([`addOtherAccountResources: ${eni.id} exists`]);
      this.interfaces.set(eni.id, eni);
    }
  }

  setHooks(hooks: SimulatorHooks): void {
    this.hooks = { ...hooks };
  }

  // ---------------------------------------------------------------------------------------------------------------
  // For the service simulators (handlers/adapters/local/service-simulator.ts), which share this interface state

  /** The state file's other top-level records (Functions, DBInstances, …), live: changes show in toState. */
  serviceRecords(): Record<string, unknown> {
    return this.extras;
  }

  /** This account's interfaces: id, VPC, description, requester, subnet and groups (read-only copies). */
  interfaceSummaries(): {
    id: string;
    vpcId: string;
    description: string;
    subnetId?: string;
    groupIds: string[];
    requesterManaged: boolean;
    requesterId?: string;
  }[] {
    return [...this.interfaces.values()]
      .filter((eni) => this.ownsInterface(eni))
      .map((eni) => ({
        id: eni.id,
        vpcId: eni.vpcId,
        description: eni.raw.Description ?? '',
        ...(eni.raw.SubnetId ? { subnetId: eni.raw.SubnetId } : {}),
        groupIds: [...eni.groupIds],
        requesterManaged: eni.raw.RequesterManaged === true,
        ...(eni.raw.RequesterId ? { requesterId: eni.raw.RequesterId } : {}),
      }));
  }

  /** The VPC and name of this account's group, or undefined when there is no such group. */
  groupInfo(groupId: string): { vpcId: string; groupName: string } | undefined {
    const group = this.groups.get(groupId);
    return group && this.isOwn(group) ? { vpcId: group.VpcId, groupName: group.GroupName } : undefined;
  }

  /** What a service does to its resource's interfaces when the resource's groups change (no requester-managed check). */
  setServiceInterfaceGroups(eniIds: string[], groupIds: string[]): void {
    for (const id of eniIds) {
      const eni = this.ownInterface(id);
      if (eni) eni.groupIds = [...new Set(groupIds)];
    }
  }

  // ---------------------------------------------------------------------------------------------------------------
  // Ec2Port

  /**
   * https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DescribeSecurityGroups.html — this account's groups,
   * and in a VPC this account owns the groups its participants created there: "VPC owners can describe the security
   * groups created by participants in a shared VPC subnet. VPC owners cannot work with security groups created by
   * participants in any other way" (https://docs.aws.amazon.com/vpc/latest/userguide/vpc-share-limitations.html).
   */
  describeSecurityGroups(input: Input<'describeSecurityGroups'>): Promise<Output<'describeSecurityGroups'>> {
    return this.call('DescribeSecurityGroups', input, (request) => {
      const groupIds = request.GroupIds ?? [];
      if (groupIds.length > 0 && request.MaxResults !== undefined)
        throw ec2Errors.invalidParameterCombination(
          'The parameter groupIds cannot be used with the parameter maxResults',
        );
      const owned = this.ownedVpcs();
      const visible = (group: StoredGroup) => this.isOwn(group) || owned.has(group.VpcId);
      const wanted =
        groupIds.length > 0 ? new Set(groupIds.map((id) => this.visibleGroup(id, visible).GroupId)) : undefined;
      const matches = compileFilters(request.Filters, this.groupFilterValues, GROUP_FILTERS);
      const groups = [...this.groups.values()].filter(
        (group) => visible(group) && (!wanted || wanted.has(group.GroupId)) && matches(group),
      );
      const { page, nextToken } = paginate(groups, {
        action: 'DescribeSecurityGroups',
        query: { ids: [...(wanted ?? [])].sort(), filters: request.Filters ?? [] },
        maxResults: request.MaxResults,
        nextToken: request.NextToken,
      });
      const output: { SecurityGroups: SecurityGroup[]; NextToken?: string } = { SecurityGroups: page.map(renderGroup) };
      if (nextToken !== undefined) output.NextToken = nextToken;
      return output;
    });
  }

  /**
   * https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DescribeNetworkInterfaces.html — MaxResults can't be
   * combined with NetworkInterfaceIds; other accounts' interfaces are not listed, except in a VPC this account owns
   * (its `default` group is this account's): a shared VPC's owner sees the participants' interfaces in it, as it can
   * describe their flow logs (https://docs.aws.amazon.com/vpc/latest/userguide/vpc-share-limitations.html).
   */
  describeNetworkInterfaces(input: Input<'describeNetworkInterfaces'>): Promise<Output<'describeNetworkInterfaces'>> {
    return this.call('DescribeNetworkInterfaces', input, (request) => {
      const ids = request.NetworkInterfaceIds ?? [];
      if (ids.length > 0 && request.MaxResults !== undefined)
        throw ec2Errors.invalidParameterCombination(
          'The parameter networkInterfaceIds cannot be used with the parameter maxResults',
        );
      for (const id of ids) this.checkId(id, ENI_ID, 'InvalidNetworkInterfaceID.Malformed', 'eni');
      const missing = [...new Set(ids)].filter((id) => !this.ownInterface(id));
      if (missing.length > 0) throw ec2Errors.interfaceNotFound(missing);
      const wanted = ids.length > 0 ? new Set(ids) : undefined;
      const matches = compileFilters(request.Filters, this.interfaceFilterValues, INTERFACE_FILTERS);
      const owned = this.ownedVpcs();
      const interfaces = [...this.interfaces.values()].filter(
        (eni) => (this.ownsInterface(eni) || owned.has(eni.vpcId)) && (!wanted || wanted.has(eni.id)) && matches(eni),
      );
      const { page, nextToken } = paginate(interfaces, {
        action: 'DescribeNetworkInterfaces',
        query: { ids: [...(wanted ?? [])].sort(), filters: request.Filters ?? [] },
        maxResults: request.MaxResults,
        nextToken: request.NextToken,
      });
      const output: { NetworkInterfaces: NetworkInterface[]; NextToken?: string } = {
        NetworkInterfaces: page.map((eni) => renderInterface(eni, (id) => this.groupName(id))),
      };
      if (nextToken !== undefined) output.NextToken = nextToken;
      return output;
    });
  }

  /**
   * The state file may carry `Vpcs` (`aws ec2 describe-vpcs` output) for tags; otherwise a VPC is known from this
   * account's groups and interfaces, with no tags, and its `OwnerId` is the owner of its `default` group (the VPC's
   * owner: a participant of a shared VPC sees it with the owner's id). An unknown id fails the whole call, as EC2
   * does — a peer VPC of another account is not described to this one.
   * https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DescribeVpcs.html
   */
  describeVpcs(input: Input<'describeVpcs'>): Promise<Output<'describeVpcs'>> {
    return this.call('DescribeVpcs', input, (request) => {
      const records = Array.isArray(this.extras.Vpcs) ? (this.extras.Vpcs as Vpc[]) : [];
      const known = this.knownVpcs();
      return {
        Vpcs: (request?.VpcIds ?? [...known]).map((vpcId) => {
          const record = records.find((vpc) => vpc.VpcId === vpcId);
          if (!record && !known.has(vpcId)) throw ec2Errors.vpcNotFound(vpcId);
          return { VpcId: vpcId, OwnerId: this.vpcOwner(vpcId) ?? this.accountId, Tags: [], ...record };
        }),
      };
    });
  }

  /**
   * One row per VPC on the other side of a peering (or transit gateway) connection whose groups reference each of
   * the given groups of this account — "Describes the VPCs … that are referencing the security groups you've
   * specified": the row names the VPC, not the groups, nor how many there are or whose they are. Every group of the
   * state counts, of any account (a peer account's, a shared VPC participant's). The row's connection is the one a
   * referencing pair names, else the recorded active connection between the two VPCs.
   * https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DescribeSecurityGroupReferences.html
   */
  describeSecurityGroupReferences(
    input: Input<'describeSecurityGroupReferences'>,
  ): Promise<Output<'describeSecurityGroupReferences'>> {
    return this.call('DescribeSecurityGroupReferences', input, (request) => {
      const groupIds = request?.GroupId ?? [];
      if (groupIds.length === 0) throw ec2Errors.missingParameter('GroupId');
      const targets = [...new Set(groupIds)].map((id) => this.ownGroup(id));
      const rows: SecurityGroupReference[] = [];
      for (const target of targets) {
        const byVpc = new Map<string, SecurityGroupReference>();
        for (const group of this.groups.values()) {
          if (group.VpcId === target.VpcId) continue;
          for (const rule of group.rules) {
            if (rule.peer.kind !== 'group' || rule.peer.groupId !== target.GroupId) continue;
            let row = byVpc.get(group.VpcId);
            if (!row) {
              row = { GroupId: target.GroupId, ReferencingVpcId: group.VpcId };
              byVpc.set(group.VpcId, row);
              rows.push(row);
            }
            const pcx = rule.peer.vpcPeeringConnectionId ?? this.peerings.activeBetween(target.VpcId, group.VpcId)?.id;
            if (pcx !== undefined && row.VpcPeeringConnectionId === undefined) row.VpcPeeringConnectionId = pcx;
          }
        }
        // Rows the state records for groups it does not hold (a captured account's view of other accounts' VPCs).
        const recorded = Array.isArray(this.extras.SecurityGroupReferences)
          ? (this.extras.SecurityGroupReferences as SecurityGroupReference[])
          : [];
        for (const row of recorded)
          if (row.GroupId === target.GroupId && row.ReferencingVpcId && !byVpc.has(row.ReferencingVpcId)) {
            byVpc.set(row.ReferencingVpcId, row);
            rows.push(structuredClone(row));
          }
      }
      return { SecurityGroupReferenceSet: rows };
    });
  }

  /**
   * https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DescribeManagedPrefixLists.html — the state file's
   * `PrefixLists` (what `aws ec2 describe-managed-prefix-lists` printed: the account's lists, lists shared with it and
   * the AWS-managed ones). Filters `owner-id`, `prefix-list-id`, `prefix-list-name`; `MaxResults` 1-100; an unknown id
   * in `PrefixListIds` fails the call (InvalidPrefixListID.NotFound), a filter on one matches nothing.
   */
  /**
   * https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DescribeTags.html — the tags of this account's security
   * groups (`security-group`) and interfaces (`network-interface`), and the rows of the state's `Tags` (`aws ec2
   * describe-tags` output: the instances' tags, which the simulator has no other record of); filters `key`,
   * `resource-id`, `resource-type`, `value`; MaxResults 5-1000.
   */
  describeTags(input: Input<'describeTags'>): Promise<Output<'describeTags'>> {
    return this.call('DescribeTags', input, (request) => {
      const rows: TagDescription[] = [];
      for (const group of this.groups.values()) {
        if (!this.isOwn(group)) continue;
        for (const tag of group.Tags ?? [])
          rows.push({
            Key: tag.Key,
            ResourceId: group.GroupId,
            ResourceType: 'security-group',
            Value: tag.Value ?? '',
          });
      }
      for (const eni of this.interfaces.values()) {
        if (!this.ownsInterface(eni)) continue;
        for (const tag of eni.raw.TagSet ?? [])
          rows.push({ Key: tag.Key, ResourceId: eni.id, ResourceType: 'network-interface', Value: tag.Value ?? '' });
      }
      if (Array.isArray(this.extras.Tags)) rows.push(...(this.extras.Tags as TagDescription[]));
      const matches = compileFilters(
        request?.Filters,
        (row: TagDescription, name) =>
          name === 'key'
            ? str(row.Key)
            : name === 'resource-id'
              ? str(row.ResourceId)
              : name === 'resource-type'
                ? str(row.ResourceType)
                : name === 'value'
                  ? str(row.Value)
                  : undefined,
        TAG_FILTERS,
      );
      const { page, nextToken } = paginate(rows.filter(matches), {
        action: 'DescribeTags',
        query: { filters: request?.Filters ?? [] },
        maxResults: request?.MaxResults,
        nextToken: request?.NextToken,
        maxResultsRange: [5, 1000],
      });
      const output: { Tags: TagDescription[]; NextToken?: string } = { Tags: structuredClone(page) };
      if (nextToken !== undefined) output.NextToken = nextToken;
      return output;
    });
  }

  /**
   * https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DescribeFlowLogs.html — the state's `FlowLogs` (`aws
   * ec2 describe-flow-logs` output, as they are), in order; `FlowLogIds` and the filters `deliver-log-status`,
   * `log-destination-type`, `flow-log-id`, `log-group-name`, `resource-id`, `traffic-type`, `tag:<key>`, `tag-key`
   * (any other name is InvalidParameterValue); MaxResults 5-1000 (the range the reference gave for this call). A
   * FlowLogIds entry the state does not have is answered as no row, not an error (assumed: the reference names no
   * NotFound error for this call).
   */
  describeFlowLogs(input: Input<'describeFlowLogs'>): Promise<Output<'describeFlowLogs'>> {
    return this.call('DescribeFlowLogs', input, (request) => {
      const logs = Array.isArray(this.extras.FlowLogs) ? (this.extras.FlowLogs as FlowLog[]) : [];
      const ids = request?.FlowLogIds ?? [];
      const wanted = ids.length > 0 ? new Set(ids) : undefined;
      const matches = compileFilters(
        request?.Filter,
        (log: FlowLog, name) =>
          name === 'deliver-log-status'
            ? str(log.DeliverLogsStatus)
            : name === 'log-destination-type'
              ? str(log.LogDestinationType)
              : name === 'flow-log-id'
                ? str(log.FlowLogId)
                : name === 'log-group-name'
                  ? str(log.LogGroupName)
                  : name === 'resource-id'
                    ? str(log.ResourceId)
                    : name === 'traffic-type'
                      ? str(log.TrafficType)
                      : tagValues(log.Tags, name),
        FLOW_LOG_FILTERS,
      );
      const { page, nextToken } = paginate(
        logs.filter((log) => (!wanted || wanted.has(log.FlowLogId ?? '')) && matches(log)),
        {
          action: 'DescribeFlowLogs',
          query: { ids: [...(wanted ?? [])].sort(), filters: request?.Filter ?? [] },
          maxResults: request?.MaxResults,
          nextToken: request?.NextToken,
          maxResultsRange: [5, 1000],
        },
      );
      const output: { FlowLogs: FlowLog[]; NextToken?: string } = { FlowLogs: page };
      if (nextToken !== undefined) output.NextToken = nextToken;
      return output;
    });
  }

  describeManagedPrefixLists(
    input: Input<'describeManagedPrefixLists'>,
  ): Promise<Output<'describeManagedPrefixLists'>> {
    return this.call('DescribeManagedPrefixLists', input, (request) => {
      const ids = request?.PrefixListIds ?? [];
      for (const id of ids) if (!this.prefixLists.has(id)) throw ec2Errors.prefixListNotFound(id);
      const wanted = ids.length > 0 ? new Set(ids) : undefined;
      const matches = compileFilters(
        request?.Filters,
        (list: ManagedPrefixList, name) =>
          name === 'owner-id'
            ? str(list.OwnerId)
            : name === 'prefix-list-id'
              ? str(list.PrefixListId)
              : name === 'prefix-list-name'
                ? str(list.PrefixListName)
                : undefined,
        PREFIX_LIST_FILTERS,
      );
      const lists = [...this.prefixLists.values()].filter(
        (list) => (!wanted || wanted.has(list.PrefixListId ?? '')) && matches(list),
      );
      const { page, nextToken } = paginate(lists, {
        action: 'DescribeManagedPrefixLists',
        query: { ids: [...(wanted ?? [])].sort(), filters: request?.Filters ?? [] },
        maxResults: request?.MaxResults,
        nextToken: request?.NextToken,
        maxResultsRange: [1, 100],
      });
      const output: { PrefixLists: ManagedPrefixList[]; NextToken?: string } = { PrefixLists: page };
      if (nextToken !== undefined) output.NextToken = nextToken;
      return output;
    });
  }

  /**
   * The groups of this account in the VPC with stale rules, and those rules: references through a peering connection
   * that is not active (deleted, or absent from `VpcPeeringConnections`), and references to a group of this account
   * that no longer exists. Pairs are answered as DescribeSecurityGroups has them, with the connection's status as
   * `PeeringStatus`; groups without stale rules are not listed. MaxResults 5-255.
   * https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DescribeStaleSecurityGroups.html,
   * https://docs.aws.amazon.com/vpc/latest/peering/vpc-peering-security-groups.html#vpc-peering-stale-groups
   */
  describeStaleSecurityGroups(
    input: Input<'describeStaleSecurityGroups'>,
  ): Promise<Output<'describeStaleSecurityGroups'>> {
    return this.call('DescribeStaleSecurityGroups', input, (request) => {
      const vpcId = request?.VpcId;
      if (vpcId === undefined || vpcId === '') throw ec2Errors.missingParameter('VpcId');
      this.checkId(vpcId, VPC_ID, 'InvalidVpcID.Malformed', 'vpc');
      if (!this.knownVpcs().has(vpcId)) throw ec2Errors.vpcNotFound(vpcId);
      const maxResults = request.MaxResults;
      if (maxResults !== undefined && (!Number.isInteger(maxResults) || maxResults < 5 || maxResults > 255))
        throw ec2Errors.invalidParameterValue(
          `Value ( ${maxResults} ) for parameter maxResults is invalid. Parameter must be between 5 and 255.`,
        );
      const stale: StaleSecurityGroup[] = [];
      for (const group of this.groups.values()) {
        if (!this.isOwn(group) || group.VpcId !== vpcId) continue;
        const rules = group.rules.flatMap((rule) => {
          const status = this.staleStatus(rule, group);
          return status === undefined ? [] : [{ rule, status }];
        });
        if (rules.length === 0) continue;
        stale.push({
          Description: group.Description,
          GroupId: group.GroupId,
          GroupName: group.GroupName,
          StaleIpPermissions: staleIpPermissions(rules.filter(({ rule }) => rule.direction === 'ingress')),
          StaleIpPermissionsEgress: staleIpPermissions(rules.filter(({ rule }) => rule.direction === 'egress')),
          VpcId: group.VpcId,
        });
      }
      const { page, nextToken } = paginate(stale, {
        action: 'DescribeStaleSecurityGroups',
        query: { vpcId },
        maxResults,
        nextToken: request.NextToken,
      });
      const output: { StaleSecurityGroupSet: StaleSecurityGroup[]; NextToken?: string } = {
        StaleSecurityGroupSet: page,
      };
      if (nextToken !== undefined) output.NextToken = nextToken;
      return output;
    });
  }

  /**
   * https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_CreateSecurityGroup.html — name and description: up to
   * 255 of a-zA-Z0-9 space ._-:/()#,@[]+=&;{}!$*, name not starting with sg-, unique (case-insensitive) in the VPC;
   * `default` is reserved (InvalidGroup.Reserved, errors-overview.html). A new group has one outbound rule, all
   * traffic to 0.0.0.0/0, and to ::/0 when the VPC has an IPv6 CIDR
   * (https://docs.aws.amazon.com/vpc/latest/userguide/creating-security-groups.html). Without VPC records, a VPC has
   * IPv6 when its default group has an outbound ::/0 rule or one of its interfaces has an IPv6 address in the loaded
   * state, or when listed in options.ipv6VpcIds.
   */
  createSecurityGroup(input: Input<'createSecurityGroup'>): Promise<Output<'createSecurityGroup'>> {
    return this.call('CreateSecurityGroup', input, (request) => {
      const name = request.GroupName;
      const description = request.Description;
      if (name === undefined || name === '') throw ec2Errors.missingParameter('GroupName');
      if (description === undefined || description === '') throw ec2Errors.missingParameter('GroupDescription');
      let vpcId = request.VpcId;
      if (vpcId === undefined || vpcId === '') {
        if (this.defaultVpcs.size !== 1) throw ec2Errors.noDefaultVpc();
        vpcId = [...this.defaultVpcs][0] as string;
      }
      this.checkId(vpcId, VPC_ID, 'InvalidVpcID.Malformed', 'vpc');
      if (!this.knownVpcs().has(vpcId)) throw ec2Errors.vpcNotFound(vpcId);
      if (name.toLowerCase() === 'default') throw ec2Errors.groupReserved();
      if (/^sg-/i.test(name))
        throw ec2Errors.invalidParameterValue(
          `Value (${name}) for parameter GroupName is invalid. Group names may not be in the format sg-*.`,
        );
      if (!isEc2Text(name))
        throw ec2Errors.invalidParameterValue(
          `Value (${name}) for parameter GroupName is invalid. Valid names are up to 255 characters from a-zA-Z0-9 spaces and ._-:/()#,@[]+=&;{}!$*`,
        );
      if (!isEc2Text(description))
        throw ec2Errors.invalidParameterValue(
          `Value (${description}) for parameter GroupDescription is invalid. Valid descriptions are up to 255 characters from a-zA-Z0-9 spaces and ._-:/()#,@[]+=&;{}!$*`,
        );
      const tags = this.tagsFrom(request.TagSpecifications);
      const inVpc = [...this.groups.values()].filter((group) => this.isOwn(group) && group.VpcId === vpcId);
      if (inVpc.some((group) => group.GroupName.toLowerCase() === name.toLowerCase()))
        throw ec2Errors.groupDuplicate(name, vpcId);
      if (inVpc.length >= this.quotas.groupsPerVpc) throw ec2Errors.groupLimit(vpcId);

      const groupId = this.ids.next('sg');
      const arn = `arn:${this.partition}:ec2:${this.region}:${this.accountId}:security-group/${groupId}`;
      const egress: RuleDraft[] = [
        { direction: 'egress', protocol: '-1', peer: { kind: 'cidr4', cidr: '0.0.0.0/0' } },
        ...(this.ipv6Vpcs.has(vpcId)
          ? [{ direction: 'egress' as const, protocol: '-1', peer: { kind: 'cidr6' as const, cidr: '::/0' } }]
          : []),
      ];
      const group: StoredGroup = {
        raw: {},
        GroupId: groupId,
        GroupName: name,
        Description: description,
        VpcId: vpcId,
        OwnerId: this.accountId,
        SecurityGroupArn: arn,
        rules: egress.map((draft) => ({ ...draft, id: this.ids.next('sgr') })),
      };
      if (tags.length > 0) group.Tags = tags;
      this.groups.set(groupId, group);
      const output: { GroupId: string; SecurityGroupArn: string; Tags?: Tag[] } = {
        GroupId: groupId,
        SecurityGroupArn: arn,
      };
      if (tags.length > 0) output.Tags = tags;
      return output;
    });
  }

  /**
   * https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DeleteSecurityGroup.html — DependencyViolation while an
   * interface uses the group or a group in the same VPC references it (references from other VPCs become stale
   * rules); a VPC's default group can't be deleted (CannotDelete,
   * https://docs.aws.amazon.com/vpc/latest/userguide/default-security-group.html).
   */
  deleteSecurityGroup(input: Input<'deleteSecurityGroup'>): Promise<Output<'deleteSecurityGroup'>> {
    return this.call('DeleteSecurityGroup', input, (request) => {
      if (request.GroupId === undefined || request.GroupId === '') throw ec2Errors.missingParameter('GroupId');
      const group = this.ownGroup(request.GroupId);
      if (group.GroupName === 'default') throw ec2Errors.cannotDeleteDefault(group.GroupId);
      const usedByInterface = [...this.interfaces.values()].some((eni) => eni.groupIds.includes(group.GroupId));
      const referenced = [...this.groups.values()].some(
        (other) =>
          other.GroupId !== group.GroupId &&
          other.VpcId === group.VpcId &&
          other.rules.some((rule) => rule.peer.kind === 'group' && rule.peer.groupId === group.GroupId),
      );
      if (usedByInterface || referenced) throw ec2Errors.dependencyViolation(group.GroupId);
      this.groups.delete(group.GroupId);
      return { Return: true, GroupId: group.GroupId };
    });
  }

  /** https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_AuthorizeSecurityGroupIngress.html */
  authorizeSecurityGroupIngress(
    input: Input<'authorizeSecurityGroupIngress'>,
  ): Promise<Output<'authorizeSecurityGroupIngress'>> {
    return this.call('AuthorizeSecurityGroupIngress', input, (request) => this.authorize(request, 'ingress'));
  }

  /** https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_AuthorizeSecurityGroupEgress.html */
  authorizeSecurityGroupEgress(
    input: Input<'authorizeSecurityGroupEgress'>,
  ): Promise<Output<'authorizeSecurityGroupEgress'>> {
    return this.call('AuthorizeSecurityGroupEgress', input, (request) => this.authorize(request, 'egress'));
  }

  /** https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_RevokeSecurityGroupIngress.html */
  revokeSecurityGroupIngress(
    input: Input<'revokeSecurityGroupIngress'>,
  ): Promise<Output<'revokeSecurityGroupIngress'>> {
    return this.call('RevokeSecurityGroupIngress', input, (request) => this.revoke(request, 'ingress'));
  }

  /** https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_RevokeSecurityGroupEgress.html */
  revokeSecurityGroupEgress(input: Input<'revokeSecurityGroupEgress'>): Promise<Output<'revokeSecurityGroupEgress'>> {
    return this.call('RevokeSecurityGroupEgress', input, (request) => this.revoke(request, 'egress'));
  }

  /** https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_UpdateSecurityGroupRuleDescriptionsIngress.html */
  updateSecurityGroupRuleDescriptionsIngress(
    input: Input<'updateSecurityGroupRuleDescriptionsIngress'>,
  ): Promise<Output<'updateSecurityGroupRuleDescriptionsIngress'>> {
    return this.call('UpdateSecurityGroupRuleDescriptionsIngress', input, (request) =>
      this.updateDescriptions(request, 'ingress'),
    );
  }

  /** https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_UpdateSecurityGroupRuleDescriptionsEgress.html */
  updateSecurityGroupRuleDescriptionsEgress(
    input: Input<'updateSecurityGroupRuleDescriptionsEgress'>,
  ): Promise<Output<'updateSecurityGroupRuleDescriptionsEgress'>> {
    return this.call('UpdateSecurityGroupRuleDescriptionsEgress', input, (request) =>
      this.updateDescriptions(request, 'egress'),
    );
  }

  /**
   * Replaces the interface's groups (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_ModifyNetworkInterfaceAttribute.html):
   * at least one group, by id, each in the interface's VPC; duplicates collapse; at most `groupsPerInterface`.
   * Requester-managed interfaces can't be modified
   * (https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/requester-managed-eni.html).
   */
  modifyNetworkInterfaceAttribute(
    input: Input<'modifyNetworkInterfaceAttribute'>,
  ): Promise<Output<'modifyNetworkInterfaceAttribute'>> {
    return this.call('ModifyNetworkInterfaceAttribute', input, (request) => {
      const eniId = request.NetworkInterfaceId;
      if (eniId === undefined || eniId === '') throw ec2Errors.missingParameter('NetworkInterfaceId');
      this.checkId(eniId, ENI_ID, 'InvalidNetworkInterfaceID.Malformed', 'eni');
      const eni = this.ownInterface(eniId);
      if (!eni) throw ec2Errors.interfaceNotFound([eniId]);
      const groupIds = [...new Set(request.Groups ?? [])];
      if (groupIds.length === 0) throw ec2Errors.missingParameter('SecurityGroupId');
      if (eni.raw.RequesterManaged === true) throw ec2Errors.requesterManaged(eni.id);
      for (const groupId of groupIds) {
        const group = this.ownGroup(groupId);
        if (group.VpcId !== eni.vpcId) throw ec2Errors.groupNotInVpc(groupId, eni.vpcId);
      }
      if (groupIds.length > this.quotas.groupsPerInterface) throw ec2Errors.groupsPerInterface();
      eni.groupIds = groupIds;
      return {};
    });
  }

  /**
   * https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_CreateTags.html — security groups only (the one
   * resource the workflow tags): adds each tag or overwrites the value of a key the group has; 1–1000 resources and
   * the tags are checked first and nothing changes when one fails (a malformed id: InvalidID; a group that is not
   * there or not this account's: InvalidGroup.NotFound; a key of 1–127 characters not starting with `aws:`, a value
   * of at most 256, each key once). A group may hold 50 tags, `aws:` ones not counted: TagLimitExceeded
   * (https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/Using_Tags.html#tag-restrictions, errors-overview.html).
   */
  createTags(input: Input<'createTags'>): Promise<Output<'createTags'>> {
    return this.call('CreateTags', input, (request) => {
      const groups = this.taggedGroups(request.Resources);
      if (!request.Tags || request.Tags.length === 0) throw ec2Errors.missingParameter('Tag');
      const tags = checkedTags(request.Tags, { values: true });
      for (const group of groups) {
        const merged = new Map((group.Tags ?? []).map((tag) => [tag.Key ?? '', tag.Value ?? '']));
        for (const tag of tags) merged.set(tag.Key, tag.Value ?? '');
        if ([...merged.keys()].filter((key) => !isReservedTagKey(key)).length > MAX_TAGS)
          throw ec2Errors.tagLimit(group.GroupId);
      }
      for (const group of groups) {
        const kept = (group.Tags ?? []).filter((tag) => !tags.some((added) => added.Key === tag.Key));
        group.Tags = [...kept, ...tags.map((tag) => ({ Key: tag.Key, Value: tag.Value ?? '' }))];
      }
      return {};
    });
  }

  /**
   * https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DeleteTags.html — a tag given with a `Value` is deleted
   * only while the group's value is that one (an empty string matches only an empty value); without a `Value`,
   * whatever its value; a key the group does not have is no error; without `Tags`, every tag but the `aws:` ones.
   * Security groups only, checked as CreateTags checks them. A group left with no tag is described without `Tags`.
   */
  deleteTags(input: Input<'deleteTags'>): Promise<Output<'deleteTags'>> {
    return this.call('DeleteTags', input, (request) => {
      const groups = this.taggedGroups(request.Resources);
      const requested = request.Tags as Tag[] | undefined;
      const tags = requested && requested.length > 0 ? checkedTags(requested, { values: false }) : undefined;
      for (const group of groups) {
        const left = (group.Tags ?? []).filter((tag) => {
          if (!tags) return isReservedTagKey(tag.Key ?? '');
          return !tags.some(
            (deleted) =>
              deleted.Key === tag.Key && (deleted.Value === undefined || deleted.Value === (tag.Value ?? '')),
          );
        });
        if (left.length > 0) group.Tags = left;
        else delete group.Tags;
      }
      return {};
    });
  }

  // ---------------------------------------------------------------------------------------------------------------
  // Rules

  /**
   * Adds rules; the whole call fails with InvalidPermission.Duplicate if any rule exists (or is listed twice), with
   * RulesPerSecurityGroupLimitExceeded past the quota, and nothing is added. The quota counts a prefix list as its
   * maximum entries (an AWS-managed one as its weight,
   * https://docs.aws.amazon.com/vpc/latest/userguide/security-group-rules.html#security-group-size). Referenced groups
   * must exist: in this account, or another account's group named with its UserId, unless the pair names a peering
   * connection; referenced prefix lists must be in `PrefixLists` (InvalidPrefixListID.NotFound).
   * https://docs.aws.amazon.com/vpc/latest/userguide/security-group-rules.html
   */
  private authorize(
    request: { GroupId: string; IpPermissions: IpPermission[] },
    direction: Direction,
  ): { Return: boolean; SecurityGroupRules: SecurityGroupRule[] } {
    if (request.GroupId === undefined || request.GroupId === '') throw ec2Errors.missingParameter('GroupId');
    const group = this.ownGroup(request.GroupId);
    if (!request.IpPermissions || request.IpPermissions.length === 0) throw ec2Errors.missingParameter('IpPermissions');
    const drafts = this.readPermissions(request.IpPermissions, direction, 'authorize', group);
    const existing = new Set(group.rules.map(keyOf));
    for (const draft of drafts) {
      const key = keyOf(draft);
      if (existing.has(key)) throw ec2Errors.permissionDuplicate(describeForDuplicate(draft));
      existing.add(key);
    }
    const usage = quotaUsage([...group.rules, ...drafts], direction, this.prefixListWeights);
    if (usage.ipv4 > this.quotas.rulesPerDirection || usage.ipv6 > this.quotas.rulesPerDirection)
      throw ec2Errors.rulesPerGroup();
    const added: StoredRule[] = drafts.map((draft) => ({ ...draft, id: this.ids.next('sgr') }));
    group.rules.push(...added);
    return { Return: true, SecurityGroupRules: added.map((rule) => renderRule(rule, group, (id) => this.ruleArn(id))) };
  }

  /**
   * Removes rules by IpPermissions (matched on protocol, ports and peer; descriptions ignored) or by rule ids. In a
   * nondefault VPC a rule that does not exist fails the whole call with InvalidPermission.NotFound and nothing is
   * revoked; in a default VPC (options.defaultVpcIds) the call succeeds and answers the rules it did not find in
   * UnknownIpPermissions — both as RevokeSecurityGroupIngress/Egress in the API reference state. An unknown rule id
   * fails the call with InvalidSecurityGroupRuleId.NotFound.
   */
  private revoke(
    request: { GroupId: string; IpPermissions?: IpPermission[]; SecurityGroupRuleIds?: string[] },
    direction: Direction,
  ): { Return: boolean; UnknownIpPermissions?: IpPermission[] } {
    if (request.GroupId === undefined || request.GroupId === '') throw ec2Errors.missingParameter('GroupId');
    const group = this.ownGroup(request.GroupId);
    const byPermissions = (request.IpPermissions ?? []).length > 0;
    const byIds = (request.SecurityGroupRuleIds ?? []).length > 0;
    if (byPermissions && byIds)
      throw ec2Errors.invalidParameterCombination(
        'The parameter ipPermissions cannot be used with the parameter securityGroupRuleIds',
      );
    if (!byPermissions && !byIds) throw ec2Errors.missingParameter('IpPermissions or SecurityGroupRuleIds');

    if (byIds) {
      const ids = new Set(request.SecurityGroupRuleIds);
      for (const id of ids) {
        this.checkId(id, SGR_ID, 'InvalidSecurityGroupRuleId.Malformed', 'sgr');
        if (!group.rules.some((rule) => rule.id === id && rule.direction === direction))
          throw ec2Errors.ruleIdNotFound(id);
      }
      group.rules = group.rules.filter((rule) => !ids.has(rule.id));
      return { Return: true };
    }

    const drafts = this.readPermissions(request.IpPermissions ?? [], direction, 'match', group);
    const present = new Set(group.rules.map(keyOf));
    const unknown = drafts.filter((draft) => !present.has(keyOf(draft)));
    if (unknown.length > 0 && !this.defaultVpcs.has(group.VpcId)) throw ec2Errors.permissionNotFound();
    const revoke = new Set(drafts.map(keyOf));
    group.rules = group.rules.filter((rule) => !revoke.has(keyOf(rule)));
    const output: { Return: boolean; UnknownIpPermissions?: IpPermission[] } = { Return: true };
    if (unknown.length > 0) output.UnknownIpPermissions = renderPermissions(unknown);
    return output;
  }

  /**
   * Sets (or, when omitted, removes) the descriptions of existing rules; a rule that does not exist fails the whole
   * call with InvalidPermission.NotFound and nothing changes.
   */
  private updateDescriptions(
    request: { GroupId: string; IpPermissions: IpPermission[] },
    direction: Direction,
  ): { Return: boolean } {
    if (request.GroupId === undefined || request.GroupId === '') throw ec2Errors.missingParameter('GroupId');
    const group = this.ownGroup(request.GroupId);
    if (!request.IpPermissions || request.IpPermissions.length === 0) throw ec2Errors.missingParameter('IpPermissions');
    const drafts = this.readPermissions(request.IpPermissions, direction, 'describe', group);
    const byKey = new Map(group.rules.map((rule) => [keyOf(rule), rule]));
    if (drafts.some((draft) => !byKey.has(keyOf(draft)))) throw ec2Errors.permissionNotFound();
    for (const draft of drafts) {
      const rule = byKey.get(keyOf(draft)) as StoredRule;
      if (draft.description === undefined) delete rule.description;
      else rule.description = draft.description;
    }
    return { Return: true };
  }

  /**
   * Validates request IpPermissions and splits them into single-peer rules. `authorize` also checks descriptions and
   * that referenced groups exist; `describe` checks descriptions only; `match` (revoke) checks syntax only.
   * https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_IpPermission.html
   */
  private readPermissions(
    permissions: readonly IpPermission[],
    direction: Direction,
    mode: 'authorize' | 'describe' | 'match',
    group: StoredGroup,
  ): RuleDraft[] {
    // The same checks the state file's rules pass when it is loaded (syntax.ts); EC2 answers the first problem.
    for (const permission of permissions) {
      const problem = permissionProblems(permission, { descriptions: mode !== 'match' })[0];
      if (problem) throw problem.error();
      if (mode !== 'authorize') continue;
      for (const list of permission.PrefixListIds ?? []) {
        const id = list.PrefixListId ?? '';
        if (!this.prefixLists.has(id)) throw ec2Errors.prefixListNotFound(id);
      }
    }
    const drafts = explodePermissions(permissions, direction);
    if (mode === 'authorize') return drafts.map((draft) => this.resolvePair(draft, group));
    // Duplicates in a revoke or update collapse.
    const seen = new Set<string>();
    return drafts.filter((draft) => {
      const key = keyOf(draft);
      if (seen.has(key)) return false;
      seen.add(key);
      return true;
    });
  }

  /** Checks a referenced group exists and fills in the pair's UserId as EC2 answers it. */
  private resolvePair(input: RuleDraft, group: StoredGroup): RuleDraft {
    if (input.peer.kind !== 'group') return input;
    // Describe answers a reference through a peering connection with its status, "active" for a working one.
    // https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_UserIdGroupPair.html
    const draft: RuleDraft = input.peer.vpcPeeringConnectionId
      ? { ...input, pairExtras: { ...input.pairExtras, PeeringStatus: input.pairExtras?.PeeringStatus ?? 'active' } }
      : input;
    if (draft.peer.kind !== 'group') return draft;
    const peer = draft.peer;
    const referenced = this.groups.get(peer.groupId);
    const peered = peer.vpcPeeringConnectionId !== undefined;
    // "To reference a security group in a peer VPC, the VPC peering connection must be in the active state"
    // (https://docs.aws.amazon.com/vpc/latest/peering/vpc-peering-security-groups.html). The API reference names no
    // error for it; EC2 answers a group it cannot reach from the VPC with InvalidGroup.NotFound, "You have specified
    // two resources that belong to different networks" (docs/simulator-fidelity.md, points left open).
    const peerVpc = this.peerVpcOf(peer, group.VpcId);
    const crosses = peered || (peerVpc !== undefined && peerVpc !== group.VpcId);
    if (crosses && !this.peerings.joins(group.VpcId, peerVpc, peer.vpcPeeringConnectionId))
      throw ec2Errors.differentNetworks();
    if (referenced && this.isOwn(referenced)) {
      // Without recorded connections, a group of another VPC is reachable only when the pair says how.
      const unreachable = !this.peerings.modelled && referenced.VpcId !== group.VpcId && !peered && !peer.vpcId;
      if (unreachable) throw ec2Errors.differentNetworks();
      return { ...draft, peer: { ...peer, userId: peer.userId ?? referenced.OwnerId } };
    }
    if (referenced && peer.userId === referenced.OwnerId) return draft;
    if (!referenced && peered) return { ...draft, peer: { ...peer, userId: peer.userId ?? this.accountId } };
    throw ec2Errors.groupNotFound(peer.groupId);
  }

  // ---------------------------------------------------------------------------------------------------------------
  // Helpers

  private async call<I, O>(action: Ec2Action, input: I, run: (request: I) => O): Promise<O> {
    this.counts[action] = (this.counts[action] ?? 0) + 1;
    const request = structuredClone(input ?? ({} as I));
    if (this.hooks.before) await this.hooks.before(action, structuredClone(request));
    // An empty bucket refuses the request before anything is applied.
    // https://docs.aws.amazon.com/ec2/latest/devguide/ec2-api-throttling.html
    if (this.limiter && !this.limiter.admit(this, action, request)) throw ec2Errors.requestLimitExceeded();
    const output = run(request);
    if (this.hooks.after) await this.hooks.after(action, structuredClone(request), structuredClone(output));
    return structuredClone(output);
  }

  /** The groups a CreateTags / DeleteTags names: 1–1000 ids, each a security group of this account. */
  private taggedGroups(resources: readonly string[] | undefined): StoredGroup[] {
    const ids = [...new Set(resources ?? [])];
    if (ids.length === 0) throw ec2Errors.missingParameter('ResourceId');
    if (ids.length > 1000)
      throw ec2Errors.invalidParameterValue('The request can tag at most 1000 resources; specify fewer resource IDs.');
    for (const id of ids) if (typeof id !== 'string' || !SG_ID.test(id)) throw ec2Errors.invalidTagResource(String(id));
    return ids.map((id) => this.ownGroup(id));
  }

  private checkId(id: string, pattern: RegExp, code: string, prefix: string): void {
    if (typeof id !== 'string' || !pattern.test(id)) throw ec2Errors.malformedId(code, String(id), prefix);
  }

  private isOwn(group: StoredGroup): boolean {
    return group.OwnerId === this.accountId;
  }

  private ownsInterface(eni: StoredInterface): boolean {
    return (eni.ownerId ?? this.accountId) === this.accountId;
  }

  /** A group of this account; other accounts' groups are InvalidGroup.NotFound, as in EC2. */
  private ownGroup(groupId: string): StoredGroup {
    this.checkId(groupId, SG_ID, 'InvalidGroupId.Malformed', 'sg');
    const group = this.groups.get(groupId);
    if (!group || !this.isOwn(group)) throw ec2Errors.groupNotFound(groupId);
    return group;
  }

  /**
   * The VPCs this account owns (it may share subnets of them): those whose `default` group is this account's, or
   * whose `Vpcs` record says so.
   */
  private ownedVpcs(): Set<string> {
    const owned = new Set<string>();
    for (const group of this.groups.values()) {
      if (group.GroupName === 'default' && this.isOwn(group)) owned.add(group.VpcId);
    }
    for (const record of Array.isArray(this.extras.Vpcs) ? (this.extras.Vpcs as Vpc[]) : []) {
      if (record.VpcId && record.OwnerId === this.accountId) owned.add(record.VpcId);
    }
    return owned;
  }

  /** The VPC's owner: its `Vpcs` record's, else its `default` group's; undefined when the state does not say. */
  private vpcOwner(vpcId: string): string | undefined {
    const records = Array.isArray(this.extras.Vpcs) ? (this.extras.Vpcs as Vpc[]) : [];
    const record = records.find((vpc) => vpc.VpcId === vpcId);
    if (record?.OwnerId) return record.OwnerId;
    for (const group of this.groups.values()) {
      if (group.VpcId === vpcId && group.GroupName === 'default') return group.OwnerId;
    }
    return undefined;
  }

  /** A group Describe may answer (`visible`); any other is InvalidGroup.NotFound, as in EC2. */
  private visibleGroup(groupId: string, visible: (group: StoredGroup) => boolean): StoredGroup {
    this.checkId(groupId, SG_ID, 'InvalidGroupId.Malformed', 'sg');
    const group = this.groups.get(groupId);
    if (!group || !visible(group)) throw ec2Errors.groupNotFound(groupId);
    return group;
  }

  /** The VPC of a referenced group: the group's, the pair's `VpcId`, or the far side of its recorded connection. */
  private peerVpcOf(peer: Extract<RuleDraft['peer'], { kind: 'group' }>, fromVpc: string): string | undefined {
    const referenced = this.groups.get(peer.groupId);
    if (referenced) return referenced.VpcId;
    if (peer.vpcId !== undefined) return peer.vpcId;
    return peer.vpcPeeringConnectionId ? this.peerings.otherSide(peer.vpcPeeringConnectionId, fromVpc) : undefined;
  }

  /** The `PeeringStatus` of every stored pair that names the connection. */
  private pairStatuses(pcxId: string): string[] {
    const statuses: string[] = [];
    for (const group of this.groups.values()) {
      for (const rule of group.rules) {
        if (rule.peer.kind !== 'group' || rule.peer.vpcPeeringConnectionId !== pcxId) continue;
        if (rule.pairExtras?.PeeringStatus) statuses.push(rule.pairExtras.PeeringStatus);
      }
    }
    return statuses;
  }

  /**
   * Why a rule is stale, as the `PeeringStatus` to answer (`deleted`, `expired`, …, or `deleted` for a connection
   * that no longer exists); `''` for a reference to a deleted group of this account; undefined when not stale.
   */
  private staleStatus(rule: StoredRule, group: StoredGroup): string | undefined {
    if (rule.peer.kind !== 'group') return undefined;
    const peer = rule.peer;
    const pcx = peer.vpcPeeringConnectionId;
    const peerVpc = this.peerVpcOf(peer, group.VpcId);
    const crosses = pcx !== undefined || (peerVpc !== undefined && peerVpc !== group.VpcId);
    if (crosses) {
      if (this.peerings.modelled && !this.peerings.joins(group.VpcId, peerVpc, pcx))
        return (pcx ? this.peerings.statusOf(pcx) : undefined) ?? 'deleted';
      const stored = rule.pairExtras?.PeeringStatus;
      if (!this.peerings.modelled && stored !== undefined && stored !== 'active') return stored;
      if (!this.peerings.modelled && pcx && !this.peerings.joins(group.VpcId, peerVpc, pcx))
        return this.peerings.statusOf(pcx) ?? 'deleted';
    }
    if (!this.groups.has(peer.groupId) && (peer.userId ?? this.accountId) === this.accountId) return '';
    return undefined;
  }

  private ownInterface(eniId: string): StoredInterface | undefined {
    const eni = this.interfaces.get(eniId);
    return eni && this.ownsInterface(eni) ? eni : undefined;
  }

  private groupName(groupId: string): string | undefined {
    return this.groups.get(groupId)?.GroupName;
  }

  private ruleArn(ruleId: string): string {
    return `arn:${this.partition}:ec2:${this.region}:${this.accountId}:security-group-rule/${ruleId}`;
  }

  private ruleIdTaken(id: string): boolean {
    for (const group of this.groups.values()) if (group.rules.some((rule) => rule.id === id)) return true;
    return false;
  }

  /** VPCs this account has a group or an interface in: the only VPCs the simulator knows exist. */
  private knownVpcs(): Set<string> {
    const vpcs = new Set<string>();
    for (const group of this.groups.values()) if (this.isOwn(group)) vpcs.add(group.VpcId);
    for (const eni of this.interfaces.values()) if (this.ownsInterface(eni)) vpcs.add(eni.vpcId);
    for (const vpcId of this.ownedVpcs()) vpcs.add(vpcId);
    return vpcs;
  }

  private inferIpv6Vpcs(): string[] {
    const vpcs = new Set<string>();
    for (const group of this.groups.values()) {
      if (
        group.GroupName === 'default' &&
        group.rules.some(
          (rule) => rule.direction === 'egress' && rule.peer.kind === 'cidr6' && rule.peer.cidr === '::/0',
        )
      )
        vpcs.add(group.VpcId);
    }
    for (const eni of this.interfaces.values()) {
      if (eni.raw.Ipv6Address || (eni.raw.Ipv6Addresses ?? []).some((address) => address.Ipv6Address))
        vpcs.add(eni.vpcId);
    }
    return [...vpcs];
  }

  /** Tags from TagSpecifications. https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/Using_Tags.html#tag-restrictions */
  private tagsFrom(specifications: Input<'createSecurityGroup'>['TagSpecifications']): Tag[] {
    const tags: Tag[] = [];
    for (const specification of specifications ?? []) {
      if (specification.ResourceType !== 'security-group')
        throw ec2Errors.invalidParameterValue(
          `'${specification.ResourceType}' is not a valid taggable resource type for this operation.`,
        );
      tags.push(...(specification.Tags ?? []));
    }
    if (tags.length > MAX_TAGS)
      throw ec2Errors.invalidParameterValue('The number of tags specified exceeds the limit of 50.');
    return checkedTags(tags, { values: true }).map((tag) => ({ Key: tag.Key, Value: tag.Value ?? '' }));
  }

  private readonly groupFilterValues = (group: StoredGroup, name: string): readonly string[] | undefined => {
    switch (name) {
      case 'group-id':
        return [group.GroupId];
      case 'group-name':
        return [group.GroupName];
      case 'vpc-id':
        return [group.VpcId];
      case 'owner-id':
        return [group.OwnerId];
      case 'description':
        return [group.Description];
    }
    const tags = tagValues(group.Tags, name);
    if (tags) return tags;
    const match = /^(egress\.)?ip-permission\.(.+)$/.exec(name);
    if (!match) return undefined;
    const direction: Direction = match[1] ? 'egress' : 'ingress';
    const rules = group.rules.filter((rule) => rule.direction === direction);
    const pairs = rules.flatMap((rule) => (rule.peer.kind === 'group' ? [{ rule, peer: rule.peer }] : []));
    switch (match[2]) {
      case 'cidr':
        return rules.flatMap((rule) => (rule.peer.kind === 'cidr4' ? [rule.peer.cidr] : []));
      case 'ipv6-cidr':
        return rules.flatMap((rule) => (rule.peer.kind === 'cidr6' ? [rule.peer.cidr] : []));
      case 'prefix-list-id':
        return rules.flatMap((rule) => (rule.peer.kind === 'prefix-list' ? [rule.peer.prefixListId] : []));
      case 'group-id':
        return pairs.map(({ peer }) => peer.groupId);
      case 'group-name':
        return pairs.flatMap(({ rule, peer }) => str(rule.pairExtras?.GroupName ?? this.groupName(peer.groupId)));
      case 'user-id':
        return pairs.flatMap(({ peer }) => str(peer.userId));
      case 'protocol':
        return rules.flatMap((rule) => PROTOCOL_ALIASES[rule.protocol] ?? [rule.protocol]);
      case 'from-port':
        return rules.flatMap((rule) => str(rule.fromPort));
      case 'to-port':
        return rules.flatMap((rule) => str(rule.toPort));
      default:
        return undefined;
    }
  };

  private readonly interfaceFilterValues = (eni: StoredInterface, name: string): readonly string[] | undefined => {
    const raw = eni.raw;
    const attachment = raw.Attachment;
    switch (name) {
      case 'network-interface-id':
        return [eni.id];
      case 'group-id':
        return eni.groupIds;
      case 'vpc-id':
        return [eni.vpcId];
      case 'owner-id':
        return [eni.ownerId ?? this.accountId];
      case 'subnet-id':
        return str(raw.SubnetId);
      case 'availability-zone':
        return str(raw.AvailabilityZone);
      case 'status':
        return str(raw.Status);
      case 'interface-type':
        return str(raw.InterfaceType);
      case 'requester-managed':
        return [String(raw.RequesterManaged ?? false)];
      case 'requester-id':
        return str(raw.RequesterId);
      case 'description':
        return str(raw.Description);
      case 'source-dest-check':
        return str(raw.SourceDestCheck);
      case 'mac-address':
        return str(raw.MacAddress);
      case 'private-dns-name':
        return str(raw.PrivateDnsName);
      case 'private-ip-address':
      case 'addresses.private-ip-address':
        return [
          ...new Set([
            ...str(raw.PrivateIpAddress),
            ...(raw.PrivateIpAddresses ?? []).flatMap((address) => str(address.PrivateIpAddress)),
          ]),
        ];
      case 'ipv6-addresses.ipv6-address':
        return [...str(raw.Ipv6Address), ...(raw.Ipv6Addresses ?? []).flatMap((address) => str(address.Ipv6Address))];
      case 'attachment.instance-id':
        return str(attachment?.InstanceId);
      case 'attachment.attachment-id':
        return str(attachment?.AttachmentId);
      case 'attachment.status':
        return str(attachment?.Status);
      case 'attachment.instance-owner-id':
        return str(attachment?.InstanceOwnerId);
      case 'attachment.device-index':
        return str(attachment?.DeviceIndex);
      case 'attachment.delete-on-termination':
        return str(attachment?.DeleteOnTermination);
      default:
        return tagValues(raw.TagSet, name);
    }
  };
}

/**
 * Stale rules folded as DescribeStaleSecurityGroups answers them: one StaleIpPermission per protocol and port range,
 * its pairs with the connection's status as `PeeringStatus` (`IpRanges` and `PrefixListIds` do not apply).
 */
function staleIpPermissions(rules: { rule: StoredRule; status: string }[]): StaleIpPermission[] {
  return renderPermissions(
    rules.map(({ rule, status }) =>
      status === '' ? rule : { ...rule, pairExtras: { ...rule.pairExtras, PeeringStatus: status } },
    ),
  ).map(({ IpProtocol, FromPort, ToPort, UserIdGroupPairs }) => {
    const permission: StaleIpPermission = { IpProtocol };
    if (FromPort !== undefined) permission.FromPort = FromPort;
    if (ToPort !== undefined) permission.ToPort = ToPort;
    permission.UserIdGroupPairs = UserIdGroupPairs ?? [];
    return permission;
  });
}

/** Tags per resource, those whose key starts with `aws:` not counted (Using_Tags.html#tag-restrictions). */
const MAX_TAGS = 50;

function isReservedTagKey(key: string): boolean {
  return key.toLowerCase().startsWith('aws:');
}

/**
 * Request tags as EC2 checks them (https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/Using_Tags.html#tag-restrictions,
 * API_Tag.html): a key of 1–127 characters, not starting with `aws:` (in any case), each key once; a value (when
 * `values`, or when given) of at most 256 characters. The first problem is answered, as EC2 does.
 */
function checkedTags(tags: readonly Tag[], options: { values: boolean }): { Key: string; Value?: string }[] {
  const checked: { Key: string; Value?: string }[] = [];
  for (const tag of tags) {
    const key = tag.Key ?? '';
    if ([...key].length < 1 || [...key].length > 127)
      throw ec2Errors.invalidParameterValue('Tag keys must be between 1 and 127 characters long.');
    if (isReservedTagKey(key))
      throw ec2Errors.invalidParameterValue("Tag keys starting with 'aws:' are reserved for internal use");
    if (tag.Value !== undefined && [...tag.Value].length > 256)
      throw ec2Errors.invalidParameterValue('Tag values must be at most 256 characters long.');
    if (checked.some((other) => other.Key === key))
      throw ec2Errors.invalidParameterValue(`Duplicate tag key '${key}' specified.`);
    checked.push(tag.Value === undefined && !options.values ? { Key: key } : { Key: key, Value: tag.Value ?? '' });
  }
  return checked;
}

function definedEntries<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
