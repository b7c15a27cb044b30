/**
 * ServiceQuotasPort over the AWS SDK v3 Service Quotas client: each method sends the matching command and answers
 * its output; SDK errors keep the Service Quotas error as their `name` (e.g. `NoSuchResourceException`) and name the
 * operation and HTTP status in their message (sdk-errors.ts).
 */
import {
  GetAWSDefaultServiceQuotaCommand,
  GetServiceQuotaCommand,
  type ServiceQuotasClient,
} from '@aws-sdk/client-service-quotas';
import type { ServiceQuotasPort } from '../../ports.ts';
import { explainingSend } from './sdk-errors.ts';

type Input<K extends keyof ServiceQuotasPort> = Parameters<ServiceQuotasPort[K]>[0];
type Output<K extends keyof ServiceQuotasPort> = ReturnType<ServiceQuotasPort[K]>;

export class SdkServiceQuotas implements ServiceQuotasPort {
  private readonly send: ServiceQuotasClient['send'];

  constructor(client: ServiceQuotasClient) {
    this.send = explainingSend(client, 'JSON');
  }

  getServiceQuota(input: Input<'getServiceQuota'>): Output<'getServiceQuota'> {
    return this.send(new GetServiceQuotaCommand(input));
  }

  getAWSDefaultServiceQuota(input: Input<'getAWSDefaultServiceQuota'>): Output<'getAWSDefaultServiceQuota'> {
    return this.send(new GetAWSDefaultServiceQuotaCommand(input));
  }
}
