/**
 * Resources that name the default group with no interface of their own right now — here a Lambda function that has
 * not been invoked for a while (Lambda deletes its Hyperplane interfaces when no function uses them and makes one on
 * the next invocation: https://docs.aws.amazon.com/lambda/latest/dg/functions-states.html). Stripping the group
 * without moving them would break the next cold start, hours later, where no interface check can see it.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { Ec2State } from '../../handlers/core/ec2-shapes.ts';
import { disposeAll, newGroups, normalizeState, remediateState, scenarioState, stepsOf } from '../support/harness.ts';

afterEach(disposeAll);

interface FunctionRecord {
  FunctionName: string;
  VpcConfig: { VpcId: string; SubnetIds: string[]; SecurityGroupIds: string[] };
  State?: string;
  LastUpdateStatus?: string;
}
type WithFunctions = Ec2State & { Functions: FunctionRecord[] };

/** The empty-default scenario (no interface on the default group) plus functions configured on `groups`. */
function idleFunctions(groups: (defaultGroup: string) => string[][]): { state: WithFunctions; defaultGroup: string } {
  const state = scenarioState('empty-default') as WithFunctions;
  const defaultGroup = state.SecurityGroups?.find((group) => group.GroupName === 'default');
  const vpcId = defaultGroup?.VpcId ?? '';
  state.Functions = groups(defaultGroup?.GroupId ?? '').map((ids, index) => ({
    FunctionName: `nightly-report-${index}`,
    State: 'Inactive',
    LastUpdateStatus: 'Successful',
    VpcConfig: { VpcId: vpcId, SubnetIds: ['subnet-0a1b2c3d4e5f60718'], SecurityGroupIds: ids },
  }));
  return { state, defaultGroup: defaultGroup?.GroupId ?? '' };
}

function functionGroups(state: Ec2State): string[][] {
  return (state as WithFunctions).Functions.map((fn) => fn.VpcConfig.SecurityGroupIds);
}

describe('a default group with no interface but an idle Lambda function configured on it', () => {
  it('moves the function to the copy before the strip, and rollback puts it back exactly', async () => {
    const { state, defaultGroup } = idleFunctions((group) => [[group], ['sg-0c5aafc3d843c98bd', group]]);
    const run = await remediateState(state);
    expect(run.result.status, JSON.stringify(run.result)).toBe('SUCCEEDED');
    expect(run.result.output?.outcome).toBe('remediated');
    const copy = newGroups(run.before, run.after)[0]?.GroupId ?? '';
    expect(copy).toMatch(/^sg-/);
    // The next cold start lands on the copy, which carries the default group's rules; the default group is empty.
    expect(functionGroups(run.after)).toEqual([[copy], ['sg-0c5aafc3d843c98bd', copy]]);
    const stripped = run.after.SecurityGroups?.find((group) => group.GroupId === defaultGroup);
    expect(stripped?.IpPermissions ?? []).toEqual([]);
    expect(stripped?.IpPermissionsEgress ?? []).toEqual([]);
    const copyGroup = run.after.SecurityGroups?.find((group) => group.GroupId === copy);
    expect(copyGroup?.IpPermissionsEgress?.length).toBeGreaterThan(0);
    // The approver was told about it.
    expect(run.notifications.map((n) => n.message).join('\n')).toContain('nightly-report-0');

    const rollback = await run.rollback();
    expect(rollback.result.output?.outcome).toBe('rolled-back');
    expect(functionGroups(rollback.after)).toEqual(functionGroups(run.before));
    expect(normalizeState(rollback.after)).toEqual(normalizeState(run.before));
  });

  it('stops before the strip when an idle function joins the group during the approval wait', async () => {
    const { state, defaultGroup } = idleFunctions((group) => [[group]]);
    const vpcId = state.Functions[0]?.VpcConfig.VpcId ?? '';
    const run = await remediateState(state, {
      onApproval(simulator) {
        // Someone deploys another function onto the default group while the approver reads the email.
        (simulator.serviceRecords() as { Functions: FunctionRecord[] }).Functions.push({
          FunctionName: 'late-joiner',
          VpcConfig: { VpcId: vpcId, SubnetIds: [], SecurityGroupIds: [defaultGroup] },
        });
      },
    });
    expect(run.result.status).toBe('FAILED');
    expect(run.result.error).toBe('DriftDetected');
    expect(run.result.cause).toMatch(/Lambda function late-joiner started using the default group/);
    expect(stepsOf(run.session.trace)).not.toContain('Strip the default group');
    // Rolled back: both functions on the default group with its rules, no copy left.
    expect(newGroups(run.before, run.after)).toEqual([]);
    expect(functionGroups(run.after)).toEqual([[defaultGroup], [defaultGroup]]);
    const group = run.after.SecurityGroups?.find((g) => g.GroupId === defaultGroup);
    expect(group?.IpPermissions).toEqual(
      run.before.SecurityGroups?.find((g) => g.GroupId === defaultGroup)?.IpPermissions,
    );
  });
});
