/**
 * The ServicesPort over the AWS SDK: one adapter per owner service (handlers/adapters/aws/owners/), each with its own
 * client built from the finding's Region and credentials. Group lists are replaced as a whole, as the services' APIs
 * do, and a change is waited for until the service reports it applied.
 */
import { perOwnerService } from '../../core/owners/index.ts';
import { OwnerServices, type WaitOptions } from '../owner-services.ts';
import { SDK_OWNERS, type SdkOwnerConfig } from './owners/index.ts';

export class SdkServices extends OwnerServices {
  constructor(config: SdkOwnerConfig, wait: WaitOptions = {}) {
    super(
      perOwnerService((service) => SDK_OWNERS[service](config)),
      wait,
    );
  }
}
