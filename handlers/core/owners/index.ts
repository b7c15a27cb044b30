/**
 * The registry of owner services: one module per service (this folder), and the helpers the workflow reads them
 * through. A new owner service is its module here, its AWS adapter (handlers/adapters/aws/owners/) and its local model
 * (handlers/adapters/local/owners/), plus one line in each of the three registries; the compiler names any registry
 * that lacks it (docs/decisions.md, "One registry of owners").
 */
import type { NetworkInterface } from '../ec2-shapes.ts';
import { autoscalingLaunchConfigurations } from './autoscaling-launch-configurations.ts';
import { batch } from './batch.ts';
import { codebuild } from './codebuild.ts';
import { dms } from './dms.ts';
import { ec2LaunchTemplates } from './ec2-launch-templates.ts';
import { ecs } from './ecs.ts';
import { efs } from './efs.ts';
import { elasticache } from './elasticache.ts';
import { elbv2 } from './elbv2.ts';
import { lambda } from './lambda.ts';
import { rds } from './rds.ts';
import { redshift } from './redshift.ts';
import type {
  FoundResource,
  OwnerContext,
  OwnerLookup,
  OwnerModule,
  RecognisedOwner,
  ResourceKindInfo,
} from './types.ts';
import { vpcEndpoints } from './vpc-endpoints.ts';

export type OwnerService =
  | 'lambda'
  | 'rds'
  | 'elbv2'
  | 'efs'
  | 'vpc-endpoints'
  | 'elasticache'
  | 'ec2-launch-templates'
  | 'autoscaling-launch-configurations'
  | 'ecs'
  | 'redshift'
  | 'dms'
  | 'codebuild'
  | 'batch';

/**
 * In recognition order: the first module that recognises an interface owns it (the modules' tests are disjoint, so
 * the order only matters for interfaces no AWS service makes). Also the order of the IAM statements.
 */
export const OWNERS = {
  lambda,
  rds,
  elbv2,
  efs,
  'vpc-endpoints': vpcEndpoints,
  elasticache,
  'ec2-launch-templates': ec2LaunchTemplates,
  'autoscaling-launch-configurations': autoscalingLaunchConfigurations,
  ecs,
  redshift,
  dms,
  codebuild,
  batch,
} satisfies { [Service in OwnerService]: OwnerModule<Service> };

type Owners = typeof OWNERS;

/** Every resource kind of every owner service ("lambda-function", "rds-instance", …). */
export type ResourceKind = { [Service in OwnerService]: keyof Owners[Service]['resources'] & string }[OwnerService];

/** The interface owner kinds the services recognise (a plan's `owner.kind`: "lambda", "rds", …). */
export type ServiceOwnerKind = {
  [Service in OwnerService]: keyof Owners[Service]['ownerKinds'] & string;
}[OwnerService];

/** A module as the registry reads it: any of its kinds (each module's own are narrower). */
type AnyOwnerModule = OwnerModule<OwnerService, string, string>;

/** The modules, in registry order. */
export const OWNER_MODULES: readonly AnyOwnerModule[] = Object.values(OWNERS);

/** One value per owner service (an adapter, a client), in registry order. */
export function perOwnerService<T>(make: (service: OwnerService) => T): Record<OwnerService, T> {
  return Object.fromEntries(OWNER_MODULES.map((module) => [module.service, make(module.service)])) as Record<
    OwnerService,
    T
  >;
}

const SERVICE_OF_KIND = new Map<string, OwnerService>(
  OWNER_MODULES.flatMap((module) => Object.keys(module.resources).map((kind) => [kind, module.service] as const)),
);

export const RESOURCE_KINDS: readonly ResourceKind[] = [...SERVICE_OF_KIND.keys()] as ResourceKind[];

/** The service whose resource `kind` is. */
export function serviceOf(kind: ResourceKind): OwnerService {
  const service = SERVICE_OF_KIND.get(kind);
  if (!service) throw new Error(`No owner service has resources of kind ${kind}`);
  return service;
}

export function ownerModule(service: OwnerService): AnyOwnerModule {
  return OWNERS[service];
}

