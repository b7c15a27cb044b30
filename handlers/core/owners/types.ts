/**
 * What one owner service tells the rest of the workflow about itself, as data (docs/decisions.md, "One registry of
 * owners"): how to recognise the interfaces it owns, its resource kinds and their words, the error codes that mean
 * "gone" and "busy", the IAM its calls need and the API rate it is paced under. Each service is one module of this
 * folder; `index.ts` registers them. Pure: no AWS SDK, no I/O.
 *
 * An owner may also be a launch source (a launch template, an ECS service): a configuration that names groups and
 * launches onto them, with no live interface of its own. Such a module has resource kinds but no `recognise`, and its
 * adapters read and set the group lists wherever the configuration keeps them.
 */
import type { NetworkInterface } from '../ec2-shapes.ts';

/** Where an interface lives, for owners named by ARN (the interface's own OwnerId and zone otherwise). */
export interface OwnerContext {
  accountId?: string;
  region?: string;
}

/**
 * Owners an interface does not name, found through the service when Discover reads the owners: every resource of the
 * service in the VPC on the default group (RDS; Lambda, whose functions share interfaces), or, with `member`, the
 * resource that has this member (an ElastiCache node's replication group or cluster).
 */
export interface OwnerLookup<Service extends string = string> {
  service: Service;
  member?: string;
}

/** An interface's owner as its service's module recognised it (`handlers/core/owners.ts` adds EC2's own kinds). */
export interface RecognisedOwner<
  Service extends string = string,
  Kind extends string = string,
  Resource extends string = string,
> {
  kind: Kind;
  /** Human-readable: "Lambda function my-fn", "load balancer app/web/50dc…". Untrusted text is quoted. */
  label: string;
  /** `service`: the owner moves through its service and the interface follows. Undefined when nothing can move it. */
  mover?: 'service';
  /** The owning resource, when the interface alone names it (function, load balancer, mount target, endpoint). */
  resource?: { kind: Resource; id: string };
  lookup?: OwnerLookup<Service>;
  /** Why no API can change this interface's groups, when that is known. */
  unmovable?: string;
}

/** A resource Discover found, as far as matching it to the interfaces that asked for it needs. */
export interface FoundResource<Resource extends string = string> {
  kind: Resource;
  id: string;
  /** The ids of its members the interfaces name (an ElastiCache replication group's nodes). */
  members?: string[];
}

/** A resource as its adapter described it (the fields of ResourceState a module reads). */
export interface DescribedResource {
  id: string;
  groups: string[];
  config?: Record<string, unknown>;
}

export interface ResourceKindInfo {
  /** "Lambda function": the plan, the email and the page name a resource "<label> <id>". */
  label: string;
  /** The IAM action (`service:Action`) that changes its groups: what a move is granted and paced by. */
  moveAction: string;
  /**
   * The calls one move makes at least on the service's bucket (the read before, the change, the first check that it
   * applied): a move is paced as that many calls, so that all of them fit the paced share of the bucket.
   */
  callsPerMove: number;
  /**
   * What moving it does besides changing its groups (an ECS service: a new deployment), said in the plan, the email
   * and the page for each resource of this kind the plan moves.
   */
  moveNotice?: string;
  /**
   * How long one move of this kind takes to apply, for the time budgets (handlers/core/durations.ts), when the
   * service documents it or applies the change in the call itself; absent: the whole wait a move may take (10 minutes,
   * `RESOURCE_MOVE_SECONDS`).
   */
  settleSeconds?: number;
}

/**
 * The token bucket a service's group changes draw from, per account and Region. A bucket the service shares with all
 * its control-plane calls (Lambda, RDS) has one key for the service; EC2's per-action buckets keep the action's key.
 */
export interface RateBucket {
  key: string;
  /** Burst: requests the bucket holds. */
  capacity: number;
  /** Sustained: tokens added per second. */
  refillPerSecond: number;
  /** The page the numbers come from, or why they are assumed. */
  source: string;
  /** False when the service publishes no numbers and the bucket is our conservative assumption. */
  documented: boolean;
}

/** `arn:<partition>:<service>:*:<this account>:<resource>`: any Region, this account only (infra/services-policy.ts). */
export interface ArnPattern {
  service: string;
  resource: string;
}

/** IAM condition blocks; a value may be an ARN pattern, completed with the partition and account when granted. */
export type IamConditions = Record<string, Record<string, string | ArnPattern>>;

export interface IamStatementData {
  sid: string;
  actions: string[];
  resources: ArnPattern[];
  conditions?: IamConditions;
}

/**
 * The IAM a service's adapter needs, per the Service Authorization Reference
 * (https://docs.aws.amazon.com/service-authorization/latest/reference/): `reads` for Discover, Re-check and Verify,
 * `moves` for the move and the move back (which also get the reads).
 */
export interface OwnerIam {
  /** Read-only calls that have no resource types: granted on "*". */
  readOnAny: string[];
  reads: IamStatementData[];
  /** Calls a move needs on "*" besides its own (Lambda's describes of the caller's VPC settings). */
  moveOnAny: string[];
  /** The group changes, each on its own resource type in this account, narrowed by the service's condition keys. */
  moves: IamStatementData[];
}

export interface OwnerModule<
  Service extends string = string,
  Kind extends string = string,
  Resource extends string = string,
> {
  service: Service;
  /** "AWS Lambda". */
  title: string;
  /** The interface owner kinds it recognises (a plan's `owner.kind`), with their words on the "By owner" line. */
  ownerKinds: Record<Kind, string>;
  resources: Record<Resource, ResourceKindInfo>;
  /**
   * Its resources can name the default group with no live interface of their own — an idle Lambda function, an ECS
   * service scaled to zero, a launch template, a build project — and put one on it later. Discover, Re-check and
   * Verify then list every resource of the VPC on the group through `findUsing` (the adapters' VPC lookup), not only
   * when an interface asks for it.
   */
  listedInVpc?: true;
  /**
   * The plan's, the email's and the page's words for moving this resource, when "<label> <id>" does not say enough (a
   * launch template: which versions, which Auto Scaling groups). Untrusted text quoted.
   */
  describeMove?(resource: DescribedResource, defaultGroupId: string): string;
  /** Its requester-managed interfaces, from the fields EC2 returns; undefined for interfaces that are not its own. */
  recognise?(eni: NetworkInterface, context: OwnerContext): RecognisedOwner<Service, Kind, Resource> | undefined;
  /**
   * Whether an interface that names no resource but asked for `lookup` follows `resource`, one Discover found through
   * that lookup. Absent: such an interface follows nothing (it blocks the plan).
   */
  followsLookup?(resource: FoundResource<Resource>, lookup: OwnerLookup<Service>): boolean;
  /**
   * Error codes (SDK exception names and wire codes) that mean the resource is gone, and that it is busy with another
   * update (retried by the state machines as `ResourceBusy`, the adapters' generic name for them).
   */
  errors: { notFound: readonly string[]; busy: readonly string[] };
  iam: OwnerIam;
  rateLimit: RateBucket;
}

/**
 * `settleSeconds` of a change the service applies in the call itself (SetSecurityGroups, UpdateProject, a new launch
 * template version or launch configuration): its adapter's `settled` answers true at once; a minute of budget.
 */
export const SETTLED_IN_THE_CALL = 60;

/** Checks a module against OwnerModule and keeps its literal service, kind and resource names. */
export function defineOwner<const Service extends string, const Kind extends string, const Resource extends string>(
  module: OwnerModule<Service, Kind, Resource>,
): OwnerModule<Service, Kind, Resource> {
  return module;
}
