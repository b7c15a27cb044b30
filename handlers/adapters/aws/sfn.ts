/**
 * Step Functions adapters: task callbacks for the approval wait (SendTaskSuccess / SendTaskFailure) and the starter of
 * the rollback state machine (StartExecution with a name derived from the remediation id, so it starts at most once).
 */
import { createHash } from 'node:crypto';
import {
  SendTaskFailureCommand,
  SendTaskSuccessCommand,
  type SFNClient,
  StartExecutionCommand,
} from '@aws-sdk/client-sfn';
import { EXECUTION_ENDED, type RemediationStarter, type RollbackStarter, type TaskCallbacks } from '../../ports.ts';
import { explainingSend } from './sdk-errors.ts';

/** The execution no longer waits for this token: it ended, timed out, or the token was never valid. */
export class ExecutionEndedError extends Error {
  constructor(readonly code: string) {
    super(`the execution is no longer waiting for this task (${code})`);
    this.name = EXECUTION_ENDED;
  }
}

/** Step Functions' answers meaning "nobody is waiting for this token any more". */
const ENDED_CODES = new Set(['TaskTimedOut', 'InvalidToken', 'TaskDoesNotExist']);

function errorName(error: unknown): string | undefined {
  return typeof error === 'object' && error !== null ? (error as { name?: unknown }).name?.toString() : undefined;
}

/** SendTaskFailure limits: error ≤ 256 characters, cause ≤ 32768. */
const MAX_ERROR = 256;
const MAX_CAUSE = 32768;

export class SfnTaskCallbacks implements TaskCallbacks {
  private readonly send: SFNClient['send'];

  constructor(client: SFNClient) {
    this.send = explainingSend(client, 'JSON');
  }

  async succeed(taskToken: string, output: unknown): Promise<void> {
    await this.unlessEnded(() =>
      this.send(new SendTaskSuccessCommand({ taskToken, output: JSON.stringify(output ?? null) })),
    );
  }

  async fail(taskToken: string, error: string, cause: string): Promise<void> {
    await this.unlessEnded(() =>
      this.send(
        new SendTaskFailureCommand({
          taskToken,
          error: error.slice(0, MAX_ERROR),
          cause: cause.slice(0, MAX_CAUSE),
        }),
      ),
    );
  }

  private async unlessEnded(call: () => Promise<unknown>): Promise<void> {
    try {
      await call();
    } catch (error) {
      const name = errorName(error);
      if (name && ENDED_CODES.has(name)) throw new ExecutionEndedError(name);
      throw error;
    }
  }
}

/** Step Functions execution names: 1–80 characters. */
const MAX_EXECUTION_NAME = 80;
const NAME_PREFIX = 'rollback-';

/**
 * The rollback execution's name for a remediation: `rollback-<remediationId>`, or, when that is longer than 80
 * characters, `rollback-` and a SHA-256 prefix of the id. The same remediation always gets the same name.
 */
export function rollbackExecutionName(remediationId: string): string {
  const plain = `${NAME_PREFIX}${remediationId}`;
  if (plain.length <= MAX_EXECUTION_NAME && /^[A-Za-z0-9_-]+$/.test(remediationId)) return plain;
  return `${NAME_PREFIX}${createHash('sha256').update(remediationId).digest('hex').slice(0, 64)}`;
}

/** `arn:…:stateMachine:<machine>` + name → `arn:…:execution:<machine>:<name>`. */
export function executionArnOf(stateMachineArn: string, name: string): string {
  const parts = stateMachineArn.split(':');
  if (parts.length < 7 || parts[0] !== 'arn' || parts[5] !== 'stateMachine') {
    throw new Error('not a state machine ARN');
  }
  return [...parts.slice(0, 5), 'execution', parts[6], name].join(':');
}

/**
 * Starts the rollback state machine with `{ remediationId }`. The execution name comes from the remediation id, so a
 * second start (a double click, a retried request) cannot start a second rollback: Step Functions answers the running
 * execution for the same name and input, or `ExecutionAlreadyExists` once it has closed — both mean "already started",
 * and the existing execution is answered.
 */
export class SfnRollbackStarter implements RollbackStarter {
  private readonly send: SFNClient['send'];

  constructor(
    client: SFNClient,
    readonly stateMachineArn: string,
  ) {
    executionArnOf(stateMachineArn, 'x');
    this.send = explainingSend(client, 'JSON');
  }

  async start(remediationId: string): Promise<{ executionArn: string }> {
    const name = rollbackExecutionName(remediationId);
    try {
      const output = await this.send(
        new StartExecutionCommand({
          stateMachineArn: this.stateMachineArn,
          name,
          input: JSON.stringify({ remediationId }),
        }),
      );
      return { executionArn: output.executionArn ?? executionArnOf(this.stateMachineArn, name) };
    } catch (error) {
      if (errorName(error) === 'ExecutionAlreadyExists') {
        return { executionArn: executionArnOf(this.stateMachineArn, name) };
      }
      throw error;
    }
  }
}

/**
 * Starts the remediation state machine for one group of a batch (handlers/steps/dispatch.ts). The name is derived from
 * the batch and the group, so a batch delivered twice starts nothing new: Step Functions answers the running execution
 * for the same name and input, or `ExecutionAlreadyExists` once it has closed — both mean "already started".
 */
export class SfnRemediationStarter implements RemediationStarter {
  private readonly send: SFNClient['send'];

  constructor(
    client: SFNClient,
    readonly stateMachineArn: string,
  ) {
    executionArnOf(stateMachineArn, 'x');
    this.send = explainingSend(client, 'JSON');
  }

  async start(name: string, input: unknown): Promise<{ executionArn: string; alreadyStarted: boolean }> {
    try {
      const output = await this.send(
        new StartExecutionCommand({ stateMachineArn: this.stateMachineArn, name, input: JSON.stringify(input) }),
      );
      return { executionArn: output.executionArn ?? executionArnOf(this.stateMachineArn, name), alreadyStarted: false };
    } catch (error) {
      if (errorName(error) === 'ExecutionAlreadyExists') {
        return { executionArn: executionArnOf(this.stateMachineArn, name), alreadyStarted: true };
      }
      throw error;
    }
  }
}
