/**
 * The member-account roles (deploy them to every member account, e.g. with a CloudFormation StackSet: docs/deploy.md).
 * The handlers of the remediation stack assume them for findings of other accounts: one role per step that calls the
 * finding's account, `<memberRoleName>-<Step>`, holding exactly that step's grant (infra/account-grant.ts, the same
 * function that builds the step's own role) and trusting only that step's role, by ARN, in the remediation account
 * (`aws:PrincipalArn`), plus the external id and/or the organization. A step that only reads (Discover, Verify, …)
 * therefore cannot write in a member account whatever its code does (docs/decisions.md, "Least privilege inside AWS").
 *
 * The remediation account and region are template parameters, so one template serves every deployment: the role
 * ARNs trusted are `arn:<partition>:iam::<RemediationAccountId>:role/DefaultSgRemediation-<Step>-<RemediationRegion>`
 * (infra/steps.ts stepRoleName).
 */
import { Aws, CfnOutput, CfnParameter, Stack, type StackProps, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type { Construct } from 'constructs';
import type { AuditStepName } from '../handlers/steps/audit.ts';
import type { StepName } from '../handlers/steps/index.ts';
import { accountGrant } from './account-grant.ts';
import type { Config } from './config.ts';
import {
  AUDIT_EC2_STEPS,
  AUDIT_STEP_SPECS,
  EC2_STEPS,
  memberRoleNameOf,
  STEP_SPECS,
  type StepSpec,
  stepRoleName,
} from './steps.ts';

export interface MemberRoleStackProps extends StackProps {
  config: Config;
}

export class MemberRoleStack extends Stack {
  /** One role per step that calls the finding's account (and the audit's, with `audit` on). */
  readonly roles: Partial<Record<StepName | AuditStepName, iam.Role>> = {};
  readonly remediationAccountId: CfnParameter;
  readonly remediationRegion: CfnParameter;
  readonly organizationId?: CfnParameter;

  constructor(scope: Construct, id: string, props: MemberRoleStackProps) {
    super(scope, id, props);
    const config = props.config;
    this.templateOptions.description =
      'default-sg-remediation member roles: let the remediation account fix Security Hub EC2.2 in this account, one role per step.';

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
        description: 'Your AWS Organizations id: only principals of this organization may assume the roles.',
      });
      organizationId = this.organizationId.valueAsString;
    }

    const account = this.remediationAccountId.valueAsString;
    const region = this.remediationRegion.valueAsString;
    const secondConditions: Record<string, Record<string, unknown>> = {};
    if (organizationId) secondConditions.StringEquals = { 'aws:PrincipalOrgID': organizationId };
    if (config.externalId) {
      secondConditions.StringEquals = { ...(secondConditions.StringEquals ?? {}), 'sts:ExternalId': config.externalId };
    }

    // The audit's role exists only where the audit is deployed: a member account trusts no more than it must.
    const specs: [StepName | AuditStepName, StepSpec][] = [
      ...EC2_STEPS.map((step): [StepName, StepSpec] => [step, STEP_SPECS[step]]),
      ...(config.audit ? AUDIT_EC2_STEPS.map((step): [AuditStepName, StepSpec] => [step, AUDIT_STEP_SPECS[step]]) : []),
    ];
    for (const [step, spec] of specs) {
      const trusted = `arn:${Aws.PARTITION}:iam::${account}:role/${stepRoleName(step, region)}`;
      const role = new iam.Role(this, `${step}MemberRole`, {
        roleName: memberRoleNameOf(config.memberRoleName, step),
        description: `Assumed by the default-sg-remediation ${step} step only: its calls to fix Security Hub EC2.2 in this account.`,
        assumedBy: new iam.AccountPrincipal(account).withConditions({
          ArnEquals: { 'aws:PrincipalArn': trusted },
          ...secondConditions,
        }),
      });
      // The same flow log buckets as the step's own role: a central logging bucket is named in both stacks' config.
      const grant = accountGrant(spec.access, undefined, undefined, { flowLogBuckets: config.flowLogBuckets });
      for (const statement of grant.statements) role.addToPrincipalPolicy(statement);
      for (const { finding, reason } of grant.wildcards) {
        Validations.of(role).acknowledge({ id: `AwsSolutions-IAM5[${finding}]`, reason });
      }
      this.roles[step] = role;
      new CfnOutput(this, `${step}MemberRoleArn`, { value: role.roleArn });
    }
  }
}
