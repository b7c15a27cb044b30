/**
 * Syntax checks shared by the state-file loader and the API calls: one set of rules, so that a state file can hold
 * only what AuthorizeSecurityGroupIngress/Egress would have accepted (the loader names each problem's field, the
 * calls answer EC2's error).
 */
import { isIPv4, isIPv6 } from 'node:net';
import type { Ec2ApiError } from '../../../core/errors.ts';
import { normalizeProtocol } from '../../../core/rules.ts';
import { ec2Errors } from './errors.ts';
import { PCX_ID, SG_ID, VPC_ID } from './ids.ts';

/**
 * Group names, group descriptions and rule descriptions: up to 255 characters from a-z, A-Z, 0-9, spaces and
 * `._-:/()#,@[]+=&;{}!$*`. https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_CreateSecurityGroup.html and
 * https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_IpRange.html
 */
export const EC2_TEXT = /^[a-zA-Z0-9 ._\-:/()#,@[\]+=&;{}!$*]*$/;
export const EC2_TEXT_MAX = 255;

export function isEc2Text(text: string): boolean {
  return text.length <= EC2_TEXT_MAX && EC2_TEXT.test(text);
}

export function isCidr4(cidr: string): boolean {
  const match = /^([^/]+)\/(\d{1,2})$/.exec(cidr);
  return match !== null && isIPv4(match[1] ?? '') && Number(match[2]) <= 32;
}

export function isCidr6(cidr: string): boolean {
  const match = /^([^/]+)\/(\d{1,3})$/.exec(cidr);
  return match !== null && isIPv6(match[1] ?? '') && Number(match[2]) <= 128;
}

/** `tcp`, `udp`, `icmp`, `icmpv6`, `-1`/`all`, or an IP protocol number 0-255. */
export function isProtocol(protocol: string | undefined): boolean {
  if (protocol === undefined) return false;
  const normalized = normalizeProtocol(protocol);
  if (['-1', 'tcp', 'udp', 'icmp', 'icmpv6'].includes(normalized)) return true;
  const number = Number(normalized);
  return /^\d+$/.test(String(protocol).trim()) && Number.isInteger(number) && number >= 0 && number <= 255;
}

export const PREFIX_LIST_ID = /^pl-[0-9a-f]+$/;

/** One thing wrong with an IpPermission: where (below the permission), what, and what EC2 answers for it. */
export interface RuleProblem {
  /** `IpProtocol`, `ToPort`, `IpRanges[0].Description`, … */
  field: string;
  message: string;
  error(): Ec2ApiError;
}

const RULE_DESCRIPTION_ERROR =
  'Invalid rule description. Valid descriptions are strings less than 256 characters from the following set:  a-zA-Z0-9. _-:/()#,@[]+=&;{}!$*';

/** Permission fields as a caller may send them: anything, until checked. */
interface UncheckedPermission {
  IpProtocol?: unknown;
  FromPort?: unknown;
  ToPort?: unknown;
  IpRanges?: { CidrIp?: unknown; Description?: unknown }[];
  Ipv6Ranges?: { CidrIpv6?: unknown; Description?: unknown }[];
  PrefixListIds?: { PrefixListId?: unknown; Description?: unknown }[];
  UserIdGroupPairs?: { GroupId?: unknown; VpcId?: unknown; VpcPeeringConnectionId?: unknown; Description?: unknown }[];
}

const PEER_LISTS = ['IpRanges', 'Ipv6Ranges', 'PrefixListIds', 'UserIdGroupPairs'] as const;

function isInteger(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value);
}

/** A short, printable rendering of untrusted text for a message. */
function quoted(value: unknown): string {
  const text = JSON.stringify(String(value));
  return text.length > 60 ? `${text.slice(0, 57)}…"` : text;
}

/**
 * The ports a protocol needs (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_IpPermission.html):
 * tcp and udp a port range 0-65535 with FromPort ≤ ToPort; icmp an ICMP type and code, each -1 (all) to 255, and a
 * code of -1 when the type is -1 ("If the start port is -1 (all ICMP types), then the end port must be -1"); icmpv6
 * the same, or no range at all (all types and codes). `-1` and other protocol numbers allow every port, whatever
 * range is given.
 */
