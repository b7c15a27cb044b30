/**
 * Requester-managed interfaces moved through their own services, end to end on the real state machine definitions:
 * `test/fixtures/states/managed-services.state.json` is a VPC whose default group holds two EC2 instances, a Lambda
 * function (two interfaces), an RDS instance, an Application Load Balancer (two interfaces, with a second group), an
 * EFS mount target, an interface VPC endpoint and an ElastiCache replication group (two nodes), and is referenced by
 * another group's rule.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { ServiceSimulator } from '../../handlers/adapters/local/service-simulator.ts';
import type { Ec2State } from '../../handlers/core/ec2-shapes.ts';
import { diffFlows } from '../../handlers/core/reachability.ts';
import {
  callsOf,
  createSession,
  disposeAll,
  eniGroups,
  flowsOf,
  newGroups,
  normalizeState,
  remediateState,
  scenarioState,
  stepsOf,
  withSetGroups,
} from '../support/harness.ts';

afterEach(disposeAll);

const DEFAULT = 'sg-0d5e000000000d001';
const WEB_LB = 'sg-0d5e000000000a001';
const LB_ARN = 'arn:aws:elasticloadbalancing:us-east-1:111122223333:loadbalancer/app/web/50dc6c495c0c9188';
const INSTANCE_ENIS = ['eni-0e5e000000000e001', 'eni-0e5e000000000e002'];
const MANAGED_ENIS = [
  'eni-0e5e000000000e004',
  'eni-0e5e000000000e005',
  'eni-0e5e000000000e006',
  'eni-0e5e000000000e007',
  'eni-0e5e000000000e008',
  'eni-0e5e000000000e009',
  'eni-0e5e000000000e00a',
  'eni-0e5e000000000e00b',
  'eni-0e5e000000000e00c',
];

type Records = Ec2State & {
  Functions: { VpcConfig: { SecurityGroupIds: string[] } }[];
  DBInstances: { VpcSecurityGroups: { VpcSecurityGroupId: string }[] }[];
  LoadBalancers: { SecurityGroups: string[] }[];
  MountTargets: { SecurityGroups: string[] }[];
  VpcEndpoints: { Groups: { GroupId: string }[] }[];
  CacheClusters: { SecurityGroups: { SecurityGroupId: string }[] }[];
};

function state(): Records {
  return scenarioState('managed-services') as Records;
}

/** Every service record's group list, in file order. */
function recordGroups(s: Ec2State): Record<string, string[][]> {
  const r = s as Records;
  return {
    functions: r.Functions.map((f) => f.VpcConfig.SecurityGroupIds),
    databases: r.DBInstances.map((d) => d.VpcSecurityGroups.map((g) => g.VpcSecurityGroupId)),
    loadBalancers: r.LoadBalancers.map((l) => l.SecurityGroups),
    mountTargets: r.MountTargets.map((m) => m.SecurityGroups),
    endpoints: r.VpcEndpoints.map((e) => e.Groups.map((g) => g.GroupId)),
    cacheNodes: r.CacheClusters.map((c) => c.SecurityGroups.map((g) => g.SecurityGroupId)),
  };
}

