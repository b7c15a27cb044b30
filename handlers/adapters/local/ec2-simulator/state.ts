/**
 * Loading the state file (`aws ec2 describe-security-groups` + `aws ec2 describe-network-interfaces` output, merged
 * into one object, with optional `aws ec2 describe-managed-prefix-lists` and `aws service-quotas list-service-quotas
 * --service-code vpc` output) with zod, cross-checking it, and turning it into the simulator's records. Every rule is
 * checked by the same function AuthorizeSecurityGroupIngress/Egress use (syntax.ts), so the file can hold only rules
 * EC2 would have accepted.
 */
import * as z from 'zod';
import type { ManagedPrefixList, NetworkInterface } from '../../../core/ec2-shapes.ts';
import { InvalidInputError } from '../../../core/errors.ts';
import {
  DOCUMENTED_DEFAULTS,
  MAX_GROUPS_PER_INTERFACE,
  MAX_RULES_TIMES_GROUPS,
  prefixListWeight,
  QUOTA_CODES,
  VPC_SERVICE_CODE,
} from '../../../core/quotas.ts';
import { ACCOUNT_ID, ENI_ID, SG_ID, stableRuleId, VPC_ID } from './ids.ts';
import { explodePermissions, keyOf, type StoredGroup, type StoredInterface, type StoredRule } from './model.ts';
import { type PeeringConnection, peeringConnectionSchema, toConnections } from './peering.ts';
import { PREFIX_LIST_ID, permissionProblems } from './syntax.ts';

const sgId = z.string().regex(SG_ID, 'must look like sg-… (sg- and 8 or 17 hex digits)');
const vpcId = z.string().regex(VPC_ID, 'must look like vpc-… (vpc- and 8 or 17 hex digits)');
const eniId = z.string().regex(ENI_ID, 'must look like eni-… (eni- and 8 or 17 hex digits)');
const accountId = z.string().regex(ACCOUNT_ID, 'must be a 12-digit AWS account id');
const description = z.string().optional();

const tag = z.looseObject({ Key: z.string(), Value: z.string().optional() });

/** The shape only: what each value may be is checked by permissionProblems, as Authorize checks it. */
const permission = z.looseObject({
  IpProtocol: z.string(),
  FromPort: z.number().optional(),
  ToPort: z.number().optional(),
  IpRanges: z.array(z.looseObject({ CidrIp: z.string(), Description: description })).optional(),
  Ipv6Ranges: z.array(z.looseObject({ CidrIpv6: z.string(), Description: description })).optional(),
  PrefixListIds: z.array(z.looseObject({ PrefixListId: z.string(), Description: description })).optional(),
  UserIdGroupPairs: z
    .array(
      z.looseObject({
        GroupId: z.string(),
        GroupName: z.string().optional(),
        UserId: z.string().optional(),
        VpcId: z.string().optional(),
        VpcPeeringConnectionId: z.string().optional(),
        PeeringStatus: z.string().optional(),
        Description: description,
      }),
    )
    .optional(),
});

/** `aws ec2 describe-managed-prefix-lists` entries (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_ManagedPrefixList.html). */
const prefixList = z.looseObject({
  PrefixListId: z.string().regex(PREFIX_LIST_ID, 'must look like pl-…'),
  PrefixListName: z.string().optional(),
  OwnerId: z.string().optional(),
  AddressFamily: z.enum(['IPv4', 'IPv6']).optional(),
  MaxEntries: z.number().int('must be an integer').min(1, 'must be 1 or more').optional(),
});

/**
 * `aws service-quotas list-service-quotas --service-code vpc` entries (`Quotas`): the account's applied values.
 * https://docs.aws.amazon.com/servicequotas/2019-06-24/apireference/API_ListServiceQuotas.html
 */
const serviceQuota = z.looseObject({
  ServiceCode: z.string(),
  QuotaCode: z.string(),
  QuotaName: z.string().optional(),
  Value: z.number(),
});

const securityGroup = z.looseObject({
  GroupId: sgId,
  GroupName: z.string().min(1, 'must not be empty'),
  Description: z.string(),
  VpcId: vpcId,
  OwnerId: accountId,
  IpPermissions: z.array(permission).optional(),
  IpPermissionsEgress: z.array(permission).optional(),
  Tags: z.array(tag).optional(),
  SecurityGroupArn: z
    .string()
    .regex(/^arn:[^:]+:ec2:[^:]*:\d{12}:security-group\/sg-/, 'must be a security group ARN')
    .optional(),
});