function portProblems(protocol: string, from: unknown, to: unknown): RuleProblem[] {
  const missing = from === undefined ? 'FromPort' : 'ToPort';
  if (protocol === 'tcp' || protocol === 'udp') {
    if (from === undefined || to === undefined) {
      return [
        {
          field: missing,
          message: `is required: ${protocol} rules need FromPort and ToPort (a port range 0-65535)`,
          error: () =>
            ec2Errors.invalidParameterValue(
              "Invalid value 'Must specify both from and to ports with TCP/UDP.' for portRange.",
            ),
        },
      ];
    }
    const rangeError = () => ec2Errors.invalidParameterValue(`Invalid value '${from}-${to}' for portRange.`);
    const problems: RuleProblem[] = [];
    for (const [field, value] of [
      ['FromPort', from],
      ['ToPort', to],
    ] as const) {
      if (!isInteger(value) || value < 0 || value > 65535)
        problems.push({
          field,
          message: `must be a port 0-65535 for ${protocol}, not ${quoted(value)}`,
          error: rangeError,
        });
    }
    if (problems.length === 0 && (from as number) > (to as number))
      problems.push({ field: 'FromPort', message: `${from} is greater than ToPort ${to}`, error: rangeError });
    return problems;
  }
  if (protocol === 'icmp' || protocol === 'icmpv6') {
    if (from === undefined && to === undefined && protocol === 'icmpv6') return [];
    if (from === undefined || to === undefined) {
      return [
        {
          field: missing,
          message: `is required: ${protocol} rules need FromPort (the type) and ToPort (the code), -1 for all`,
          error: () =>
            ec2Errors.invalidParameterValue(
              "Invalid value 'Must specify both ICMP type and code (-1 for all).' for portRange.",
            ),
        },
      ];
    }
    const problems: RuleProblem[] = [];
    for (const [field, value] of [
      ['FromPort', from],
      ['ToPort', to],
    ] as const) {
      if (!isInteger(value) || value < -1 || value > 255)
        problems.push({
          field,
          message: `must be an ICMP ${field === 'FromPort' ? 'type' : 'code'} -1 to 255, not ${quoted(value)}`,
          error: () => ec2Errors.invalidParameterValue(`Invalid value '${value}' for ICMP type or code.`),
        });
    }
    if (problems.length === 0 && from === -1 && to !== -1)
      problems.push({
        field: 'ToPort',
        message: `must be -1 when FromPort is -1: all ICMP types means all codes, not code ${to}`,
        error: () => ec2Errors.invalidParameterValue(`Invalid value '${to}' for ICMP code: the type is -1 (all).`),
      });
    return problems;
  }
  return [];
}

/**
 * Everything AuthorizeSecurityGroupIngress/Egress refuse in one IpPermission, in the order EC2 checks it: protocol,
 * ports, at least one peer, CIDR syntax, prefix list / group / VPC / peering ids, and (unless `descriptions` is
 * false, as for a revoke, which ignores them) each description's length and characters.
 * https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_AuthorizeSecurityGroupIngress.html,
 * https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_IpPermission.html,
 * https://docs.aws.amazon.com/vpc/latest/userguide/security-group-rules.html
 */
