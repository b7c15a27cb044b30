/** SdkServiceQuotas: a pass-through to Service Quotas, errors unchanged (their name is what readLimits reads). */
import {
  AccessDeniedException,
  GetAWSDefaultServiceQuotaCommand,
  GetServiceQuotaCommand,
  ServiceQuotasClient,
} from '@aws-sdk/client-service-quotas';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { SdkServiceQuotas } from '../../../handlers/adapters/aws/service-quotas.ts';
import { errorCode } from '../../../handlers/core/errors.ts';

const mock = mockClient(ServiceQuotasClient);
const adapter = new SdkServiceQuotas(
  new ServiceQuotasClient({ region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'y' } }),
);
const REQUEST = { ServiceCode: 'vpc', QuotaCode: 'L-0EA8095F' };

beforeEach(() => mock.reset());
afterAll(() => mock.restore());

describe('SdkServiceQuotas', () => {
  it('sends GetServiceQuota and answers the applied value', async () => {
    mock.on(GetServiceQuotaCommand).resolves({ Quota: { ...REQUEST, Value: 200 } });
    expect(await adapter.getServiceQuota(REQUEST)).toMatchObject({ Quota: { Value: 200 } });
    expect(mock.commandCalls(GetServiceQuotaCommand)[0]?.args[0].input).toEqual(REQUEST);
  });

  it('sends GetAWSDefaultServiceQuota and answers the default', async () => {
    mock.on(GetAWSDefaultServiceQuotaCommand).resolves({ Quota: { ...REQUEST, Value: 60 } });
    expect(await adapter.getAWSDefaultServiceQuota(REQUEST)).toMatchObject({ Quota: { Value: 60 } });
    expect(mock.commandCalls(GetAWSDefaultServiceQuotaCommand)[0]?.args[0].input).toEqual(REQUEST);
  });

  it('lets errors through with their name', async () => {
    mock
      .on(GetServiceQuotaCommand)
      .rejects(new AccessDeniedException({ message: 'not authorized', $metadata: { httpStatusCode: 400 } }));
    const caught = await adapter.getServiceQuota(REQUEST).catch((error: unknown) => error);
    expect(errorCode(caught)).toBe('AccessDeniedException');
  });
});
