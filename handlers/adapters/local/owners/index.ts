/**
 * The owner services' local models, one per registered service (handlers/core/owners/); a service missing here is a
 * compile error. In registry order: the state file's records are checked in this order.
 */
import type { OwnerService } from '../../../core/owners/index.ts';
import { localBatch } from './batch.ts';
import { localCodeBuild } from './codebuild.ts';
import { localDms } from './dms.ts';
import { localEcs } from './ecs.ts';
import { localMountTargets } from './efs.ts';
import { localElastiCache } from './elasticache.ts';
import { localLoadBalancers } from './elbv2.ts';
import { localLambda } from './lambda.ts';
import { localLaunchConfigurations, localLaunchTemplates } from './launch-sources.ts';
import type { LocalAdapterOwner, LocalOwner } from './model.ts';
import { localRds } from './rds.ts';
import { localRedshift } from './redshift.ts';
import { localVpcEndpoints } from './vpc-endpoints.ts';

export const LOCAL_OWNERS = {
  lambda: localLambda,
  rds: localRds,
  elbv2: localLoadBalancers,
  efs: localMountTargets,
  'vpc-endpoints': localVpcEndpoints,
  elasticache: localElastiCache,
  'ec2-launch-templates': localLaunchTemplates,
  'autoscaling-launch-configurations': localLaunchConfigurations,
  ecs: localEcs,
  redshift: localRedshift,
  dms: localDms,
  codebuild: localCodeBuild,
  batch: localBatch,
} satisfies Record<OwnerService, LocalOwner<unknown> | LocalAdapterOwner<unknown>>;
