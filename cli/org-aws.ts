/**
 * Organization runs against AWS: regions from DescribeRegions, accounts through the member role (the Lambda runtime's
 * own factory: this account directly, another by AssumeRole), calls paced per account and region.
 */
import { DescribeRegionsCommand, EC2Client } from '@aws-sdk/client-ec2';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { systemClock } from '../handlers/adapters/clock.ts';
import { InvalidInputError } from '../handlers/core/errors.ts';
import { ec2Factory, serviceQuotasFactory, servicesFactory } from '../handlers/lambda/runtime.ts';
import { AUDIT_PACING_SHARE } from '../handlers/steps/audit.ts';
import { type Pace, pacer } from '../handlers/steps/pacing.ts';
import type { OrgReach, PlaceAccess } from './org.ts';
import type { Scope } from './org-states.ts';

/**
 * The role assumed in other accounts when MEMBER_ROLE_NAME names none. The deployed member roles are per step
 * (`<memberRoleName>-<Step>`) and trust only the step functions, so an operator names a role of their own (runbook).
 */
export const DEFAULT_MEMBER_ROLE_NAME = 'DefaultSgRemediationMember';

export interface AwsReachOptions extends Scope {
  env?: NodeJS.ProcessEnv;
  pacingShare?: number;
}

export async function awsReach(options: AwsReachOptions): Promise<OrgReach> {
  const env = options.env ?? process.env;
  const home = env.AWS_REGION ?? env.AWS_DEFAULT_REGION ?? 'us-east-1';
  const ownAccount = (await new STSClient({ region: home }).send(new GetCallerIdentityCommand({}))).Account ?? '';
  // Opt-in status is the caller's account's; a region another account has not enabled answers its calls with an
  // error, which the audit reports as unreachable.
  const listed = (await new EC2Client({ region: home }).send(new DescribeRegionsCommand({ AllRegions: true }))).Regions;
  const optIn = new Map((listed ?? []).map((region) => [region.RegionName ?? '', region.OptInStatus ?? '']));
  const unknown = (options.regions ?? []).filter((region) => !optIn.has(region));
  if (unknown.length > 0)
    throw new InvalidInputError([`--regions: ${unknown.join(', ')} not among the regions DescribeRegions lists.`]);
  const regions = options.regions ?? [...optIn.keys()].sort();
  const accounts = options.accounts ?? [ownAccount];
  const roleEnv = {
    MEMBER_ROLE_NAME: env.MEMBER_ROLE_NAME || DEFAULT_MEMBER_ROLE_NAME,
    ...(env.MEMBER_ROLE_EXTERNAL_ID ? { MEMBER_ROLE_EXTERNAL_ID: env.MEMBER_ROLE_EXTERNAL_ID } : {}),
  };
  // All through the member role of the place's account (this account's own credentials for itself).
  const ec2 = ec2Factory(roleEnv);
  const services = servicesFactory(roleEnv);
  const serviceQuotas = serviceQuotasFactory(roleEnv);
  const pacers = new Map<string, Pace>();
  return {
    async places() {
      return accounts.flatMap((accountId) =>
        regions.map((region): PlaceAccess => {
          const status = optIn.get(region);
          return accountId === ownAccount && status === 'not-opted-in'
            ? { accountId, region, unreachable: `The region is not enabled in this account (opt-in status ${status}).` }
            : { accountId, region };
        }),
      );
    },
    ec2: (place) => ec2(place),
    services: (place) => services(place),
    serviceQuotas: (place) => serviceQuotas(place),
    pace(place) {
      const key = `${place.accountId}/${place.region}`;
      let pace = pacers.get(key);
      if (!pace) {
        pace = pacer(systemClock, options.pacingShare ?? AUDIT_PACING_SHARE);
        pacers.set(key, pace);
      }
      return pace;
    },
  };
}