const networkInterface = z.looseObject({
  NetworkInterfaceId: eniId,
  VpcId: vpcId,
  OwnerId: accountId.optional(),
  RequesterManaged: z.boolean().optional(),
  Groups: z.array(z.looseObject({ GroupId: sgId, GroupName: z.string().optional() })).optional(),
  TagSet: z.array(tag).optional(),
});

/**
 * `aws ec2 describe-flow-logs` output (`FlowLogs`): what DescribeFlowLogs answers
 * (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_FlowLog.html). The fields the simulator filters on and
 * tighten decides by are checked against the values the reference lists.
 */
const flowLog = z.looseObject({
  FlowLogId: z.string().regex(/^fl-[0-9a-f]+$/, 'must look like fl-…'),
  ResourceId: z.string().min(1, 'must not be empty'),
  FlowLogStatus: z.string().optional(),
  TrafficType: z.enum(['ACCEPT', 'REJECT', 'ALL']).optional(),
  LogDestinationType: z.enum(['cloud-watch-logs', 's3', 'kinesis-data-firehose']).optional(),
  LogDestination: z.string().optional(),
  LogGroupName: z.string().optional(),
  LogFormat: z.string().optional(),
  DeliverLogsStatus: z.enum(['SUCCESS', 'FAILED']).optional(),
  MaxAggregationInterval: z.union([z.literal(60), z.literal(600)]).optional(),
  DestinationOptions: z
    .looseObject({
      FileFormat: z.enum(['plain-text', 'parquet']).optional(),
      HiveCompatiblePartitions: z.boolean().optional(),
      PerHourPartition: z.boolean().optional(),
    })
    .optional(),
  Tags: z.array(tag).optional(),
});

const stateSchema = z.looseObject({
  SecurityGroups: z.array(securityGroup),
  FlowLogs: z.array(flowLog).optional(),
  NetworkInterfaces: z.array(networkInterface).optional(),
  PrefixLists: z.array(prefixList).optional(),
  Quotas: z.array(serviceQuota).optional(),
  VpcPeeringConnections: z.array(peeringConnectionSchema).optional(),
  /**
   * `aws ec2 describe-security-group-references` rows the file's groups do not account for (`capture` keeps those
   * naming a VPC the account does not own: they stand for groups it cannot describe); answered besides the derived ones.
   */
  SecurityGroupReferences: z
    .array(
      z.looseObject({
        GroupId: sgId,
        ReferencingVpcId: vpcId,
        VpcPeeringConnectionId: z.string().optional(),
        TransitGatewayId: z.string().optional(),
      }),
    )
    .optional(),
  /** `aws ec2 describe-tags` output: the tags of resources the simulator has no record of (instances). */
  Tags: z
    .array(
      z.looseObject({
        Key: z.string(),
        ResourceId: z.string().min(1, 'must not be empty'),
        ResourceType: z.string().optional(),
        Value: z.string().optional(),
      }),
    )
    .optional(),
});

export type ParsedState = z.infer<typeof stateSchema>;

export interface LoadedState {
  groups: StoredGroup[];
  interfaces: StoredInterface[];
  /** Top-level fields other than SecurityGroups and NetworkInterfaces (PrefixLists, Quotas included), kept for toState. */
  extras: Record<string, unknown>;
  /** `PrefixLists`, by id. */
  prefixLists: Map<string, ManagedPrefixList>;
  /** The applied quotas `Quotas` gives (absent: Service Quotas' default). */
  quotas: { rulesPerDirection?: number; groupsPerInterface?: number };
  /** `VpcPeeringConnections` (describe-vpc-peering-connections output), when the state has them (peering.ts). */
  peeringConnections?: PeeringConnection[];
  /** OwnerId of the first security group (else of the first interface). */
  firstOwnerId?: string;
  /** Region named by the first SecurityGroupArn, else by the first interface's AvailabilityZone. */
  regionHint?: string;
  partitionHint?: string;
}

function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else out += out === '' ? String(part) : `.${String(part)}`;
  }
  return out === '' ? '(state)' : out;
}

/**
 * Parses and cross-checks a state; throws InvalidInputError naming each problem's path. `accountId` is the simulated
 * account (default: the OwnerId of the first group): its groups' rules may reference only prefix lists in
 * `PrefixLists`, so that each counts as EC2 counts it.
 */
