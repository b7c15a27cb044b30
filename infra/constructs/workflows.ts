/**
 * The three state machines (remediate, rollback, tighten), from the very files the local runner executes (`state-machine/*.asl.json`, via
 * `DefinitionBody.fromFile`), with `definitionSubstitutions` binding every `${<Step>FunctionArn}` to that step's
 * function and `${RollbackStateMachineArn}` to the rollback machine. A placeholder that names no step stops the
 * synth. Standard workflows (the approval wait lasts days), logging ALL to an encrypted log group, X-Ray tracing.
 *
 * Each machine's role may invoke exactly the functions its definition names; the remediation and tighten machines may
 * also run the rollback machine as a `.sync` child (StartExecution, and DescribeExecution / StopExecution on its executions,
 * and the EventBridge rule Step Functions uses to learn that a child finished:
 * https://docs.aws.amazon.com/step-functions/latest/dg/stepfunctions-iam.html).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Aws, Stack, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import type { StepName } from '../../handlers/steps/index.ts';
import { STEP_NAMES } from '../steps.ts';
import { PROJECT_ROOT } from './handler-function.ts';

export const MACHINE_FILES = {
  remediate: join(PROJECT_ROOT, 'state-machine', 'remediate.asl.json'),
  rollback: join(PROJECT_ROOT, 'state-machine', 'rollback.asl.json'),
  tighten: join(PROJECT_ROOT, 'state-machine', 'tighten.asl.json'),
  audit: join(PROJECT_ROOT, 'state-machine', 'audit.asl.json'),
} as const;

/** The `${…}` placeholders of a definition, in order of first use. */
export function placeholdersOf(text: string): string[] {
  return [...new Set([...text.matchAll(/\$\{(\w+)\}/g)].map((match) => match[1] ?? ''))];
}

/**
 * The steps whose functions a definition invokes (`${<Step>FunctionArn}`), among `known` (the remediation's and
 * rollback's steps by default); throws on an unknown placeholder.
 */
export function stepsOf<Name extends string = StepName>(
  file: string,
  text: string,
  others: readonly string[] = [],
  known: readonly Name[] = STEP_NAMES as readonly string[] as readonly Name[],
): Name[] {
  const found: Name[] = [];
  for (const key of placeholdersOf(text)) {
    const step = /^(\w+)FunctionArn$/.exec(key)?.[1];
    if (step && (known as readonly string[]).includes(step)) found.push(step as Name);
    else if (!others.includes(key)) {
      throw new Error(
        `${file} uses \${${key}}, which is neither a step of handlers/steps/index.ts (\${<Step>FunctionArn}) nor one of ${others.join(', ') || 'the known placeholders'}.`,
      );
    }
  }
  return found;
}

export interface WorkflowsProps {
  /** The function ARN of every step. */
  functionArns: Record<StepName, string>;
  logKey: kms.IKey;
  logRetention: logs.RetentionDays;
}

export class Workflows extends Construct {
  readonly remediation: sfn.StateMachine;
  readonly rollback: sfn.StateMachine;
  /** Tightens a remediation's copy from its flow logs (issue 14); started with `{ "target": { … the copy } }`. */
  readonly tighten: sfn.StateMachine;

  constructor(scope: Construct, id: string, props: WorkflowsProps) {
    super(scope, id);
    this.rollback = this.machine('Rollback', MACHINE_FILES.rollback, props, {}, 'Rolls an EC2.2 remediation back.');
    this.remediation = this.machine(
      'Remediation',
      MACHINE_FILES.remediate,
      props,
      { RollbackStateMachineArn: this.rollback.stateMachineArn },
      'Remediates Security Hub EC2.2 on a VPC default security group.',
    );

    this.tighten = this.machine(
      'Tighten',
      MACHINE_FILES.tighten,
      props,
      { RollbackStateMachineArn: this.rollback.stateMachineArn },
      "Tightens a remediation's copy to least privilege from its VPC Flow Logs, with approval and rollback.",
    );
    for (const parent of [this.remediation, this.tighten]) this.allowRollbackChild(parent);
  }

