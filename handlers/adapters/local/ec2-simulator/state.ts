/**
 * Loading the state file (`aws ec2 describe-security-groups` + `aws ec2 describe-network-interfaces` output, merged
 * into one object) with zod, cross-checking it, and turning it into the simulator's records.
 */
import * as z from 'zod';
import type { NetworkInterface } from '../../../core/ec2-shapes.ts';
import { InvalidInputError } from '../../../core/errors.ts';
import { ACCOUNT_ID, ENI_ID, PCX_ID, SG_ID, stableRuleId, VPC_ID } from './ids.ts';
import { explodePermissions, keyOf, type StoredGroup, type StoredInterface, type StoredRule } from './model.ts';
import { type PeeringConnection, peeringConnectionSchema, toConnections } from './peering.ts';
import { isCidr4, isCidr6, isProtocol } from './syntax.ts';

const sgId = z.string().regex(SG_ID, 'must look like sg-… (sg- and 8 or 17 hex digits)');
const vpcId = z.string().regex(VPC_ID, 'must look like vpc-… (vpc- and 8 or 17 hex digits)');
const eniId = z.string().regex(ENI_ID, 'must look like eni-… (eni- and 8 or 17 hex digits)');
const accountId = z.string().regex(ACCOUNT_ID, 'must be a 12-digit AWS account id');
const description = z.string().optional();
const port = z.number().int('must be an integer').min(-1, 'must be -1 or more').max(65535, 'must be 65535 or less');

const tag = z.looseObject({ Key: z.string(), Value: z.string().optional() });

const permission = z.looseObject({
  IpProtocol: z.string().refine(isProtocol, 'must be tcp, udp, icmp, icmpv6, -1 or a protocol number 0-255'),
  FromPort: port.optional(),
  ToPort: port.optional(),
  IpRanges: z
    .array(z.looseObject({ CidrIp: z.string().refine(isCidr4, 'must be an IPv4 CIDR'), Description: description }))
    .optional(),
  Ipv6Ranges: z
    .array(z.looseObject({ CidrIpv6: z.string().refine(isCidr6, 'must be an IPv6 CIDR'), Description: description }))
    .optional(),
  PrefixListIds: z
    .array(
      z.looseObject({
        PrefixListId: z.string().regex(/^pl-[0-9a-f]+$/, 'must look like pl-…'),
        Description: description,
      }),
    )
    .optional(),
  UserIdGroupPairs: z
    .array(
      z.looseObject({
        GroupId: sgId,
        GroupName: z.string().optional(),
        UserId: z.string().optional(),
        VpcId: vpcId.optional(),
        VpcPeeringConnectionId: z.string().regex(PCX_ID, 'must look like pcx-…').optional(),
        PeeringStatus: z.string().optional(),
        Description: description,
      }),
    )
    .optional(),
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

const stateSchema = z.looseObject({
  SecurityGroups: z.array(securityGroup),
  NetworkInterfaces: z.array(networkInterface).optional(),
  VpcPeeringConnections: z.array(peeringConnectionSchema).optional(),
});

export type ParsedState = z.infer<typeof stateSchema>;

export interface LoadedState {
  groups: StoredGroup[];
  interfaces: StoredInterface[];
  /** Top-level fields other than SecurityGroups and NetworkInterfaces, kept for toState. */
  extras: Record<string, unknown>;
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

/** Parses and cross-checks a state; throws InvalidInputError naming each problem's path. */
export function loadState(input: unknown, defaultOwnerId?: string): LoadedState {
  const parsed = stateSchema.safeParse(input);
  if (!parsed.success) {
    throw new InvalidInputError(parsed.error.issues.map((issue) => `${formatPath(issue.path)}: ${issue.message}`));
  }
  const state = parsed.data;
  const reasons: string[] = [];

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

  const firstOwnerId = state.SecurityGroups[0]?.OwnerId ?? interfaces[0]?.OwnerId ?? defaultOwnerId;
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
  const loaded: LoadedState = { groups, interfaces: storedInterfaces, extras: structuredClone(extras) };
  if (state.VpcPeeringConnections) loaded.peeringConnections = toConnections(state.VpcPeeringConnections);
  if (firstOwnerId !== undefined) loaded.firstOwnerId = firstOwnerId;
  const region = arnMatch?.[2] ?? zoneRegion;
  if (region !== undefined) loaded.regionHint = region;
  if (arnMatch?.[1] !== undefined) loaded.partitionHint = arnMatch[1];
  return loaded;
}
