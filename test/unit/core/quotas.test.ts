/**
 * Rules counted as EC2 counts them, with the documentation's numbers:
 * https://docs.aws.amazon.com/vpc/latest/userguide/security-group-rules.html#security-group-size (a CIDR or a group
 * counts one, a customer-managed prefix list its maximum entries, an AWS-managed one its weight),
 * https://docs.aws.amazon.com/vpc/latest/userguide/working-with-aws-managed-prefix-lists.html (the weights),
 * https://docs.aws.amazon.com/vpc/latest/userguide/amazon-vpc-limits.html#vpc-limits-security-groups (60 per direction
 * and IP family by default).
 */
import { describe, expect, it } from 'vitest';
import type { ManagedPrefixList } from '../../../handlers/core/ec2-shapes.ts';
import {
  documentedLimits,
  type Limits,
  prefixListWeight,
  quotaReasons,
  quotaUsage,
} from '../../../handlers/core/quotas.ts';
import type { Peer, Rule } from '../../../handlers/core/rules.ts';

const aws = (name: string, extra: Partial<ManagedPrefixList> = {}): ManagedPrefixList => ({
  PrefixListId: 'pl-00000001',
  PrefixListName: name,
  OwnerId: 'AWS',
  ...extra,
});

describe('prefixListWeight', () => {
  it.each([
    ['com.amazonaws.global.cloudfront.origin-facing', 55],
    ['com.amazonaws.global.ipv6.cloudfront.origin-facing', 55],
    ['com.amazonaws.us-east-1.s3', 1],
    ['com.amazonaws.eu-west-1.dynamodb', 1],
    ['com.amazonaws.ap-southeast-2.ec2-instance-connect', 2],
    ['com.amazonaws.us-west-2.ipv6.ec2-instance-connect', 2],
    ['com.amazonaws.global.groundstation', 5],
    ['com.amazonaws.us-east-1.route53-healthchecks', 25],
    ['com.amazonaws.us-east-1.ipv6.route53-healthchecks', 25],
    ['com.amazonaws.us-gov-west-1.s3express', 6],
    ['com.amazonaws.eu-central-1.vpc-lattice', 10],
    ['com.amazonaws.eu-central-1.ipv6.vpc-lattice', 10],
  ])('AWS-managed %s weighs %i', (name, weight) => {
    expect(prefixListWeight(aws(name))).toBe(weight);
  });

  it('the documented weight wins over what MaxEntries says for an AWS-managed list', () => {
    expect(prefixListWeight(aws('com.amazonaws.global.cloudfront.origin-facing', { MaxEntries: 120 }))).toBe(55);
  });

  it('an AWS-managed list newer than the table counts as its MaxEntries, or is unknown without it', () => {
    expect(prefixListWeight(aws('com.amazonaws.us-east-1.brand-new', { MaxEntries: 12 }))).toBe(12);
    expect(prefixListWeight(aws('com.amazonaws.us-east-1.brand-new'))).toBeUndefined();
  });

  it('a customer-managed list counts as its maximum size, however many entries it has now', () => {
    expect(prefixListWeight({ PrefixListId: 'pl-0123', OwnerId: '111122223333', MaxEntries: 20 })).toBe(20);
    // A name that looks AWS-managed does not make a customer's list weigh 1.
    expect(
      prefixListWeight({ PrefixListName: 'com.amazonaws.us-east-1.s3', OwnerId: '111122223333', MaxEntries: 30 }),
    ).toBe(30);
    expect(prefixListWeight({ PrefixListId: 'pl-0123', OwnerId: '111122223333' })).toBeUndefined();
  });
});

const rule = (peer: Peer, direction: Rule['direction'] = 'ingress'): Rule => ({
  direction,
  protocol: 'tcp',
  fromPort: 443,
  toPort: 443,
  peer,
});
const cidr4 = (n: number) => rule({ kind: 'cidr4', cidr: `198.51.100.${n}/32` });
const CLOUDFRONT = 'pl-3b927c52';
const limits = (extra: Partial<Limits> = {}): Limits => ({
  ...documentedLimits(),
  prefixListWeights: { [CLOUDFRONT]: 55, 'pl-0customer': 20 },
  ...extra,
});

