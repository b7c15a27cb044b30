/** Reasons for people out of Step Functions causes: never the raw JSON (issue 10 point 8). */
import { describe, expect, it } from 'vitest';
import { describeFailure } from '../../../handlers/core/failures.ts';
import { reasonsFromError } from '../../../handlers/steps/report.ts';

const lambdaCause = (errorType: string, errorMessage: string, reasons?: string[]) =>
  JSON.stringify({ errorType, errorMessage, ...(reasons ? { reasons } : {}) });

/** A failed child as `startExecution.sync:2` reports it to its parent: its DescribeExecution output. */
const childCause = (error: string, cause: string, status = 'FAILED') =>
  JSON.stringify({
    ExecutionArn: 'arn:aws:states:us-east-1:111122223333:execution:Rollback:rb-1',
    StateMachineArn: 'arn:aws:states:us-east-1:111122223333:stateMachine:Rollback',
    Name: 'rb-1',
    Status: status,
    StartDate: 1764000000000,
    StopDate: 1764000060000,
    Input: { remediationId: 'rem-1' },
    InputDetails: { Included: true },
    Error: error,
    Cause: cause,
  });

describe('describeFailure', () => {
  it("a step's error: its reasons, else its message, named by its type", () => {
    expect(describeFailure('DriftDetected', lambdaCause('DriftDetected', 'a. b.', ['a.', 'b.']))).toEqual({
      error: 'DriftDetected',
      reasons: ['a.', 'b.'],
    });
    expect(
      describeFailure('UnauthorizedOperation', lambdaCause('UnauthorizedOperation', 'You are not authorized.')),
    ).toEqual({
      error: 'UnauthorizedOperation',
      reasons: ['You are not authorized.'],
    });
  });

  it("a failed child: the rollback execution named, then the child's own reasons", () => {
    const cause = childCause('UnauthorizedOperation', lambdaCause('UnauthorizedOperation', 'You are not authorized.'));
    expect(describeFailure('States.TaskFailed', cause)).toEqual({
      error: 'UnauthorizedOperation',
      reasons: ['The rollback execution rb-1 failed with UnauthorizedOperation.', 'You are not authorized.'],
    });
    expect(describeFailure('States.TaskFailed', childCause('States.Timeout', 'late', 'TIMED_OUT')).reasons[0]).toBe(
      'The rollback execution rb-1 timed out with States.Timeout.',
    );
  });

  it('plain text and broken JSON are shown as they are; no cause gives the error name', () => {
    expect(describeFailure('GroupBusy', 'sg-1 is locked.')).toEqual({
      error: 'GroupBusy',
      reasons: ['sg-1 is locked.'],
    });
    expect(describeFailure('X', '{not json').reasons).toEqual(['{not json']);
    expect(describeFailure('States.Timeout', undefined)).toEqual({
      error: 'States.Timeout',
      reasons: ['States.Timeout'],
    });
    expect(describeFailure(undefined, undefined)).toEqual({ reasons: [] });
  });

  it('the notice names the error once', () => {
    const cause = childCause('UnauthorizedOperation', lambdaCause('UnauthorizedOperation', 'You are not authorized.'));
    expect(reasonsFromError({ Error: 'States.TaskFailed', Cause: cause })).toEqual([
      'The rollback execution rb-1 failed with UnauthorizedOperation.',
      'You are not authorized.',
    ]);
    expect(reasonsFromError({ Error: 'DriftDetected', Cause: lambdaCause('DriftDetected', 'eni-1 joined') })).toEqual([
      'DriftDetected: eni-1 joined',
    ]);
  });
});