describe('a default group used by EC2 instances, Lambda, RDS, a load balancer, EFS, an endpoint and ElastiCache', () => {
  it('is remediated (owners moved through their services, interfaces following, traffic unchanged) and rolled back exactly', async () => {
    const run = await remediateState(state());
    expect(run.result.status, JSON.stringify(run.result)).toBe('SUCCEEDED');
    expect(run.result.output?.outcome).toBe('remediated');
    const replacement = newGroups(run.before, run.after)[0]?.GroupId ?? '';
    expect(replacement).toMatch(/^sg-/);

    // Each resource's whole group list: the default group swapped in place, other groups kept.
    expect(recordGroups(run.after)).toEqual({
      functions: [[replacement]],
      databases: [[replacement]],
      loadBalancers: [[replacement, WEB_LB]],
      mountTargets: [[replacement]],
      endpoints: [[replacement]],
      cacheNodes: [[replacement], [replacement]],
    });
    for (const eni of MANAGED_ENIS) expect(eniGroups(run.after, eni)).not.toContain(DEFAULT);
    expect(eniGroups(run.after, 'eni-0e5e000000000e007')).toEqual([replacement, WEB_LB]);
    // EC2 was asked to move only the instances' interfaces; the managed ones moved with their owners.
    const modified = callsOf(run.session.trace)
      .filter((call) => call.action === 'ModifyNetworkInterfaceAttribute')
      .map((call) => (call.input as { NetworkInterfaceId: string }).NetworkInterfaceId);
    expect(modified.sort()).toEqual(INSTANCE_ENIS);
    expect(diffFlows(flowsOf(run.before), flowsOf(run.after))).toEqual([]);

    // The approver was told what moves, by name.
    const approval = run.notifications.find((n) => n.subject.startsWith('Approve EC2.2'))?.message ?? '';
    for (const owner of [
      'Lambda function orders-api',
      'RDS DB instance orders-db',
      `load balancer ${LB_ARN}`,
      'EFS mount target fsmt-0f5e0000000000001',
      'VPC endpoint vpce-0f5e0000000000001',
      'ElastiCache replication group sessions',
    ]) {
      expect(approval).toContain(owner);
    }

    const rollback = await run.rollback();
    expect(rollback.result.status, JSON.stringify(rollback.result)).toBe('SUCCEEDED');
    expect(rollback.result.output?.outcome).toBe('rolled-back');
    expect(normalizeState(rollback.after)).toEqual(normalizeState(run.before));
    expect(recordGroups(rollback.after)).toEqual(recordGroups(run.before));
  });

  it('a rejection rolls the moved resources back to the snapshot', async () => {
    const run = await remediateState(state(), { approve: 'rejected' });
    expect(run.result.output?.outcome).toBe('rejected');
    expect(normalizeState(run.after)).toEqual(normalizeState(run.before));
  });

  it('a crash after a resource moved (the service applied it, the handler died): the retry converges (I5)', async () => {
    const session = createSession(state());
    const services = session.deps.services.bind(session.deps);
    let crashed = 0;
    session.deps.services = (target) => {
      const port = services(target);
      const crashing = withSetGroups(port, async (ref, groups, change) => {
        await port.setGroups(ref, groups, change);
        if (crashed < 2) {
          crashed++;
          throw Object.assign(new Error('the handler died after the change took effect'), { name: 'InternalError' });
        }
      });
      return crashing;
    };
    const result = await session.remediate();
    expect(result.status, JSON.stringify(result)).toBe('SUCCEEDED');
    expect(result.output?.outcome).toBe('remediated');
    expect(crashed).toBe(2);
    const after = session.simulator.toState();
    const replacement = newGroups(session.original, after)[0]?.GroupId ?? '';
    expect(recordGroups(after).functions).toEqual([[replacement]]);
    expect(diffFlows(flowsOf(session.original), flowsOf(after))).toEqual([]);
  });

  it('a resource busy with another update (ResourceConflictException, InvalidDBInstanceStateFault) is retried, not rolled back', async () => {
    const session = createSession(state());
    const services = session.deps.services.bind(session.deps);
    const refused: string[] = [];
    const seen: string[] = [];
    session.deps.services = (target) => {
      const port = services(target) as ServiceSimulator;
      port.setHooks({
        before(action) {
          // Nothing applied: the service refuses while an earlier update of the resource is still in progress.
          const code = {
            UpdateFunctionConfiguration: 'ResourceConflictException',
            ModifyDBInstance: 'InvalidDBInstanceStateFault',
          }[action];
          if (code && !refused.includes(code)) {
            refused.push(code);
            throw Object.assign(new Error('the resource is being updated'), { name: code });
          }
        },
      });
      // What the Task saw: the adapters' generic name, the service's code in the message.
      const observed = withSetGroups(port, (ref, groups, change) =>
        port.setGroups(ref, groups, change).catch((error: Error) => {
          seen.push(`${error.name}: ${error.message}`);
          throw error;
        }),
      );
      return observed;
    };
    const result = await session.remediate();
    expect(result.status, JSON.stringify(result)).toBe('SUCCEEDED');
    expect(result.output?.outcome).toBe('remediated');
    expect(refused.sort()).toEqual(['InvalidDBInstanceStateFault', 'ResourceConflictException']);
    expect(seen.sort()).toEqual([
      'ResourceBusy: InvalidDBInstanceStateFault: the resource is being updated',
      'ResourceBusy: ResourceConflictException: the resource is being updated',
    ]);
    const after = session.simulator.toState();
    const replacement = newGroups(session.original, after)[0]?.GroupId ?? '';
    expect(recordGroups(after).functions).toEqual([[replacement]]);
    expect(recordGroups(after).databases).toEqual([[replacement]]);
  });

  it("each owner's move is paced under its own service's bucket, not EC2's generic mutating one", async () => {
    const session = createSession(state());
    const paced: string[] = [];
    session.deps.pace = async (action) => void paced.push(action);
    const result = await session.remediate();
    expect(result.output?.outcome).toBe('remediated');
    // The move actions as IAM names them, each paced by its service's bucket (handlers/core/owners/).
    expect(paced.filter((action) => action.includes(':')).sort()).toEqual([
      'ec2:ModifyVpcEndpoint',
      'elasticache:ModifyReplicationGroup',
      'elasticfilesystem:ModifyMountTargetSecurityGroups',
      'elasticloadbalancing:SetSecurityGroups',
      'lambda:UpdateFunctionConfiguration',
      'rds:ModifyDBInstance',
    ]);
    expect(paced).not.toContain(undefined);
  });

  it('rollback waits for Lambda to delete the interface it made for the copy (DependencyViolation) before deleting the copy', async () => {
    const run = await remediateState(state());
    expect(run.result.output?.outcome).toBe('remediated');
    let refused = 0;
    run.session.simulator.setHooks({
      before(action) {
        // Lambda deletes a replaced interface some minutes after the function moved back: the copy is still in use.
        if (action === 'DeleteSecurityGroup' && refused < 2) {
          refused++;
          throw Object.assign(new Error('resource sg-… has a dependent object'), { name: 'DependencyViolation' });
        }
      },
    });
    const rollback = await run.rollback();
    expect(rollback.result.status, JSON.stringify(rollback.result)).toBe('SUCCEEDED');
    expect(refused).toBe(2);
    expect(normalizeState(rollback.after)).toEqual(normalizeState(run.before));
  });

  it('someone puts the Lambda function back on the default group during the approval wait: drift, nothing stripped, rolled back', async () => {
    const run = await remediateState(state(), {
      async onApproval(simulator) {
        const services = new ServiceSimulator(simulator);
        const fn = await services.describe({ kind: 'lambda-function', id: 'orders-api' });
        await services.setGroups({ kind: 'lambda-function', id: 'orders-api' }, [...(fn?.groups ?? []), DEFAULT]);
      },
    });
    expect(run.result.status).toBe('FAILED');
    expect(run.result.error).toBe('DriftDetected');
    expect(run.result.cause).toContain('Lambda function orders-api is on the default group again');
    expect(stepsOf(run.session.trace)).not.toContain('Strip the default group');
    // Rolled back: the function is on the default group only, as in the snapshot (the replacement is gone).
    expect(recordGroups(run.after)).toEqual(recordGroups(run.before));
  });
});