export function loadState(input: unknown, options: { accountId?: string } = {}): LoadedState {
  const parsed = stateSchema.safeParse(input);
  if (!parsed.success) {
    throw new InvalidInputError(parsed.error.issues.map((issue) => `${formatPath(issue.path)}: ${issue.message}`));
  }
  const state = parsed.data;
  const reasons: string[] = [];

  const prefixLists = new Map<string, ManagedPrefixList>();
  (state.PrefixLists ?? []).forEach((list, index) => {
    if (prefixLists.has(list.PrefixListId))
      reasons.push(`PrefixLists[${index}].PrefixListId: ${list.PrefixListId} is listed twice`);
    // Every list must count as some number of rules: its MaxEntries, or an AWS-managed list's documented weight.
    if (prefixListWeight(list) === undefined)
      reasons.push(
        `PrefixLists[${index}].MaxEntries: required (${list.PrefixListId} is not an AWS-managed list of documented weight)`,
      );
    prefixLists.set(list.PrefixListId, structuredClone(list) as ManagedPrefixList);
  });
  const quotas = readQuotas(state.Quotas ?? [], reasons);
  const simulated = options.accountId ?? state.SecurityGroups[0]?.OwnerId;
  state.SecurityGroups.forEach((group, groupIndex) => {
    for (const direction of ['IpPermissions', 'IpPermissionsEgress'] as const) {
      (group[direction] ?? []).forEach((entry, index) => {
        const path = `SecurityGroups[${groupIndex}].${direction}[${index}]`;
        for (const problem of permissionProblems(entry)) reasons.push(`${path}.${problem.field}: ${problem.message}`);
        if (group.OwnerId !== simulated) return;
        (entry.PrefixListIds ?? []).forEach((reference, listIndex) => {
          if (!PREFIX_LIST_ID.test(reference.PrefixListId)) return;
          const list = prefixLists.get(reference.PrefixListId);
          const field = `${path}.PrefixListIds[${listIndex}].PrefixListId`;
          if (!list)
            reasons.push(
              `${field}: prefix list ${reference.PrefixListId} is not in PrefixLists (add its entry from aws ec2 describe-managed-prefix-lists: a reference counts as the list's size)`,
            );
        });
      });
    }
  });

  const groupIndex = new Map<string, number>();
  state.SecurityGroups.forEach((group, index) => {
    const seen = groupIndex.get(group.GroupId);
    if (seen !== undefined)
      reasons.push(
        `SecurityGroups[${index}].GroupId: duplicate group id ${group.GroupId} (also SecurityGroups[${seen}])`,
      );
    else groupIndex.set(group.GroupId, index);
  });
  const names = new Map<string, number>();
  state.SecurityGroups.forEach((group, index) => {
    const key = `${group.OwnerId}|${group.VpcId}|${group.GroupName.toLowerCase()}`;
    const seen = names.get(key);
    if (seen !== undefined)
      reasons.push(
        `SecurityGroups[${index}].GroupName: name ${group.GroupName} is already used in ${group.VpcId} by SecurityGroups[${seen}]`,
      );
    else names.set(key, index);
  });

  const interfaces = state.NetworkInterfaces ?? [];
  const eniIndex = new Map<string, number>();
  interfaces.forEach((eni, index) => {
    const seen = eniIndex.get(eni.NetworkInterfaceId);
    if (seen !== undefined)
      reasons.push(
        `NetworkInterfaces[${index}].NetworkInterfaceId: duplicate interface id ${eni.NetworkInterfaceId} (also NetworkInterfaces[${seen}])`,
      );
    else eniIndex.set(eni.NetworkInterfaceId, index);
    (eni.Groups ?? []).forEach((ref, refIndex) => {
      const path = `NetworkInterfaces[${index}].Groups[${refIndex}].GroupId`;
      const groupAt = groupIndex.get(ref.GroupId);
      const group = groupAt === undefined ? undefined : state.SecurityGroups[groupAt];
      if (!group) reasons.push(`${path}: security group ${ref.GroupId} is not in SecurityGroups`);
      else if (group.VpcId !== eni.VpcId)
        reasons.push(`${path}: security group ${ref.GroupId} is in ${group.VpcId}, the interface in ${eni.VpcId}`);
    });
  });
  if (reasons.length > 0) throw new InvalidInputError(reasons);

  const firstOwnerId = state.SecurityGroups[0]?.OwnerId ?? interfaces[0]?.OwnerId;
  const arnMatch = /^arn:([^:]+):ec2:([^:]+):/.exec(
    state.SecurityGroups.find((group) => group.SecurityGroupArn)?.SecurityGroupArn ?? '',
  );
  const zone = (interfaces.find((eni) => typeof eni.AvailabilityZone === 'string')?.AvailabilityZone ?? '') as string;
  const zoneRegion = /^([a-z]{2}(?:-[a-z]+)+-\d+)/.exec(zone)?.[1];

  const groups: StoredGroup[] = state.SecurityGroups.map((group) => {
    const rules: StoredRule[] = [];
    const keys = new Set<string>();
    for (const draft of [
      ...explodePermissions(group.IpPermissions, 'ingress'),
      ...explodePermissions(group.IpPermissionsEgress, 'egress'),
    ]) {
      const key = keyOf(draft);
      if (keys.has(key)) continue;
      keys.add(key);
      rules.push({ ...draft, id: stableRuleId(group.GroupId, key) });
    }
    const stored: StoredGroup = {
      raw: structuredClone(group) as Record<string, unknown>,
      GroupId: group.GroupId,
      GroupName: group.GroupName,
      Description: group.Description,
      VpcId: group.VpcId,
      OwnerId: group.OwnerId,
      rules,
    };
    if (group.SecurityGroupArn !== undefined) stored.SecurityGroupArn = group.SecurityGroupArn;
    if (group.Tags !== undefined) stored.Tags = structuredClone(group.Tags);
    return stored;
  });

  const storedInterfaces: StoredInterface[] = interfaces.map((eni) => ({
    raw: structuredClone(eni) as NetworkInterface & Record<string, unknown>,
    id: eni.NetworkInterfaceId,
    vpcId: eni.VpcId,
    ownerId: eni.OwnerId,
    groupIds: [...new Set((eni.Groups ?? []).map((ref) => ref.GroupId))],
  }));

  const { SecurityGroups: _groups, NetworkInterfaces: _interfaces, ...extras } = state;
  const loaded: LoadedState = {
    groups,
    interfaces: storedInterfaces,
    extras: structuredClone(extras),
    prefixLists,
    quotas,
  };
  if (state.VpcPeeringConnections) loaded.peeringConnections = toConnections(state.VpcPeeringConnections);
  if (firstOwnerId !== undefined) loaded.firstOwnerId = firstOwnerId;
  const region = arnMatch?.[2] ?? zoneRegion;
  if (region !== undefined) loaded.regionHint = region;
  if (arnMatch?.[1] !== undefined) loaded.partitionHint = arnMatch[1];
  return loaded;
}