  /** The parent may run the rollback machine as a `.sync` child, and nothing else. */
  private allowRollbackChild(parent: sfn.StateMachine): void {
    const rollbackExecutions = `arn:${Aws.PARTITION}:states:${Aws.REGION}:${Aws.ACCOUNT_ID}:execution:${this.rollback.stateMachineName}:*`;
    parent.addToRolePolicy(
      new iam.PolicyStatement({
        sid: 'StartTheRollbackMachine',
        actions: ['states:StartExecution'],
        resources: [this.rollback.stateMachineArn],
      }),
    );
    parent.addToRolePolicy(
      new iam.PolicyStatement({
        sid: 'FollowRollbackExecutions',
        actions: ['states:DescribeExecution', 'states:StopExecution'],
        resources: [rollbackExecutions],
      }),
    );
    parent.addToRolePolicy(
      new iam.PolicyStatement({
        sid: 'SyncIntegrationEventRule',
        actions: ['events:PutTargets', 'events:PutRule', 'events:DescribeRule'],
        resources: [
          `arn:${Aws.PARTITION}:events:${Aws.REGION}:${Aws.ACCOUNT_ID}:rule/StepFunctionsGetEventsForStepFunctionsExecutionRule`,
        ],
      }),
    );
    const rollbackName = this.node.tryFindChild('Rollback')?.node.defaultChild as sfn.CfnStateMachine;
    Validations.of(parent).acknowledge({
      id: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:states:<AWS::Region>:<AWS::AccountId>:execution:<${this.logicalIdOf(rollbackName)}.Name>:*]`,
      reason:
        'A .sync child execution is named at run time; the grant covers executions of the rollback machine only (DescribeExecution, StopExecution), as the Step Functions .sync integration requires.',
    });
  }

  private logicalIdOf(resource: sfn.CfnStateMachine): string {
    return Stack.of(this).getLogicalId(resource);
  }

  private machine(
    id: string,
    file: string,
    props: WorkflowsProps,
    others: Record<string, string>,
    description: string,
  ): sfn.StateMachine {
    return machineFromFile(this, id, { ...props, file, others, description });
  }
}

export interface MachineFromFileProps {
  file: string;
  /** The function ARN of every step the definition may name (`${<Step>FunctionArn}`). */
  functionArns: Partial<Record<string, string>>;
  /** Other placeholders and their values (e.g. `RollbackStateMachineArn`). */
  others?: Record<string, string>;
  description: string;
  logKey: kms.IKey;
  logRetention: logs.RetentionDays;
}

/**
 * A Standard state machine from its definition file, every placeholder bound (a step without a function stops the
 * synth), logging ALL without execution data to an encrypted log group, X-Ray tracing, and a role that may invoke
 * exactly the functions the definition names.
 */
export function machineFromFile(scope: Construct, id: string, props: MachineFromFileProps): sfn.StateMachine {
  const others = props.others ?? {};
  const text = readFileSync(props.file, 'utf8');
  const used = stepsOf(props.file, text, Object.keys(others), Object.keys(props.functionArns));
  const functionArn = (step: string): string => {
    const arn = props.functionArns[step];
    if (!arn) throw new Error(`${props.file} invokes ${step}, which has no function here.`);
    return arn;
  };
  const logGroup = new logs.LogGroup(scope, `${id}Logs`, {
    retention: props.logRetention,
    encryptionKey: props.logKey,
  });
  const machine = new sfn.StateMachine(scope, id, {
    definitionBody: sfn.DefinitionBody.fromFile(props.file),
    definitionSubstitutions: {
      ...Object.fromEntries(used.map((step) => [`${step}FunctionArn`, functionArn(step)])),
      ...others,
    },
    stateMachineType: sfn.StateMachineType.STANDARD,
    comment: props.description,
    tracingEnabled: true,
    // Execution data stays out of the logs: it holds task tokens (a token approves) and the plan.
    logs: { destination: logGroup, level: sfn.LogLevel.ALL, includeExecutionData: false },
  });
  machine.addToRolePolicy(
    new iam.PolicyStatement({
      sid: 'InvokeItsStepFunctionsOnly',
      actions: ['lambda:InvokeFunction'],
      resources: [...new Set(used)].map(functionArn),
    }),
  );
  Validations.of(machine).acknowledge({
    id: 'AwsSolutions-IAM5[Resource::*]',
    reason:
      'Added by CDK for logging and tracing: the CloudWatch Logs log-delivery actions (logs:CreateLogDelivery, GetLogDelivery, UpdateLogDelivery, DeleteLogDelivery, ListLogDeliveries, PutResourcePolicy, DescribeResourcePolicies, DescribeLogGroups) and X-Ray PutTraceSegments/PutTelemetryRecords/GetSamplingRules/GetSamplingTargets do not support resource-level permissions.',
  });
  return machine;
}