describe('quotaUsage', () => {
  it('a CIDR counts once in its family, a group once in each, a prefix list its weight in each', () => {
    const rules = [
      cidr4(1),
      rule({ kind: 'cidr6', cidr: '2001:db8::/32' }),
      rule({ kind: 'group', groupId: 'sg-0123456789abcdef0' }),
      rule({ kind: 'prefix-list', prefixListId: CLOUDFRONT }),
      rule({ kind: 'prefix-list', prefixListId: 'pl-0customer' }),
    ];
    expect(quotaUsage(rules, 'ingress', limits().prefixListWeights)).toEqual({ ipv4: 77, ipv6: 77, unknown: [] });
  });

  it('counts one direction at a time', () => {
    const rules = [cidr4(1), rule({ kind: 'prefix-list', prefixListId: CLOUDFRONT }, 'egress')];
    expect(quotaUsage(rules, 'ingress', limits().prefixListWeights)).toEqual({ ipv4: 1, ipv6: 0, unknown: [] });
    expect(quotaUsage(rules, 'egress', limits().prefixListWeights)).toEqual({ ipv4: 55, ipv6: 55, unknown: [] });
  });

  it('a prefix list of unknown size is not counted as one: it is reported', () => {
    const rules = [rule({ kind: 'prefix-list', prefixListId: 'pl-0unknown' }), cidr4(1)];
    expect(quotaUsage(rules, 'ingress', {})).toEqual({ ipv4: 1, ipv6: 0, unknown: ['pl-0unknown'] });
  });
});

describe('quotaReasons', () => {
  const cloudFrontAndFive = [rule({ kind: 'prefix-list', prefixListId: CLOUDFRONT }), ...[1, 2, 3, 4, 5].map(cidr4)];

  it('CloudFront (55) and five CIDRs fit the default 60', () => {
    expect(quotaReasons('sg-x (web)', cloudFrontAndFive, limits())).toEqual([]);
  });

  it('a sixth CIDR is rule 61: over the default quota, naming the weight', () => {
    expect(quotaReasons('sg-x (web)', [...cloudFrontAndFive, cidr4(6)], limits())).toEqual([
      `sg-x (web) would need 61 inbound IPv4 rules, over the quota of 60 (prefix list ${CLOUDFRONT} counts as 55).`,
    ]);
  });

  it("the account's raised quota is the bound", () => {
    expect(quotaReasons('sg-x (web)', [...cloudFrontAndFive, cidr4(6)], limits({ rulesPerGroup: 200 }))).toEqual([]);
  });

  it('CloudFront in a group with 6 IPv6 CIDRs is over in IPv6 too', () => {
    const v6 = [1, 2, 3, 4, 5, 6].map((n) => rule({ kind: 'cidr6', cidr: `2001:db8:${n}::/48` }));
    expect(
      quotaReasons('sg-x (web)', [rule({ kind: 'prefix-list', prefixListId: CLOUDFRONT }), ...v6], limits()),
    ).toEqual([
      `sg-x (web) would need 61 inbound IPv6 rules, over the quota of 60 (prefix list ${CLOUDFRONT} counts as 55).`,
    ]);
  });

  it('a prefix list of unknown size is a reason, with why', () => {
    const reasons = quotaReasons('sg-x (web)', [rule({ kind: 'prefix-list', prefixListId: 'pl-0unknown' })], {
      ...limits(),
      unknownPrefixLists: { 'pl-0unknown': 'DescribeManagedPrefixLists does not show it' },
    });
    expect(reasons).toEqual([
      'sg-x (web) references prefix list pl-0unknown, whose size could not be read (DescribeManagedPrefixLists does not show it): its rules cannot be counted against the quota of 60, so adding rules to it could be refused.',
    ]);
  });
});
