/**
 * The member-account role (deploy it to every member account, e.g. with a CloudFormation StackSet: docs/deploy.md).
 * The handlers of the remediation stack assume it for findings of other accounts. It may do exactly the EC2 calls the
 * step functions make, under the same conditions (infra/ec2-policy.ts), and it trusts only those step roles, by ARN,
 * in the remediation account (`aws:PrincipalArn`), plus the external id and/or the organization.
 *
 * The remediation account and region are template parameters, so one template serves every deployment: the role
 * ARNs it trusts are `arn:<partition>:iam::<RemediationAccountId>:role/DefaultSgRemediation-<Step>-<RemediationRegion>`
 * (infra/steps.ts stepRoleName).
 */
import { Aws, CfnOutput, CfnParameter, Stack, type StackProps, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type { Construct } from 'constructs';
import type { Config } from './config.ts';
import { ec2Grant } from './ec2-policy.ts';
import { servicesGrant } from './services-policy.ts';
import { EC2_STEPS, STEP_SPECS, stepRoleName } from './steps.ts';

export interface MemberRoleStackProps extends StackProps {
  config: Config;
}

export class MemberRoleStack extends Stack {
  readonly role: iam.Role;
  readonly remediationAccountId: CfnParameter;
  readonly remediationRegion: CfnParameter;
  readonly organizationId?: CfnParameter;

  constructor(scope: Construct, id: string, props: MemberRoleStackProps) {
    super(scope, id, props);
    const config = props.config;
    this.templateOptions.description =
      'default-sg-remediation member role: lets the remediation account fix Security Hub EC2.2 in this account.';

    this.remediationAccountId = new CfnParameter(this, 'RemediationAccountId', {
      type: 'String',
      allowedPattern: '^\\d{12}$',
      description: 'The account of the remediation stack (the Security Hub administrator account).',
    });
    this.remediationRegion = new CfnParameter(this, 'RemediationRegion', {
      type: 'String',
      allowedPattern: '^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\\d{1,2}$',
      description: 'The region of the remediation stack.',
    });
    // Without an external id the organization is required: the trust always has a second condition.
    let organizationId: string | undefined = config.organizationId;
    if (!config.organizationId && !config.externalId) {
      this.organizationId = new CfnParameter(this, 'OrganizationId', {
        type: 'String',
        allowedPattern: '^o-[a-z0-9]{10,32}$',
        description: 'Your AWS Organizations id: only principals of this organization may assume the role.',
      });
      organizationId = this.organizationId.valueAsString;
    }

    const account = this.remediationAccountId.valueAsString;
    const region = this.remediationRegion.valueAsString;
    const trusted = EC2_STEPS.map((step) => `arn:${Aws.PARTITION}:iam::${account}:role/${stepRoleName(step, region)}`);
    const conditions: Record<string, Record<string, unknown>> = { ArnEquals: { 'aws:PrincipalArn': trusted } };
    if (organizationId) conditions.StringEquals = { 'aws:PrincipalOrgID': organizationId };
    if (config.externalId) {
      conditions.StringEquals = { ...(conditions.StringEquals ?? {}), 'sts:ExternalId': config.externalId };
    }

    this.role = new iam.Role(this, 'MemberRole', {
      roleName: config.memberRoleName,
      description: 'Assumed by the default-sg-remediation step functions to fix Security Hub EC2.2 in this account.',
      assumedBy: new iam.AccountPrincipal(account).withConditions(conditions),
    });
    const reads = EC2_STEPS.flatMap((step) => STEP_SPECS[step].access.ec2Read ?? []);
    const writes = EC2_STEPS.flatMap((step) => STEP_SPECS[step].access.ec2Write ?? []);
    const grant = ec2Grant(reads, [...new Set(writes)]);
    for (const statement of grant.statements) this.role.addToPrincipalPolicy(statement);
    for (const { finding, reason } of grant.wildcards) {
      Validations.of(this.role).acknowledge({ id: `AwsSolutions-IAM5[${finding}]`, reason });
    }

    const services = servicesGrant({
      read: EC2_STEPS.some((step) => STEP_SPECS[step].access.services?.read),
      move: EC2_STEPS.some((step) => STEP_SPECS[step].access.services?.move),
    });
    for (const statement of services.statements) this.role.addToPrincipalPolicy(statement);
    for (const { finding, reason } of services.wildcards) {
      Validations.of(this.role).acknowledge({ id: `AwsSolutions-IAM5[${finding}]`, reason });
    }

    new CfnOutput(this, 'MemberRoleArn', { value: this.role.roleArn });
  }
}
