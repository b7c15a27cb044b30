/**
 * ServiceQuotasPort over the AWS SDK v3 Service Quotas client: each method sends the matching command and answers
 * its output; SDK errors pass through (their `name` is the Service Quotas error, e.g. `NoSuchResourceException`).
 */
import {
  GetAWSDefaultServiceQuotaCommand,
  GetServiceQuotaCommand,
  type ServiceQuotasClient,
} from '@aws-sdk/client-service-quotas';
import type { ServiceQuotasPort } from '../../ports.ts';

type Input<K extends keyof ServiceQuotasPort> = Parameters<ServiceQuotasPort[K]>[0];
type Output<K extends keyof ServiceQuotasPort> = ReturnType<ServiceQuotasPort[K]>;

export class SdkServiceQuotas implements ServiceQuotasPort {
  constructor(private readonly client: ServiceQuotasClient) {}

  getServiceQuota(input: Input<'getServiceQuota'>): Output<'getServiceQuota'> {
    return this.client.send(new GetServiceQuotaCommand(input));
  }

  getAWSDefaultServiceQuota(input: Input<'getAWSDefaultServiceQuota'>): Output<'getAWSDefaultServiceQuota'> {
    return this.client.send(new GetAWSDefaultServiceQuotaCommand(input));
  }
}
