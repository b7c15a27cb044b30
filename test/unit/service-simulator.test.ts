import { describe, expect, it } from 'vitest';
import { Ec2Simulator } from '../../handlers/adapters/local/ec2-simulator.ts';
import { ServiceSimulator } from '../../handlers/adapters/local/service-simulator.ts';
import { errorCode } from '../../handlers/core/errors.ts';
import type { ResourceRef } from '../../handlers/core/resources.ts';
import { scenarioState } from '../support/harness.ts';

const DEFAULT = 'sg-0d5e000000000d001';
const WEB_LB = 'sg-0d5e000000000a001';
const VPC = 'vpc-0a5e00000000000f1';
const LB = 'arn:aws:elasticloadbalancing:us-east-1:111122223333:loadbalancer/app/web/50dc6c495c0c9188';

function setUp() {
  const ec2 = Ec2Simulator.fromState(scenarioState('managed-services'));
  return { ec2, services: new ServiceSimulator(ec2) };
}

async function codeOf(promise: Promise<unknown>): Promise<string | undefined> {
  try {
    await promise;
  } catch (error) {
    return errorCode(error);
  }
  return undefined;
}

async function groupsOf(ec2: Ec2Simulator, id: string): Promise<string[]> {
  const answer = await ec2.describeNetworkInterfaces({ NetworkInterfaceIds: [id] });
  return (answer.NetworkInterfaces?.[0]?.Groups ?? []).map((group) => group.GroupId ?? '');
}

describe('ServiceSimulator: a resource owns its interfaces', () => {
  it('finds the VPC’s Lambda functions and RDS instances on a group', async () => {
    const { services } = setUp();
    expect(await services.findUsing('lambda', VPC, DEFAULT)).toEqual([
      { kind: 'lambda-function', id: 'orders-api', vpcId: VPC, groups: [DEFAULT] },
    ]);
    expect(await services.findUsing('rds', VPC, DEFAULT)).toEqual([
      { kind: 'rds-instance', id: 'orders-db', vpcId: VPC, groups: [DEFAULT] },
    ]);
    expect(await services.findUsing('rds', VPC, WEB_LB)).toEqual([]);
    expect(await services.resolveMember('elasticache', 'sessions-0001-002')).toMatchObject({
      kind: 'elasticache-replication-group',
      id: 'sessions',
      members: ['sessions-0001-001', 'sessions-0001-002'],
    });
  });

  it.each<[ResourceRef, string[]]>([
    [{ kind: 'lambda-function', id: 'orders-api' }, ['eni-0e5e000000000e004', 'eni-0e5e000000000e005']],
    [{ kind: 'rds-instance', id: 'orders-db' }, ['eni-0e5e000000000e006']],
    [{ kind: 'load-balancer', id: LB }, ['eni-0e5e000000000e007', 'eni-0e5e000000000e008']],
    [{ kind: 'efs-mount-target', id: 'fsmt-0f5e0000000000001' }, ['eni-0e5e000000000e009']],
    [{ kind: 'vpc-endpoint', id: 'vpce-0f5e0000000000001' }, ['eni-0e5e000000000e00a']],
    [{ kind: 'elasticache-replication-group', id: 'sessions' }, ['eni-0e5e000000000e00b', 'eni-0e5e000000000e00c']],
  ])('changing %o changes exactly its interfaces, and the record', async (ref, enis) => {
    const { ec2, services } = setUp();
    const before = ec2.toState();
    await services.setGroups(ref, [WEB_LB]);
    expect((await services.describe(ref))?.groups).toEqual([WEB_LB]);
    for (const eni of before.NetworkInterfaces ?? []) {
      const id = eni.NetworkInterfaceId ?? '';
      const expected = enis.includes(id) ? [WEB_LB] : (eni.Groups ?? []).map((group) => group.GroupId);
      expect(await groupsOf(ec2, id), id).toEqual(expected);
    }
    // The record is written back to the state (toState), in the service's describe shape.
    expect(JSON.stringify(ec2.toState())).not.toEqual(JSON.stringify(before));
  });

  it('answers each service’s documented errors', async () => {
    const { services } = setUp();
    const unknownGroup = 'sg-0ffffffffffffffff';
    expect(await codeOf(services.setGroups({ kind: 'lambda-function', id: 'nope' }, [WEB_LB]))).toBe(
      'ResourceNotFoundException',
    );
    expect(await codeOf(services.setGroups({ kind: 'lambda-function', id: 'orders-api' }, [unknownGroup]))).toBe(
      'InvalidParameterValueException',
    );
    expect(await codeOf(services.setGroups({ kind: 'rds-instance', id: 'nope' }, [WEB_LB]))).toBe('DBInstanceNotFound');
    expect(await codeOf(services.setGroups({ kind: 'load-balancer', id: `${LB}0` }, [WEB_LB]))).toBe(
      'LoadBalancerNotFound',
    );
    expect(await codeOf(services.setGroups({ kind: 'load-balancer', id: LB }, [unknownGroup]))).toBe(
      'InvalidSecurityGroup',
    );
    expect(
      await codeOf(
        services.setGroups({ kind: 'efs-mount-target', id: 'fsmt-0f5e0000000000001' }, [
          WEB_LB,
          DEFAULT,
          'sg-0d5e000000000b001',
          'sg-0d5e000000000c001',
          'sg-0d5e000000000d001',
          unknownGroup,
          'sg-0eeeeeeeeeeeeeeee',
        ]),
      ),
    ).toBe('SecurityGroupLimitExceeded');
    expect(await codeOf(services.setGroups({ kind: 'vpc-endpoint', id: 'vpce-0ffffffffffffffff' }, [WEB_LB]))).toBe(
      'InvalidVpcEndpointId.NotFound',
    );
    expect(await codeOf(services.setGroups({ kind: 'elasticache-replication-group', id: 'nope' }, [WEB_LB]))).toBe(
      'ReplicationGroupNotFoundFault',
    );
    // Nothing changed by the refused calls.
    expect((await services.describe({ kind: 'lambda-function', id: 'orders-api' }))?.groups).toEqual([DEFAULT]);
  });

  it('a resource busy with another update answers ResourceBusy, the service’s code in the message (as in AWS)', async () => {
    const state = scenarioState('managed-services') as unknown as Record<string, { LifeCycleState?: string }[]>;
    // ModifyMountTargetSecurityGroups on a mount target that is not `available` yet: IncorrectMountTargetState.
    for (const target of state.MountTargets ?? []) target.LifeCycleState = 'creating';
    const functions = state.Functions ?? [];
    for (const fn of functions) (fn as { LastUpdateStatus?: string }).LastUpdateStatus = 'InProgress';
    const services = new ServiceSimulator(Ec2Simulator.fromState(state));
    await expect(
      services.setGroups({ kind: 'efs-mount-target', id: 'fsmt-0f5e0000000000001' }, [WEB_LB]),
    ).rejects.toMatchObject({ name: 'ResourceBusy', message: /^IncorrectMountTargetState: / });
    await expect(services.setGroups({ kind: 'lambda-function', id: 'orders-api' }, [WEB_LB])).rejects.toMatchObject({
      name: 'ResourceBusy',
      message: 'ResourceConflictException: An update is in progress for resource: orders-api',
    });
  });

  it('refuses service records that are not in the services’ shapes', () => {
    const state = scenarioState('managed-services') as unknown as Record<string, unknown>;
    state.LoadBalancers = [{ LoadBalancerArn: 'not-an-arn' }];
    expect(() => new ServiceSimulator(Ec2Simulator.fromState(state))).toThrow(/LoadBalancers.0.LoadBalancerArn/);
  });
});