describe('Lambda replaces its interfaces rather than moving them', () => {
  const LAMBDA_ENIS = ['eni-0e5e000000000e004', 'eni-0e5e000000000e005'];

  it('old Lambda interfaces left on the default group once the function is on the copy are retired, not drift', async () => {
    const run = await remediateState(state(), {
      onApproval(simulator) {
        // As in AWS: the function got interfaces for its new groups; the old ones keep theirs until Lambda deletes them.
        simulator.setServiceInterfaceGroups(LAMBDA_ENIS, [DEFAULT]);
      },
    });
    expect(run.result.status, JSON.stringify(run.result)).toBe('SUCCEEDED');
    expect(run.result.output?.outcome).toBe('remediated');
    expect(run.result.output?.verification).toMatchObject({ verified: true, checks: ['structure', 'traffic'] });
    for (const eni of LAMBDA_ENIS) expect(eniGroups(run.after, eni)).toEqual([DEFAULT]);
    const rollback = await run.rollback();
    expect(rollback.result.output?.outcome).toBe('rolled-back');
    expect(normalizeState(rollback.after)).toEqual(normalizeState(run.before));
  });

  it('a function that starts using the default group during the wait (it would share those interfaces): drift, rolled back', async () => {
    const run = await remediateState(state(), {
      onApproval(simulator) {
        simulator.setServiceInterfaceGroups(LAMBDA_ENIS, [DEFAULT]);
        (simulator.serviceRecords().Functions as unknown[]).push({
          FunctionName: 'orders-late',
          VpcConfig: {
            SubnetIds: ['subnet-0a5e0000000000001'],
            SecurityGroupIds: [DEFAULT],
            VpcId: 'vpc-0a5e00000000000f1',
          },
        });
      },
    });
    expect(run.result.error).toBe('DriftDetected');
    expect(run.result.cause).toContain('Lambda function orders-late started using the default group');
    expect(stepsOf(run.session.trace)).not.toContain('Strip the default group');
    expect(recordGroups(run.after).functions).toEqual([[DEFAULT], [DEFAULT]]);
  });
});

