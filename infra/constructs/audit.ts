/**
 * The organization audit (config `audit`, off by default): one function per audit step (infra/steps.ts
 * AUDIT_STEP_SPECS), the audit state machine from `state-machine/audit.asl.json` — the file the local runner executes
 * — and, with `auditSchedule`, an EventBridge schedule that starts it with the configured accounts and regions.
 * Started on demand with `aws stepfunctions start-execution --input '{"accounts":[…],"regions":[…]}'`.
 *
 * Only AuditAccounts reaches the member accounts, through `<memberRoleName>-AuditAccounts` (infra/member-role-stack.ts
 * creates it with the audit on), read-only; the report goes to the snapshot bucket under `audits/`.
 */
import { Aws, Duration } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as logs from 'aws-cdk-lib/aws-logs';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import type { AuditStepName } from '../../handlers/steps/audit.ts';
import type { Config } from '../config.ts';
import {
  type Access,
  AUDIT_EC2_STEPS,
  AUDIT_STEP_NAMES,
  AUDIT_STEP_SPECS,
  memberRoleNameOf,
  stepRoleName,
} from '../steps.ts';
import { HandlerFunction } from './handler-function.ts';
import { MACHINE_FILES, machineFromFile } from './workflows.ts';

export interface OrganizationAuditProps {
  config: Config;
  /** What every function of the stack gets (bucket, table, topic, settings). */
  environment: Record<string, string>;
  logKey: kms.IKey;
  logRetention: logs.RetentionDays;
  deadLetters: sqs.IQueue;
  /** The stack's grant of a step's access list (the same as for the remediation's steps). */
  grant: (fn: HandlerFunction, access: Access, usesEc2: boolean) => void;
}

export class OrganizationAudit extends Construct {
  readonly steps: Record<AuditStepName, HandlerFunction>;
  readonly machine: sfn.StateMachine;
  readonly schedule?: events.Rule;

  constructor(scope: Construct, id: string, props: OrganizationAuditProps) {
    super(scope, id);
    const config = props.config;
    const steps = {} as Record<AuditStepName, HandlerFunction>;
    for (const step of AUDIT_STEP_NAMES) {
      const spec = AUDIT_STEP_SPECS[step];
      const usesEc2 = AUDIT_EC2_STEPS.includes(step);
      const memberRole = memberRoleNameOf(config.memberRoleName, step);
      const fn = new HandlerFunction(this, `${step}Step`, {
        entry: `handlers/lambda/${spec.entry}.ts`,
        description: spec.description,
        timeout: Duration.seconds(spec.timeoutSeconds),
        memorySize: spec.memoryMb,
        environment: {
          ...props.environment,
          ...(usesEc2 ? { MEMBER_ROLE_NAME: memberRole } : {}),
          ...(usesEc2 && config.externalId ? { MEMBER_ROLE_EXTERNAL_ID: config.externalId } : {}),
        },
        logKey: props.logKey,
        logRetention: props.logRetention,
        ...(usesEc2 ? { roleName: stepRoleName(step, Aws.REGION) } : {}),
      });
      props.grant(fn, spec.access, usesEc2);
      if (step === 'CheckAuditScope' && config.auditOrganization) fn.allowListOrganizationAccounts();
      if (usesEc2) fn.allowAssumeMemberRole(memberRole, config.organizationId);
      steps[step] = fn;
    }
    this.steps = steps;

    this.machine = machineFromFile(this, 'Machine', {
      file: MACHINE_FILES.audit,
      functionArns: Object.fromEntries(AUDIT_STEP_NAMES.map((step) => [step, steps[step].functionArn])),
      description: 'Audits every VPC default group of the organization for Security Hub EC2.2, read-only.',
      logKey: props.logKey,
      logRetention: props.logRetention,
    });

    if (config.auditSchedule) {
      this.schedule = new events.Rule(this, 'Schedule', {
        description: 'Starts the organization audit of default security groups (EC2.2) on its schedule',
        schedule: events.Schedule.expression(config.auditSchedule),
        targets: [
          new targets.SfnStateMachine(this.machine, {
            input: events.RuleTargetInput.fromObject({
              accounts: config.auditOrganization
                ? 'organization'
                : config.auditAccounts.length > 0
                  ? config.auditAccounts
                  : [Aws.ACCOUNT_ID],
              regions: config.auditRegions,
            }),
            deadLetterQueue: props.deadLetters,
            retryAttempts: 8,
            maxEventAge: Duration.hours(2),
          }),
        ],
      });
    }
  }
}
