/** What every owner service's SDK client is built with: the finding's Region and, in a member account, the role's credentials. */
import type { EC2ClientConfig } from '@aws-sdk/client-ec2';

export type SdkOwnerConfig = Pick<EC2ClientConfig, 'region' | 'credentials'> &
  /** `capture` reads many lists: the SDK's adaptive retry mode paces it when a service throttles. */
  Partial<Pick<EC2ClientConfig, 'retryMode' | 'maxAttempts'>>;