describe('requester-managed owners that cannot be moved stay a reasoned block (I4)', () => {
  it('a NAT gateway and a Gateway Load Balancer endpoint on the default group: blocked, each named, nothing changed', async () => {
    const s = state();
    s.NetworkInterfaces?.push(
      {
        NetworkInterfaceId: 'eni-0e5e000000000e0f1',
        VpcId: 'vpc-0a5e00000000000f1',
        InterfaceType: 'nat_gateway',
        RequesterManaged: true,
        Description: 'Interface for NAT Gateway nat-0a5e0000000000001',
        PrivateIpAddress: '10.0.1.90',
        Groups: [{ GroupId: DEFAULT, GroupName: 'default' }],
      },
      {
        NetworkInterfaceId: 'eni-0e5e000000000e0f2',
        VpcId: 'vpc-0a5e00000000000f1',
        InterfaceType: 'gateway_load_balancer_endpoint',
        RequesterManaged: true,
        Description: 'VPC Endpoint Interface vpce-0f5e0000000000009',
        PrivateIpAddress: '10.0.1.91',
        Groups: [{ GroupId: DEFAULT, GroupName: 'default' }],
      },
    );
    const run = await remediateState(s);
    expect(run.result.output?.outcome).toBe('blocked');
    const reasons = run.result.output?.reasons as string[];
    expect(reasons).toHaveLength(2);
    expect(reasons.find((r) => r.includes('eni-0e5e000000000e0f1'))).toMatch(/NAT gateway takes no security groups/);
    expect(reasons.find((r) => r.includes('eni-0e5e000000000e0f2'))).toMatch(/Gateway Load Balancer endpoints/);
    expect(run.session.mutatingCalls()).toEqual({});
    expect(run.after).toEqual(run.before);
  });

  it('a published Lambda version on the default group (its groups cannot change): blocked, named, nothing changed', async () => {
    const s = state();
    const functions = (s as unknown as { Functions: Record<string, unknown>[] }).Functions;
    // Version 3 was published while the function was on the default group: it shares the function's interfaces.
    functions.push({ ...functions[0], Version: '3', FunctionArn: `${functions[0]?.FunctionArn}:3` });
    const run = await remediateState(s);
    expect(run.result.output?.outcome).toBe('blocked');
    const reasons = ((run.result.output?.reasons as string[] | undefined) ?? []).join('\n');
    expect(reasons).toContain('Lambda function orders-api has published version 3 on the default group');
    expect(run.session.mutatingCalls()).toEqual({});
    expect(run.after).toEqual(run.before);
  });

  it('a Lambda interface whose function the service does not show on the default group: blocked', async () => {
    const s = state();
    (s as { Functions: unknown[] }).Functions = [];
    const run = await remediateState(s);
    expect(run.result.output?.outcome).toBe('blocked');
    const reasons = ((run.result.output?.reasons as string[] | undefined) ?? []).join('\n');
    expect(reasons).toContain('eni-0e5e000000000e004 belongs to Lambda function orders-api');
    expect(run.after).toEqual(run.before);
  });
});

describe('references the workflow cannot edit are reported in the plan (I4)', () => {
  it('a stale reference (through a deleted peering connection): blocked, naming the rule, nothing changed', async () => {
    const state = scenarioState('peered-vpc');
    for (const group of state.SecurityGroups) {
      for (const permission of [...(group.IpPermissions ?? []), ...(group.IpPermissionsEgress ?? [])]) {
        for (const pair of permission.UserIdGroupPairs ?? []) {
          if (pair.PeeringStatus === 'active') pair.PeeringStatus = 'deleted';
        }
      }
    }
    const run = await remediateState(state);
    expect(run.result.output?.outcome).toBe('blocked');
    const reasons = (run.result.output?.reasons as string[] | undefined) ?? [];
    expect(reasons).toHaveLength(1);
    expect(reasons[0]).toMatch(
      /has a stale inbound rule referencing the default group through pcx-[0-9a-f]+ \(peering deleted\)/,
    );
    expect(run.session.mutatingCalls()).toEqual({});
    expect(run.after).toEqual(run.before);
  });

  it('an active peering reference is not stale: the same VPC pair is remediated', async () => {
    const run = await remediateState(scenarioState('peered-vpc'));
    expect(run.result.output?.outcome).toBe('remediated');
  });
});