function kindInfo(kind: ResourceKind): ResourceKindInfo {
  const info = ownerModule(serviceOf(kind)).resources[kind];
  if (!info) throw new Error(`No owner service has resources of kind ${kind}`);
  return info;
}

/** "Lambda function", "RDS DB instance". */
export function resourceKindLabel(kind: ResourceKind): string {
  return kindInfo(kind).label;
}

/** How long one move of `kind` takes to apply, for the time budgets: its module's figure, else the whole wait. */
export function settleSecondsOf(kind: ResourceKind, whole: number): number {
  return kindInfo(kind).settleSeconds ?? whole;
}

/** The IAM action that changes a resource's groups ("lambda:UpdateFunctionConfiguration"): what a move is paced by. */
export function moveActionOf(kind: ResourceKind): string {
  return kindInfo(kind).moveAction;
}

/**
 * The pace of one move with `action` (an owner service's move action): its service's bucket, a move counted as the
 * calls it makes on it. Undefined for actions no owner service moves with.
 */
export function moveBucketOf(action: string): { key: string; capacity: number; refillPerSecond: number } | undefined {
  for (const module of OWNER_MODULES) {
    const move = Object.values(module.resources).find((info) => info.moveAction === action);
    if (move)
      return {
        key: module.rateLimit.key,
        capacity: module.rateLimit.capacity / move.callsPerMove,
        refillPerSecond: module.rateLimit.refillPerSecond / move.callsPerMove,
      };
  }
  return undefined;
}

/** The plan's words for moving `resource`: its module's, or "<label> <id>". */
export function describeResourceMove(
  resource: { kind: ResourceKind; id: string; groups: string[]; config?: Record<string, unknown> },
  defaultGroupId: string,
): string | undefined {
  return ownerModule(serviceOf(resource.kind)).describeMove?.(resource, defaultGroupId);
}

/** What moving a resource of `kind` does besides changing its groups, when it does more (an ECS deployment). */
export function moveNoticeOf(kind: ResourceKind): string | undefined {
  return kindInfo(kind).moveNotice;
}

/** The owner kinds' words on the "By owner" line. */
export const SERVICE_OWNER_WORDS = Object.fromEntries(
  OWNER_MODULES.flatMap((module) => Object.entries(module.ownerKinds)),
) as Record<ServiceOwnerKind, string>;

/** The first service that recognises `eni` as its own. */
export function recogniseOwner(
  eni: NetworkInterface,
  context: OwnerContext,
): RecognisedOwner<OwnerService, ServiceOwnerKind, ResourceKind> | undefined {
  for (const module of OWNER_MODULES) {
    // Each module answers only its own kinds (OWNERS is checked against them).
    const owner = module.recognise?.(eni, context) as
      | RecognisedOwner<OwnerService, ServiceOwnerKind, ResourceKind>
      | undefined;
    if (owner) return owner;
  }
  return undefined;
}

/** Whether an interface that asked for `lookup` (and names no resource) follows `resource`. */
export function followsLookup(resource: FoundResource<ResourceKind>, lookup: OwnerLookup<OwnerService>): boolean {
  if (serviceOf(resource.kind) !== lookup.service) return false;
  return ownerModule(lookup.service).followsLookup?.(resource, lookup) ?? false;
}

/** The services whose resources may use the default group without an interface (`listedInVpc`), in registry order. */
export const LISTED_SERVICES: readonly OwnerService[] = OWNER_MODULES.filter((module) => module.listedInVpc).map(
  (module) => module.service,
);

/** Not-found answers of every owner service, by SDK exception name and wire code: the resource is gone. */
export const RESOURCE_NOT_FOUND_CODES: ReadonlySet<string> = new Set(
  OWNER_MODULES.flatMap((module) => module.errors.notFound),
);

/** Codes by which `service` says the resource is busy with another update. */
export function busyCodesOf(service: OwnerService): readonly string[] {
  return ownerModule(service).errors.busy;
}

export type { ArnPattern, IamConditions, IamStatementData, OwnerContext, OwnerLookup } from './types.ts';
