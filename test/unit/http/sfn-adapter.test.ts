import {
  ExecutionAlreadyExists,
  InvalidToken,
  SendTaskFailureCommand,
  SendTaskSuccessCommand,
  SFNClient,
  SFNServiceException,
  StartExecutionCommand,
  TaskDoesNotExist,
  TaskTimedOut,
} from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import {
  ExecutionEndedError,
  executionArnOf,
  rollbackExecutionName,
  SfnRollbackStarter,
  SfnTaskCallbacks,
} from '../../../handlers/adapters/aws/sfn.ts';
import { EXECUTION_ENDED } from '../../../handlers/ports.ts';

const sfn = mockClient(SFNClient);
const client = new SFNClient({ region: 'eu-west-1' });
const MACHINE = 'arn:aws:states:eu-west-1:111122223333:stateMachine:default-sg-rollback';
const TOKEN = 'AQCEAAAAKgAAAAMAAAAAAAAAAtask-token';

beforeEach(() => {
  sfn.reset();
});

describe('SfnTaskCallbacks', () => {
  it('sends success with the output as JSON', async () => {
    sfn.on(SendTaskSuccessCommand).resolves({});
    await new SfnTaskCallbacks(client).succeed(TOKEN, { decision: 'approved', decidedAt: '2024-05-01T12:00:00.000Z' });
    const calls = sfn.commandCalls(SendTaskSuccessCommand);
    expect(calls).toHaveLength(1);
    expect(calls[0]?.args[0].input).toEqual({
      taskToken: TOKEN,
      output: '{"decision":"approved","decidedAt":"2024-05-01T12:00:00.000Z"}',
    });
  });

  it('sends failure with error and cause, cut to the API limits', async () => {
    sfn.on(SendTaskFailureCommand).resolves({});
    const callbacks = new SfnTaskCallbacks(client);
    await callbacks.fail(TOKEN, 'Rejected', 'The approver rejected the remediation.');
    await callbacks.fail(TOKEN, 'E'.repeat(300), 'c'.repeat(40000));
    const calls = sfn.commandCalls(SendTaskFailureCommand);
    expect(calls[0]?.args[0].input).toEqual({
      taskToken: TOKEN,
      error: 'Rejected',
      cause: 'The approver rejected the remediation.',
    });
    expect(calls[1]?.args[0].input.error).toHaveLength(256);
    expect(calls[1]?.args[0].input.cause).toHaveLength(32768);
  });

  for (const [name, make] of [
    ['TaskTimedOut', () => new TaskTimedOut({ message: 'timed out', $metadata: {} })],
    ['InvalidToken', () => new InvalidToken({ message: 'invalid', $metadata: {} })],
    ['TaskDoesNotExist', () => new TaskDoesNotExist({ message: 'gone', $metadata: {} })],
  ] as const) {
    it(`maps ${name} to ExecutionEnded, for success and failure alike`, async () => {
      sfn.on(SendTaskSuccessCommand).rejects(make());
      sfn.on(SendTaskFailureCommand).rejects(make());
      const callbacks = new SfnTaskCallbacks(client);
      for (const call of [() => callbacks.succeed(TOKEN, {}), () => callbacks.fail(TOKEN, 'Rejected', 'no')]) {
        const error = await call().then(
          () => undefined,
          (caught: unknown) => caught,
        );
        expect(error).toBeInstanceOf(ExecutionEndedError);
        expect((error as Error).name).toBe(EXECUTION_ENDED);
        expect((error as ExecutionEndedError).code).toBe(name);
        expect((error as Error).message).not.toContain(TOKEN);
      }
    });
  }

  it('passes other errors through unchanged', async () => {
    const throttled = new SFNServiceException({
      name: 'ThrottlingException',
      $fault: 'client',
      message: 'Rate exceeded',
      $metadata: {},
    });
    sfn.on(SendTaskSuccessCommand).rejects(throttled);
    await expect(new SfnTaskCallbacks(client).succeed(TOKEN, {})).rejects.toMatchObject({
      name: 'ThrottlingException',
    });
  });
});

describe('rollbackExecutionName / executionArnOf', () => {
  it('derives the name from the remediation id, always the same', () => {
    expect(rollbackExecutionName('rem-1')).toBe('rollback-rem-1');
    expect(rollbackExecutionName('rem-1')).toBe(rollbackExecutionName('rem-1'));
  });

  it('hashes an id too long for an 80-character name, still deterministic and distinct', () => {
    const long = 'a'.repeat(80);
    const name = rollbackExecutionName(long);
    expect(name.length).toBeLessThanOrEqual(80);
    expect(name).toMatch(/^rollback-[0-9a-f]{64}$/);
    expect(rollbackExecutionName(long)).toBe(name);
    expect(rollbackExecutionName(`${'a'.repeat(79)}b`)).not.toBe(name);
  });

  it('builds the execution ARN of a state machine', () => {
    expect(executionArnOf(MACHINE, 'rollback-rem-1')).toBe(
      'arn:aws:states:eu-west-1:111122223333:execution:default-sg-rollback:rollback-rem-1',
    );
    expect(() => executionArnOf('arn:aws:sns:eu-west-1:111122223333:topic', 'x')).toThrow();
  });
});

describe('SfnRollbackStarter', () => {
  const executionArn = 'arn:aws:states:eu-west-1:111122223333:execution:default-sg-rollback:rollback-rem-1';

  it('starts the rollback state machine with {remediationId}, named after the remediation', async () => {
    sfn.on(StartExecutionCommand).resolves({ executionArn, startDate: new Date() });
    await expect(new SfnRollbackStarter(client, MACHINE).start('rem-1')).resolves.toEqual({ executionArn });
    const calls = sfn.commandCalls(StartExecutionCommand);
    expect(calls).toHaveLength(1);
    expect(calls[0]?.args[0].input).toEqual({
      stateMachineArn: MACHINE,
      name: 'rollback-rem-1',
      input: '{"remediationId":"rem-1"}',
    });
  });

  it('answers the existing execution when one with that name already exists (a double click)', async () => {
    sfn
      .on(StartExecutionCommand)
      .resolvesOnce({ executionArn, startDate: new Date() })
      .rejects(new ExecutionAlreadyExists({ message: 'Execution Already Exists', $metadata: {} }));
    const starter = new SfnRollbackStarter(client, MACHINE);
    const first = await starter.start('rem-1');
    const second = await starter.start('rem-1');
    expect(second).toEqual(first);
    expect(sfn.commandCalls(StartExecutionCommand).map((call) => call.args[0].input.name)).toEqual([
      'rollback-rem-1',
      'rollback-rem-1',
    ]);
  });

  it('passes other errors through', async () => {
    sfn
      .on(StartExecutionCommand)
      .rejects(
        new SFNServiceException({ name: 'AccessDeniedException', $fault: 'client', message: 'no', $metadata: {} }),
      );
    await expect(new SfnRollbackStarter(client, MACHINE).start('rem-1')).rejects.toMatchObject({
      name: 'AccessDeniedException',
    });
  });

  it('refuses an ARN that is not a state machine', () => {
    expect(() => new SfnRollbackStarter(client, 'arn:aws:lambda:eu-west-1:111122223333:function:x')).toThrow();
  });
});