export function permissionProblems(
  raw: unknown,
  options: { descriptions: boolean } = { descriptions: true },
): RuleProblem[] {
  const permission = (typeof raw === 'object' && raw !== null ? raw : {}) as UncheckedPermission;
  const protocol = permission.IpProtocol;
  if (protocol === undefined || protocol === '')
    return [{ field: 'IpProtocol', message: 'is required', error: () => ec2Errors.missingParameter('IpProtocol') }];
  if (typeof protocol !== 'string' || !isProtocol(protocol))
    return [
      {
        field: 'IpProtocol',
        message: `must be tcp, udp, icmp, icmpv6, -1 or a protocol number 0-255, not ${quoted(protocol)}`,
        error: () => ec2Errors.invalidParameterValue(`Invalid value '${protocol}' for IP protocol. Unknown protocol.`),
      },
    ];
  const problems = portProblems(normalizeProtocol(protocol), permission.FromPort, permission.ToPort);

  const lists = PEER_LISTS.map((name) => [name, Array.isArray(permission[name]) ? permission[name] : []] as const);
  if (lists.every(([, peers]) => peers.length === 0))
    problems.push({
      field: 'IpRanges',
      message: 'no peer: one of IpRanges, Ipv6Ranges, PrefixListIds or UserIdGroupPairs must list one',
      error: () =>
        ec2Errors.invalidParameterValue(
          'missing mandatory parameter: exactly one of remote-security-group, remote-ip-range, remote-ipv6-range, or prefix-list-id must be present',
        ),
    });
  (permission.IpRanges ?? []).forEach((range, index) => {
    if (typeof range?.CidrIp !== 'string' || !isCidr4(range.CidrIp))
      problems.push({
        field: `IpRanges[${index}].CidrIp`,
        message: `must be an IPv4 CIDR, not ${quoted(range?.CidrIp)}`,
        error: () => ec2Errors.invalidParameterValue(`CIDR block ${String(range?.CidrIp ?? '')} is malformed`),
      });
  });
  (permission.Ipv6Ranges ?? []).forEach((range, index) => {
    if (typeof range?.CidrIpv6 !== 'string' || !isCidr6(range.CidrIpv6))
      problems.push({
        field: `Ipv6Ranges[${index}].CidrIpv6`,
        message: `must be an IPv6 CIDR, not ${quoted(range?.CidrIpv6)}`,
        error: () => ec2Errors.invalidParameterValue(`CIDR block ${String(range?.CidrIpv6 ?? '')} is malformed`),
      });
  });
  (permission.PrefixListIds ?? []).forEach((list, index) => {
    if (typeof list?.PrefixListId !== 'string' || !PREFIX_LIST_ID.test(list.PrefixListId))
      problems.push({
        field: `PrefixListIds[${index}].PrefixListId`,
        message: `must look like pl-…, not ${quoted(list?.PrefixListId)}`,
        error: () => ec2Errors.malformedId('InvalidPrefixListId.Malformed', String(list?.PrefixListId ?? ''), 'pl'),
      });
  });
  (permission.UserIdGroupPairs ?? []).forEach((pair, index) => {
    const at = `UserIdGroupPairs[${index}]`;
    if (pair?.GroupId === undefined || pair.GroupId === '')
      problems.push({
        field: `${at}.GroupId`,
        message: 'is required',
        error: () => ec2Errors.missingParameter('GroupId'),
      });
    else if (typeof pair.GroupId !== 'string' || !SG_ID.test(pair.GroupId))
      problems.push({
        field: `${at}.GroupId`,
        message: `must look like sg-… (sg- and 8 or 17 hex digits), not ${quoted(pair.GroupId)}`,
        error: () => ec2Errors.malformedId('InvalidGroupId.Malformed', String(pair.GroupId), 'sg'),
      });
    if (pair?.VpcId !== undefined && (typeof pair.VpcId !== 'string' || !VPC_ID.test(pair.VpcId)))
      problems.push({
        field: `${at}.VpcId`,
        message: `must look like vpc-…, not ${quoted(pair.VpcId)}`,
        error: () => ec2Errors.malformedId('InvalidVpcID.Malformed', String(pair.VpcId), 'vpc'),
      });
    if (
      pair?.VpcPeeringConnectionId !== undefined &&
      (typeof pair.VpcPeeringConnectionId !== 'string' || !PCX_ID.test(pair.VpcPeeringConnectionId))
    )
      problems.push({
        field: `${at}.VpcPeeringConnectionId`,
        message: `must look like pcx-…, not ${quoted(pair.VpcPeeringConnectionId)}`,
        error: () =>
          ec2Errors.malformedId('InvalidVpcPeeringConnectionId.Malformed', String(pair.VpcPeeringConnectionId), 'pcx'),
      });
  });
  if (options.descriptions) {
    for (const [name, peers] of lists) {
      peers.forEach((peer, index) => {
        const text = (peer as { Description?: unknown } | undefined)?.Description;
        if (text === undefined) return;
        const field = `${name}[${index}].Description`;
        const error = () => ec2Errors.invalidParameterValue(RULE_DESCRIPTION_ERROR);
        if (typeof text !== 'string') problems.push({ field, message: 'must be text', error });
        else if (text.length > EC2_TEXT_MAX)
          problems.push({ field, message: `is ${text.length} characters, over the ${EC2_TEXT_MAX} EC2 allows`, error });
        else if (!EC2_TEXT.test(text)) {
          const bad = [...text].find((char) => !EC2_TEXT.test(char)) ?? '';
          problems.push({
            field,
            message: `has ${quoted(bad)}, which EC2 does not allow in a description (a-z A-Z 0-9 space ._-:/()#,@[]+=&;{}!$* only)`,
            error,
          });
        }
      });
    }
  }
  return problems;
}
