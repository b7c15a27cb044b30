/**
 * AWS Batch: a managed compute environment launches its instances (EC2, Spot) or Fargate tasks on
 * computeResources.securityGroupIds, with nothing running while no job is queued, so its environments are listed
 * always (`listedInVpc`). It moves with UpdateComputeEnvironment computeResources.securityGroupIds
 * (https://docs.aws.amazon.com/batch/latest/APIReference/API_UpdateComputeEnvironment.html): for Fargate a scaling
 * update; for EC2 and Spot an infrastructure update, which Batch allows only with the BEST_FIT_PROGRESSIVE,
 * SPOT_CAPACITY_OPTIMIZED or SPOT_PRICE_CAPACITY_OPTIMIZED allocation strategy and the AWSServiceRoleForBatch
 * service-linked role (https://docs.aws.amazon.com/batch/latest/userguide/updating-compute-environments.html); other
 * environments block with the change to make. The environment is done when its status leaves UPDATING (VALID), and
 * failed when INVALID. Unmanaged environments name no groups (the account runs their instances).
 */
import { defineOwner } from './types.ts';

const COMPUTE_ENVIRONMENTS = { service: 'batch', resource: 'compute-environment/*' };

/** Allocation strategies that allow an infrastructure update (the page above). */
const UPDATABLE_STRATEGIES = ['BEST_FIT_PROGRESSIVE', 'SPOT_CAPACITY_OPTIMIZED', 'SPOT_PRICE_CAPACITY_OPTIMIZED'];

/** The parts of DescribeComputeEnvironments' answer that decide whether its groups can change. */
export interface BatchEnvironmentShape {
  computeEnvironmentName: string;
  serviceRole?: string | undefined;
  computeResources?: { type?: string | undefined; allocationStrategy?: string | undefined } | undefined;
}

/** Why the environment's groups cannot be changed in place, with the change to make; undefined when they can. */
export function batchEnvironmentBlock(environment: BatchEnvironmentShape): string | undefined {
  const type = environment.computeResources?.type ?? '';
  if (type === 'FARGATE' || type === 'FARGATE_SPOT') return undefined;
  const name = environment.computeEnvironmentName;
  // BEST_FIT is the default when the environment was created without a strategy.
  const strategy = environment.computeResources?.allocationStrategy ?? 'BEST_FIT';
  const fix = `Create a compute environment like it with another security group (and an allocation strategy of ${UPDATABLE_STRATEGIES.join(', ')}), put it in its job queues in its place, delete this one, then run again.`;
  if (!UPDATABLE_STRATEGIES.includes(strategy))
    return `Batch compute environment ${name} uses the ${strategy} allocation strategy: Batch does not update its security groups (infrastructure updates need ${UPDATABLE_STRATEGIES.join(', ')}). ${fix}`;
  if (environment.serviceRole && !environment.serviceRole.includes('/aws-service-role/batch.amazonaws.com/'))
    return `Batch compute environment ${name} uses the service role ${environment.serviceRole}: Batch updates its security groups only with the AWSServiceRoleForBatch service-linked role. Switch it to that role (UpdateComputeEnvironment serviceRole), or: ${fix}`;
  return undefined;
}

export const batch = defineOwner({
  service: 'batch',
  title: 'AWS Batch',
  ownerKinds: {},
  // DescribeComputeEnvironments, UpdateComputeEnvironment, DescribeComputeEnvironments until VALID.
  resources: {
    'batch-compute-environment': {
      label: 'Batch compute environment',
      moveAction: 'batch:UpdateComputeEnvironment',
      callsPerMove: 3,
      moveNotice:
        "UpdateComputeEnvironment on an EC2 or Spot environment is an infrastructure update: Batch replaces the environment's instances with ones on the new groups, and running jobs finish or are stopped as its update policy says (terminateJobsOnUpdate, jobExecutionTimeoutMinutes). A launch template the environment names keeps its own settings.",
    },
  },
  listedInVpc: true,
  errors: { notFound: [], busy: [] },
  iam: {
    // DescribeComputeEnvironments takes no resource type.
    readOnAny: ['batch:DescribeComputeEnvironments'],
    reads: [],
    moveOnAny: [],
    moves: [
      {
        sid: 'MoveBatchComputeEnvironments',
        actions: ['batch:UpdateComputeEnvironment'],
        resources: [COMPUTE_ENVIRONMENTS],
      },
    ],
  },
  // Batch publishes no API rate for UpdateComputeEnvironment: assumed, a burst of 5 and 1 per second.
  rateLimit: {
    key: 'batch:api',
    capacity: 5,
    refillPerSecond: 1,
    source: 'assumed: no published API rate (https://docs.aws.amazon.com/batch/latest/userguide/service_limits.html)',
    documented: false,
  },
});
