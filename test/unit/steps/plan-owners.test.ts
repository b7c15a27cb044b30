/** Discover's owner lookups (readInventory with the services) and the plan they make: who moves what, once. */
import { describe, expect, it } from 'vitest';
import { Ec2Simulator } from '../../../handlers/adapters/local/ec2-simulator.ts';
import { ServiceSimulator } from '../../../handlers/adapters/local/service-simulator.ts';
import type { Ec2State } from '../../../handlers/core/ec2-shapes.ts';
import { planRemediation } from '../../../handlers/core/plan.ts';
import { readInventory } from '../../../handlers/steps/discover.ts';
import { scenarioState } from '../../support/harness.ts';

const DEFAULT = 'sg-0d5e000000000d001';
const target = { accountId: '111122223333', region: 'us-east-1', groupId: DEFAULT };

async function planOf(state: Ec2State, batchSize = 50) {
  const ec2 = Ec2Simulator.fromState(state);
  const inventory = await readInventory(ec2, target, { services: new ServiceSimulator(ec2) });
  return { inventory, plan: planRemediation(inventory, { remediationId: 'rem-test-1', batchSize }) };
}

describe('owners of requester-managed members', () => {
  it('each owner is moved once, named, with the interfaces that follow it; EC2 moves only the instances', async () => {
    const { plan } = await planOf(scenarioState('managed-services'));
    expect(plan.status).toBe('ready');
    expect(plan.resourceMoves?.map((move) => [move.label, move.interfaceIds.length])).toEqual([
      ['EFS mount target fsmt-0f5e0000000000001', 1],
      ['ElastiCache replication group sessions', 2],
      ['Lambda function orders-api', 2],
      ['load balancer arn:aws:elasticloadbalancing:us-east-1:111122223333:loadbalancer/app/web/50dc6c495c0c9188', 2],
      ['RDS DB instance orders-db', 1],
      ['VPC endpoint vpce-0f5e0000000000001', 1],
    ]);
    // Batches: resources first (by key), then the interfaces EC2 moves; followers are not listed.
    expect(plan.batches.flat()).toEqual([
      'efs-mount-target:fsmt-0f5e0000000000001',
      'elasticache-replication-group:sessions',
      'lambda-function:orders-api',
      'load-balancer:arn:aws:elasticloadbalancing:us-east-1:111122223333:loadbalancer/app/web/50dc6c495c0c9188',
      'rds-instance:orders-db',
      'vpc-endpoint:vpce-0f5e0000000000001',
      'eni-0e5e000000000e001',
      'eni-0e5e000000000e002',
    ]);
    const rds = plan.moves.find((move) => move.networkInterfaceId === 'eni-0e5e000000000e006');
    expect(rds?.followsResources).toEqual(['rds-instance:orders-db']);
    expect((await planOf(scenarioState('managed-services'), 3)).plan.batches.map((batch) => batch.length)).toEqual([
      3, 3, 2,
    ]);
  });

  it('an RDS interface with no DB instance or cluster on the group in the VPC blocks, and says so', async () => {
    const state = scenarioState('managed-services') as Ec2State & { DBInstances: unknown[] };
    state.DBInstances = [];
    const { plan } = await planOf(state);
    expect(plan.status).toBe('blocked');
    expect(plan.reasons).toEqual([
      'eni-0e5e000000000e006 belongs to RDS database, but its service shows no such resource on the default group in vpc-0a5e00000000000f1, so nothing can move it.',
    ]);
  });

  it('a Lambda function on the default group that shares another function’s interfaces is moved too', async () => {
    const state = scenarioState('managed-services') as Ec2State & { Functions: Record<string, unknown>[] };
    state.Functions.push({
      FunctionName: 'orders-worker',
      VpcConfig: {
        SubnetIds: ['subnet-0a5e0000000000001'],
        SecurityGroupIds: [DEFAULT],
        VpcId: 'vpc-0a5e00000000000f1',
      },
    });
    const { plan } = await planOf(state);
    expect(plan.resourceMoves?.map((move) => move.label)).toContain('Lambda function orders-worker');
    expect(plan.status).toBe('ready');
  });
});
