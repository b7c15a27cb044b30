/**
 * Builds the CDK app: the configuration from the context, the two stacks, and the cdk-nag packs (AWS Solutions and
 * Serverless) as CDK policy-validation plugins. With cdk-nag 3 a finding that no `Validations.of(…).acknowledge()`
 * covers makes synthesis fail (the app throws in memory; under the CDK CLI the report is printed and the exit code
 * is 1), and infra/app.ts also fails on any error annotation.
 */
import { App, type AppProps, BootstraplessSynthesizer, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks, ServerlessChecks } from 'cdk-nag';
import { type Config, loadConfig } from './config.ts';
import { MemberRoleStack } from './member-role-stack.ts';
import { RemediationStack } from './remediation-stack.ts';

export const REMEDIATION_STACK = 'DefaultSgRemediation';
export const MEMBER_ROLE_STACK = 'DefaultSgRemediationMemberRole';

/**
 * Feature flags the stacks rely on, set here so that tests and `cdk synth` build the same thing:
 * server access logs are granted by a bucket policy (not the LogDeliveryWrite ACL, which needs ACLs enabled).
 */
export const FEATURE_FLAGS = { '@aws-cdk/aws-s3:serverAccessLogsUseBucketPolicy': true };

export interface BuiltApp {
  app: App;
  config: Config;
  remediation: RemediationStack;
  member: MemberRoleStack;
}

export interface BuildOptions extends AppProps {
  /** Register the cdk-nag packs (default true). */
  nag?: boolean;
}

export function buildApp(options: BuildOptions = {}): BuiltApp {
  const { nag = true, ...appProps } = options;
  const app = new App({
    ...appProps,
    postCliContext: { ...FEATURE_FLAGS, ...appProps.postCliContext },
  });
  const config = loadConfig((key) => app.node.tryGetContext(key));
  const remediation = new RemediationStack(app, REMEDIATION_STACK, {
    config,
    description: 'default-sg-remediation: closes Security Hub EC2.2 safely (Step Functions, approval, rollback)',
  });
  // A plain template for StackSets: no bootstrap version check (member accounts are not CDK-bootstrapped), no assets.
  const member = new MemberRoleStack(app, MEMBER_ROLE_STACK, {
    config,
    synthesizer: new BootstraplessSynthesizer(),
    analyticsReporting: false,
  });
  if (nag) Validations.of(app).addPlugins(new AwsSolutionsChecks(app), new ServerlessChecks(app));
  return { app, config, remediation, member };
}