/**
 * The applied VPC quotas of `Quotas` that the simulator enforces, checked as Service Quotas would have them: whole
 * numbers, at most 16 groups per interface, and rules per group × groups per interface ≤ 1,000
 * (https://docs.aws.amazon.com/vpc/latest/userguide/amazon-vpc-limits.html#vpc-limits-security-groups).
 */
function readQuotas(
  entries: z.infer<typeof serviceQuota>[],
  reasons: string[],
): { rulesPerDirection?: number; groupsPerInterface?: number } {
  const found: { rulesPerDirection?: number; groupsPerInterface?: number } = {};
  const at: { rulesPerDirection?: number; groupsPerInterface?: number } = {};
  entries.forEach((entry, index) => {
    if (entry.ServiceCode !== VPC_SERVICE_CODE) return;
    const name =
      entry.QuotaCode === QUOTA_CODES.rulesPerGroup
        ? 'rulesPerDirection'
        : entry.QuotaCode === QUOTA_CODES.groupsPerInterface
          ? 'groupsPerInterface'
          : undefined;
    if (!name) return;
    if (at[name] !== undefined) {
      reasons.push(`Quotas[${index}].QuotaCode: ${entry.QuotaCode} is listed twice (also Quotas[${at[name]}])`);
      return;
    }
    at[name] = index;
    const max = name === 'groupsPerInterface' ? MAX_GROUPS_PER_INTERFACE : MAX_RULES_TIMES_GROUPS;
    if (!Number.isInteger(entry.Value) || entry.Value < 1 || entry.Value > max)
      reasons.push(`Quotas[${index}].Value: ${entry.QuotaCode} must be a whole number 1-${max}, not ${entry.Value}`);
    else found[name] = entry.Value;
  });
  // An entry left out has its default value; Service Quotas never lets the product pass 1,000.
  const rules = found.rulesPerDirection ?? DOCUMENTED_DEFAULTS.rulesPerGroup;
  const groups = found.groupsPerInterface ?? DOCUMENTED_DEFAULTS.groupsPerInterface;
  const where = at.rulesPerDirection ?? at.groupsPerInterface;
  if (rules * groups > MAX_RULES_TIMES_GROUPS)
    reasons.push(
      `Quotas[${where}].Value: ${rules} rules per security group × ${groups} groups per interface is over ${MAX_RULES_TIMES_GROUPS}, which Service Quotas never allows (give both ${QUOTA_CODES.rulesPerGroup} and ${QUOTA_CODES.groupsPerInterface} as applied)`,
    );
  return found;
}
