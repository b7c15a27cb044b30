/** Syntax checks shared by the state-file loader and the API calls. */
import { isIPv4, isIPv6 } from 'node:net';
import { normalizeProtocol } from '../../../core/rules.ts';

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
