/**
 * `capture`: one VPC of a real account as a state file (handlers/adapters/local/ec2-simulator/state.ts), read with the
 * describe calls the workflow itself makes, through the SDK. Scoped to the VPC: its groups, interfaces and tags, the
 * groups elsewhere that reference its groups or that its rules name, what the account can see of the VPCs those are in,
 * peering connections, prefix lists, the VPC quotas, and every owner service's records in the VPC (`SDK_CAPTURES`, one
 * per registered service). Every list is paged as its API pages it; nothing here writes. docs/decisions.md "capture".
 */
import type { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { DescribeVpcPeeringConnectionsCommand, type EC2Client, type VpcPeeringConnection } from '@aws-sdk/client-ec2';
import type { ServiceQuotasClient } from '@aws-sdk/client-service-quotas';
import type {
  NetworkInterface,
  SecurityGroup,
  SecurityGroupReference,
  TagDescription,
  Vpc,
} from '../../core/ec2-shapes.ts';
import { errorCode, InvalidInputError } from '../../core/errors.ts';
import { OWNER_MODULES } from '../../core/owners/index.ts';
import { QUOTA_CODES, VPC_SERVICE_CODE } from '../../core/quotas.ts';
import { STACK_NAME_TAG } from '../../core/stacks.ts';
import type { Ec2Port } from '../../ports.ts';
import { SdkStacks } from './cloudformation.ts';
import { SdkEc2 } from './ec2.ts';
import { slices } from './owners/capture-scope.ts';
import { type CapturedRecords, type CaptureScope, SDK_CAPTURES, type SdkOwnerConfig } from './owners/index.ts';
import { explainingSend } from './sdk-errors.ts';
import { SdkServiceQuotas } from './service-quotas.ts';

export interface CaptureClients {
  ec2: EC2Client;
  serviceQuotas: ServiceQuotasClient;
  cloudformation: CloudFormationClient;
  /** What each owner service's client is built with (region, credentials). */
  owners: SdkOwnerConfig;
}

export interface CaptureRequest {
  accountId: string;
  region: string;
  /** One of the two: a group (its VPC is captured) or the VPC. */
  groupId?: string;
  vpcId?: string;
}

export interface Captured {
  state: Record<string, unknown>;
  vpcId: string;
  defaultGroupId: string;
}

/** EC2 takes up to 200 values per filter. */
const FILTER_VALUES = 200;

export async function captureVpc(clients: CaptureClients, request: CaptureRequest): Promise<Captured> {
  const ec2 = new SdkEc2(clients.ec2);
  const account = request.accountId;
  const vpcId = await vpcOf(ec2, request);
  const vpcGroups = ownFirst(await describeGroups(ec2, [{ Name: 'vpc-id', Values: [vpcId] }]), account);
  const defaultGroup = vpcGroups.find((group) => group.GroupName === 'default' && group.OwnerId === account);
  if (!defaultGroup?.GroupId)
    throw new InvalidInputError([`${vpcId} has no default security group of account ${account} (not its VPC?).`]);
  const vpcGroupIds = vpcGroups.flatMap((group) => (group.GroupId ? [group.GroupId] : []));
  const groups = new Map(vpcGroups.map((group) => [group.GroupId ?? '', group]));
  const add = (found: SecurityGroup[]) => {
    for (const group of found) if (group.GroupId && !groups.has(group.GroupId)) groups.set(group.GroupId, group);
  };

  // Groups elsewhere whose rules reference a group of the VPC (peered VPCs): those the account can describe.
  for (const filter of ['ip-permission.group-id', 'egress.ip-permission.group-id'])
    for (const ids of slices(vpcGroupIds, FILTER_VALUES))
      add(await describeGroups(ec2, [{ Name: filter, Values: ids }]));
  // Groups of this account the VPC's rules name: without them a reference would read as stale (a deleted group).
  const named = [...new Set(vpcGroups.flatMap((group) => pairGroups(group, account)))].filter((id) => !groups.has(id));
  for (const ids of slices(named, FILTER_VALUES)) add(await describeGroups(ec2, [{ Name: 'group-id', Values: ids }]));

  const interfaces = await describeInterfaces(ec2, [{ Name: 'vpc-id', Values: [vpcId] }]);

  // What DescribeSecurityGroupReferences answers for the VPC's groups, and the VPCs it names.
  const ownIds = vpcGroups.filter((group) => group.OwnerId === account).flatMap((group) => group.GroupId ?? []);
  const rows: SecurityGroupReference[] = [];
  for (const ids of slices(ownIds, FILTER_VALUES))
    rows.push(...((await ec2.describeSecurityGroupReferences({ GroupId: ids })).SecurityGroupReferenceSet ?? []));
  const otherVpcs = [
    ...new Set([
      ...[...groups.values()].map((group) => group.VpcId ?? ''),
      ...rows.map((row) => row.ReferencingVpcId ?? ''),
    ]),
  ].filter((id) => id !== '' && id !== vpcId);
  const vpcs = new Map<string, Vpc>();
  for (const id of [vpcId, ...otherVpcs]) {
    const vpc = await describeVpc(ec2, id);
    if (vpc) vpcs.set(id, vpc);
  }
  // In a referencing VPC of this account, other accounts' interfaces (VPC sharing participants) and their groups.
  const elsewhere: NetworkInterface[] = [];
  for (const id of otherVpcs) {
    if (vpcs.get(id)?.OwnerId !== account) continue;
    const foreign = (await describeInterfaces(ec2, [{ Name: 'vpc-id', Values: [id] }])).filter(
      (eni) => eni.OwnerId !== undefined && eni.OwnerId !== account,
    );
    elsewhere.push(...foreign);
    const missing = [...new Set(foreign.flatMap((eni) => (eni.Groups ?? []).map((g) => g.GroupId ?? '')))].filter(
      (groupId) => groupId !== '' && !groups.has(groupId),
    );
    for (const ids of slices(missing, FILTER_VALUES))
      add(await describeGroups(ec2, [{ Name: 'group-id', Values: ids }]));
  }
  // Rows from VPCs the account does not own stand for groups it cannot describe: kept as answered.
  const unseenRows = rows.filter((row) => vpcs.get(row.ReferencingVpcId ?? '')?.OwnerId !== account);

  const allGroups = [...groups.values()];
  const peerings = await describePeerings(clients.ec2, vpcId);
  const prefixLists = await describePrefixLists(ec2, allGroups, account);
  const quotas = await readQuotas(new SdkServiceQuotas(clients.serviceQuotas));
  const instanceTags = await readInstanceStackTags(ec2, interfaces);

  const scope: CaptureScope = {
    vpcId,
    groupIds: new Set(vpcGroupIds),
    interfaceIds: new Set(interfaces.flatMap((eni) => (eni.NetworkInterfaceId ? [eni.NetworkInterfaceId] : []))),
  };
  const owners: CapturedRecords = {};
  for (const module of OWNER_MODULES) {
    let found: CapturedRecords;
    try {
      found = await SDK_CAPTURES[module.service](clients.owners, scope);
    } catch (error) {
      throw new CaptureError(module.service, error);
    }
    for (const [key, list] of Object.entries(found)) owners[key] = unique([...(owners[key] ?? []), ...list]);
  }
  const stacks = await describeStacks(new SdkStacks(clients.cloudformation), [
    ...stackNamesIn(owners),
    ...stackNamesIn(instanceTags),
    ...stackNamesIn(interfaces.map((eni) => eni.TagSet ?? [])),
  ]);

  const state: Record<string, unknown> = {
    SecurityGroups: ownFirst(allGroups, account),
    NetworkInterfaces: [...interfaces, ...elsewhere],
    Vpcs: [...vpcs.values()],
    ...(unseenRows.length > 0 ? { SecurityGroupReferences: unseenRows } : {}),
    ...(peerings.length > 0 ? { VpcPeeringConnections: peerings } : {}),
    ...(prefixLists.length > 0 ? { PrefixLists: prefixLists } : {}),
    ...(quotas.length > 0 ? { Quotas: quotas } : {}),
    ...(instanceTags.length > 0 ? { Tags: instanceTags } : {}),
    ...Object.fromEntries(Object.entries(owners).filter(([, list]) => list.length > 0)),
    ...(stacks.length > 0 ? { Stacks: stacks } : {}),
  };
  // As the file will hold it: dates as ISO strings, nothing undefined.
  return { state: JSON.parse(JSON.stringify(state)), vpcId, defaultGroupId: defaultGroup.GroupId };
}

/** A service's describe failed: the capture stops (a file without an owner's records would plan differently). */
export class CaptureError extends Error {
  constructor(
    readonly service: string,
    cause: unknown,
  ) {
    super(`Reading ${service}: ${(cause as Error)?.message ?? String(cause)}`, { cause });
    this.name = errorCode(cause) ?? 'CaptureFailed';
  }
}

async function vpcOf(ec2: Ec2Port, request: CaptureRequest): Promise<string> {
  if (request.groupId) {
    // A filter, not GroupIds: an unknown id answers nothing rather than an error.
    const [group] = await describeGroups(ec2, [{ Name: 'group-id', Values: [request.groupId] }]);
    if (!group?.VpcId)
      throw new InvalidInputError([
        `--group ${request.groupId}: no such security group in account ${request.accountId}, ${request.region}.`,
      ]);
    return group.VpcId;
  }
  const vpcId = request.vpcId ?? '';
  if (!(await describeVpc(ec2, vpcId)))
    throw new InvalidInputError([`--vpc ${vpcId}: no such VPC in account ${request.accountId}, ${request.region}.`]);
  return vpcId;
}

type Filters = { Name: string; Values: string[] }[];

async function describeGroups(ec2: Ec2Port, filters: Filters): Promise<SecurityGroup[]> {
  const found: SecurityGroup[] = [];
  let token: string | undefined;
  do {
    const page = await ec2.describeSecurityGroups({ Filters: filters, MaxResults: 1000, NextToken: token });
    found.push(...(page.SecurityGroups ?? []));
    token = page.NextToken;
  } while (token);
  return found;
}

async function describeInterfaces(ec2: Ec2Port, filters: Filters): Promise<NetworkInterface[]> {
  const found: NetworkInterface[] = [];
  let token: string | undefined;
  do {
    const page = await ec2.describeNetworkInterfaces({ Filters: filters, MaxResults: 1000, NextToken: token });
    found.push(...(page.NetworkInterfaces ?? []));
    token = page.NextToken;
  } while (token);
  return found;
}

/** The VPC as DescribeVpcs shows it to this account; undefined when it cannot (another account's VPC). */
async function describeVpc(ec2: Ec2Port, vpcId: string): Promise<Vpc | undefined> {
  try {
    return (await ec2.describeVpcs({ VpcIds: [vpcId] })).Vpcs?.[0];
  } catch (error) {
    const code = errorCode(error);
    if (code === 'InvalidVpcID.NotFound' || code === 'InvalidVpcID.Malformed') return undefined;
    throw error;
  }
}

/** This account's groups first (the simulated account is the first group's owner), each list in the order answered. */
function ownFirst(groups: SecurityGroup[], account: string): SecurityGroup[] {
  return [...groups.filter((g) => g.OwnerId === account), ...groups.filter((g) => g.OwnerId !== account)];
}

/** The groups of `account` a group's rules name (pairs without a UserId are the group's own account's). */
function pairGroups(group: SecurityGroup, account: string): string[] {
  return [...(group.IpPermissions ?? []), ...(group.IpPermissionsEgress ?? [])].flatMap((permission) =>
    (permission.UserIdGroupPairs ?? []).flatMap((pair) =>
      pair.GroupId && (pair.UserId ?? group.OwnerId) === account ? [pair.GroupId] : [],
    ),
  );
}

/**
 * The VPC's peering connections, on either side, 1,000 a page: with them the simulator knows which references cross
 * an active connection (left out when there are none: then the pairs' PeeringStatus says, as before).
 * https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DescribeVpcPeeringConnections.html
 */
async function describePeerings(client: EC2Client, vpcId: string): Promise<VpcPeeringConnection[]> {
  const send = explainingSend(client, 'XML');
  const found = new Map<string, VpcPeeringConnection>();
  for (const side of ['requester-vpc-info.vpc-id', 'accepter-vpc-info.vpc-id']) {
    let token: string | undefined;
    do {
      const page = await send(
        new DescribeVpcPeeringConnectionsCommand({
          Filters: [{ Name: side, Values: [vpcId] }],
          MaxResults: 1000,
          NextToken: token,
        }),
      );
      for (const pcx of page.VpcPeeringConnections ?? [])
        if (pcx.VpcPeeringConnectionId) found.set(pcx.VpcPeeringConnectionId, pcx);
      token = page.NextToken;
    } while (token);
  }
  return [...found.values()];
}

/** The prefix lists this account's captured rules reference (each counts as its size), 100 a page. */
async function describePrefixLists(ec2: Ec2Port, groups: SecurityGroup[], account: string) {
  const ids = [
    ...new Set(
      groups
        .filter((group) => group.OwnerId === account)
        .flatMap((group) => [...(group.IpPermissions ?? []), ...(group.IpPermissionsEgress ?? [])])
        .flatMap((permission) => (permission.PrefixListIds ?? []).map((ref) => ref.PrefixListId ?? ''))
        .filter((id) => id !== ''),
    ),
  ];
  const found = [];
  for (const values of slices(ids, FILTER_VALUES)) {
    let token: string | undefined;
    do {
      const page = await ec2.describeManagedPrefixLists({
        Filters: [{ Name: 'prefix-list-id', Values: values }],
        MaxResults: 100,
        NextToken: token,
      });
      found.push(...(page.PrefixLists ?? []));
      token = page.NextToken;
    } while (token);
  }
  return found;
}

/**
 * The account's applied values of the two quotas the planner counts with, as GetServiceQuota answers them; a quota
 * with no applied value (NoSuchResourceException) is left out, so the plan reads its default as it would here.
 */
async function readQuotas(quotas: SdkServiceQuotas) {
  const found = [];
  for (const code of [QUOTA_CODES.rulesPerGroup, QUOTA_CODES.groupsPerInterface]) {
    try {
      const { Quota } = await quotas.getServiceQuota({ ServiceCode: VPC_SERVICE_CODE, QuotaCode: code });
      if (Quota?.Value !== undefined)
        found.push({ ServiceCode: VPC_SERVICE_CODE, QuotaCode: code, Value: Quota.Value });
    } catch (error) {
      if (errorCode(error) !== 'NoSuchResourceException') throw error;
    }
  }
  return found;
}

/** The stack tag of the instances the VPC's interfaces are attached to (what the plan names), 200 ids a call. */
async function readInstanceStackTags(ec2: Ec2Port, interfaces: NetworkInterface[]): Promise<TagDescription[]> {
  const ids = [...new Set(interfaces.flatMap((eni) => eni.Attachment?.InstanceId ?? []))].sort();
  const rows: TagDescription[] = [];
  for (const values of slices(ids, FILTER_VALUES)) {
    let token: string | undefined;
    do {
      const page = await ec2.describeTags({
        Filters: [
          { Name: 'resource-id', Values: values },
          { Name: 'key', Values: [STACK_NAME_TAG] },
        ],
        MaxResults: 1000,
        NextToken: token,
      });
      rows.push(...(page.Tags ?? []));
      token = page.NextToken;
    } while (token);
  }
  return rows;
}

/** Stack names in tags however a service spells them: `{Key, Value}`, `{key, value}` or a map (Lambda). */
function stackNamesIn(value: unknown): string[] {
  if (Array.isArray(value)) return value.flatMap(stackNamesIn);
  if (typeof value !== 'object' || value === null) return [];
  const record = value as Record<string, unknown>;
  const named =
    (record.Key === STACK_NAME_TAG && typeof record.Value === 'string' && [record.Value]) ||
    (record.key === STACK_NAME_TAG && typeof record.value === 'string' && [record.value]) ||
    (typeof record[STACK_NAME_TAG] === 'string' && [record[STACK_NAME_TAG] as string]) ||
    [];
  return [...named, ...Object.values(record).flatMap(stackNamesIn)];
}

/** The stacks the captured resources name (the re-check reads them), one DescribeStacks each; gone ones left out. */
async function describeStacks(stacks: SdkStacks, names: string[]) {
  const found = [];
  for (const name of [...new Set(names)].sort()) {
    try {
      found.push(...((await stacks.describeStacks({ StackName: name })).Stacks ?? []));
    } catch (error) {
      if (errorCode(error) !== 'ValidationError') throw error;
    }
  }
  return found;
}

/** Records two captures both answered (an Auto Scaling group naming a template and a configuration) once. */
function unique(records: Record<string, unknown>[]): Record<string, unknown>[] {
  const seen = new Set<string>();
  return records.filter((record) => {
    const key = JSON.stringify(record);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
