/**
 * Local Service Quotas for the VPC quotas, from the state file's `Quotas` (`aws service-quotas list-service-quotas
 * --service-code vpc` output, checked when the simulator loads it). A quota the file does not list has no applied
 * value (GetServiceQuota answers NoSuchResourceException, as the API does when "the applied quota value is not
 * available") and its AWS default from GetAWSDefaultServiceQuota.
 * https://docs.aws.amazon.com/servicequotas/2019-06-24/apireference/API_GetServiceQuota.html,
 * https://docs.aws.amazon.com/servicequotas/2019-06-24/apireference/API_GetAWSDefaultServiceQuota.html
 */
import { Ec2ApiError } from '../../core/errors.ts';
import { DOCUMENTED_DEFAULTS, QUOTA_CODES, VPC_SERVICE_CODE } from '../../core/quotas.ts';
import type { ServiceQuotasPort } from '../../ports.ts';
import type { Ec2Simulator } from './ec2-simulator.ts';

/** The VPC defaults of https://docs.aws.amazon.com/vpc/latest/userguide/amazon-vpc-limits.html#vpc-limits-security-groups */
const AWS_DEFAULTS: Record<string, number> = {
  [QUOTA_CODES.rulesPerGroup]: DOCUMENTED_DEFAULTS.rulesPerGroup,
  [QUOTA_CODES.groupsPerInterface]: DOCUMENTED_DEFAULTS.groupsPerInterface,
  /** VPC security groups per Region. */
  'L-E79EC296': 2500,
};

interface QuotaRecord {
  ServiceCode?: string;
  QuotaCode?: string;
  Value?: number;
}

function noSuchResource(code: string): Ec2ApiError {
  return new Ec2ApiError(
    'NoSuchResourceException',
    `The request failed because the specified quota ${code} was not found.`,
  );
}

export class ServiceQuotasSimulator implements ServiceQuotasPort {
  constructor(private readonly simulator: Ec2Simulator) {}

  async getServiceQuota(input: { ServiceCode: string; QuotaCode: string }): Promise<{ Quota?: QuotaRecord }> {
    const records = this.simulator.serviceRecords().Quotas;
    const found = (Array.isArray(records) ? (records as QuotaRecord[]) : []).find(
      (record) => record.ServiceCode === input.ServiceCode && record.QuotaCode === input.QuotaCode,
    );
    if (!found) throw noSuchResource(input.QuotaCode);
    return { Quota: structuredClone(found) };
  }

  async getAWSDefaultServiceQuota(input: { ServiceCode: string; QuotaCode: string }): Promise<{ Quota?: QuotaRecord }> {
    const value = input.ServiceCode === VPC_SERVICE_CODE ? AWS_DEFAULTS[input.QuotaCode] : undefined;
    if (value === undefined) throw noSuchResource(input.QuotaCode);
    return { Quota: { ServiceCode: input.ServiceCode, QuotaCode: input.QuotaCode, Value: value } };
  }
}
