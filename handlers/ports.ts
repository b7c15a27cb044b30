/**
 * The small interfaces (ports) the steps talk to. Each has an AWS adapter (handlers/adapters/aws) and a local one
 * (handlers/adapters/local). Shapes follow the AWS APIs so the AWS adapters stay pass-throughs.
 */
import type {
  Filter,
  FlowLog,
  IpPermission,
  ManagedPrefixList,
  NetworkInterface,
  SecurityGroup,
  SecurityGroupReference,
  SecurityGroupRule,
  StaleSecurityGroup,
  Tag,
  TagDescription,
  Vpc,
} from './core/ec2-shapes.ts';
import type { OwnerService } from './core/owners/index.ts';
import type { ResourceChange, ResourceRef, ResourceState } from './core/resources.ts';
import type { StackDescription } from './core/stacks.ts';

/** The EC2 calls the workflow makes, with the EC2 API's request and response shapes. Errors carry the EC2 error code in `name`. */
export interface Ec2Port {
  describeSecurityGroups(input: {
    GroupIds?: string[];
    Filters?: Filter[];
    NextToken?: string;
    MaxResults?: number;
  }): Promise<{ SecurityGroups?: SecurityGroup[]; NextToken?: string }>;
  describeNetworkInterfaces(input: {
    NetworkInterfaceIds?: string[];
    Filters?: Filter[];
    NextToken?: string;
    MaxResults?: number;
  }): Promise<{ NetworkInterfaces?: NetworkInterface[]; NextToken?: string }>;
  describeVpcs(input: { VpcIds: string[] }): Promise<{ Vpcs?: Vpc[] }>;
  describeSecurityGroupReferences(input: {
    GroupId: string[];
  }): Promise<{ SecurityGroupReferenceSet?: SecurityGroupReference[] }>;
  /** The sizes of the prefix lists rules reference (MaxResults 1-100). */
  describeManagedPrefixLists(input: {
    PrefixListIds?: string[];
    Filters?: Filter[];
    NextToken?: string;
    MaxResults?: number;
  }): Promise<{ PrefixLists?: ManagedPrefixList[]; NextToken?: string }>;
  /** The groups of `VpcId` with stale rules (peering connection or referenced group gone); MaxResults 5-255. */
  describeStaleSecurityGroups(input: {
    VpcId: string;
    NextToken?: string;
    MaxResults?: number;
  }): Promise<{ StaleSecurityGroupSet?: StaleSecurityGroup[]; NextToken?: string }>;
  /**
   * Tags of resources, by filter (`resource-id`, `key`, `resource-type`, `value`); MaxResults 5-1000. Discover reads
   * the instances' stack tag with it (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DescribeTags.html).
   */
  describeTags(input: {
    Filters?: Filter[];
    NextToken?: string;
    MaxResults?: number;
  }): Promise<{ Tags?: TagDescription[]; NextToken?: string }>;
  /**
   * The flow logs of the account's VPCs, subnets and interfaces (filters `resource-id`, `traffic-type`,
   * `log-destination-type`, …; MaxResults 5-1000): where tighten reads traffic from
   * (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DescribeFlowLogs.html). The SDK names the filter list
   * `Filter`, not `Filters`.
   */
  describeFlowLogs(input: {
    Filter?: Filter[];
    FlowLogIds?: string[];
    NextToken?: string;
    MaxResults?: number;
  }): Promise<{ FlowLogs?: FlowLog[]; NextToken?: string }>;
  createSecurityGroup(input: {
    GroupName: string;
    Description: string;
    VpcId: string;
    TagSpecifications?: { ResourceType: 'security-group'; Tags: Tag[] }[];
  }): Promise<{ GroupId?: string; SecurityGroupArn?: string; Tags?: Tag[] }>;
  deleteSecurityGroup(input: { GroupId: string }): Promise<{ Return?: boolean; GroupId?: string }>;
  authorizeSecurityGroupIngress(input: {
    GroupId: string;
    IpPermissions: IpPermission[];
  }): Promise<{ Return?: boolean; SecurityGroupRules?: SecurityGroupRule[] }>;
  authorizeSecurityGroupEgress(input: {
    GroupId: string;
    IpPermissions: IpPermission[];
  }): Promise<{ Return?: boolean; SecurityGroupRules?: SecurityGroupRule[] }>;
  revokeSecurityGroupIngress(input: {
    GroupId: string;
    IpPermissions?: IpPermission[];
    SecurityGroupRuleIds?: string[];
  }): Promise<{ Return?: boolean; UnknownIpPermissions?: IpPermission[] }>;
  revokeSecurityGroupEgress(input: {
    GroupId: string;
    IpPermissions?: IpPermission[];
    SecurityGroupRuleIds?: string[];
  }): Promise<{ Return?: boolean; UnknownIpPermissions?: IpPermission[] }>;
  updateSecurityGroupRuleDescriptionsIngress(input: {
    GroupId: string;
    IpPermissions: IpPermission[];
  }): Promise<{ Return?: boolean }>;
  updateSecurityGroupRuleDescriptionsEgress(input: {
    GroupId: string;
    IpPermissions: IpPermission[];
  }): Promise<{ Return?: boolean }>;
  modifyNetworkInterfaceAttribute(input: { NetworkInterfaceId: string; Groups: string[] }): Promise<unknown>;
  /** Adds tags, or overwrites the value of a key the resource has (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_CreateTags.html). */
  createTags(input: { Resources: string[]; Tags: Tag[] }): Promise<unknown>;
  /**
   * Deletes tags; one given with a `Value` only while the resource's value is that one
   * (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DeleteTags.html). `Tags` is required here: EC2 deletes
   * every tag of the resources when it is left out.
   */
  deleteTags(input: { Resources: string[]; Tags: Tag[] }): Promise<unknown>;
}

/**
 * The owner services (handlers/core/owners/: Lambda, RDS, ELBv2, EFS, VPC endpoints, ElastiCache): each resource's
 * group list is read and replaced through its own API, and its interfaces follow. Errors carry the service's error
 * code in `name`, except "busy with another update", which is `ResourceBusy` whatever the service (the original code in
 * the message). AWS: handlers/adapters/aws/services.ts; local: handlers/adapters/local/service-simulator.ts; both
 * dispatch to one adapter per service through handlers/adapters/owner-services.ts.
 */
export interface ServicesPort {
  /** The resources of `service` in the VPC whose groups include `groupId` (owners an interface does not name). */
  findUsing(service: OwnerService, vpcId: string, groupId: string): Promise<ResourceState[]>;
  /** The resource of `service` that has `member` (an ElastiCache node's replication group, or the node itself). */
  resolveMember(service: OwnerService, member: string): Promise<ResourceState | undefined>;
  /** The resource's groups now; undefined when it no longer exists. */
  describe(ref: ResourceRef): Promise<ResourceState | undefined>;
  /**
   * Replaces the resource's whole group list (ApplyImmediately where the service has it); `change` names the
   * remediation, for services that create something to do it (a launch template version, a launch configuration).
   */
  setGroups(ref: ResourceRef, groups: string[], change?: ResourceChange): Promise<void>;
  /**
   * Whether the resource moves back by `restore` (its service's adapter has one) rather than by swapping its groups
   * back: the move back of a launch source is putting back the versions and configurations it used.
   */
  restores(ref: ResourceRef): boolean;
  /**
   * Puts the resource back as `before` (discovery's state: groups and config) and deletes what `change` created for
   * it. Idempotent: a re-run after a crash at any point finishes the job.
   */
  restore(ref: ResourceRef, before: ResourceState, change: ResourceChange): Promise<void>;
  /** Waits until the service has applied the last change to the resource's groups (Lambda LastUpdateStatus, …). */
  waitUntilSettled(ref: ResourceRef): Promise<void>;
}

/**
 * One owner service's resources, as its adapter reaches them (the AWS SDK or the local model): what the
 * ServicesPort dispatches to by resource kind. Errors are the service's own; the dispatcher names them.
 */
export interface OwnerAdapter {
  describe(ref: ResourceRef): Promise<ResourceState | undefined>;
  setGroups(ref: ResourceRef, groups: string[], change?: ResourceChange): Promise<void>;
  /** For services a group swap cannot move back exactly (launch sources): see ServicesPort.restore. */
  restore?(ref: ResourceRef, before: ResourceState, change: ResourceChange): Promise<void>;
  /** Whether the service has applied the last change to the resource's groups. */
  settled(ref: ResourceRef): Promise<boolean>;
  /** For services whose interfaces ask for a VPC lookup (OwnerLookup without a member). */
  findUsing?(vpcId: string, groupId: string): Promise<ResourceState[]>;
  /** For services whose interfaces name a member (OwnerLookup with one). */
  resolveMember?(member: string): Promise<ResourceState | undefined>;
}

/**
 * Service Quotas, for the account's applied VPC quotas (rules per security group, security groups per interface).
 * Shapes and error names as in @aws-sdk/client-service-quotas (`NoSuchResourceException` when no applied value is
 * available, `AccessDeniedException`, …). AWS: handlers/adapters/aws/service-quotas.ts; local:
 * handlers/adapters/local/service-quotas-simulator.ts.
 */
/** The organization the deployment runs in (AWS Organizations), for an audit of every member account. */
export interface OrganizationPort {
  /** Every account of the organization that is ACTIVE (not suspended, closing or closed), by id. */
  activeAccounts(): Promise<string[]>;
}

export interface ServiceQuotasPort {
  /** https://docs.aws.amazon.com/servicequotas/2019-06-24/apireference/API_GetServiceQuota.html */
  getServiceQuota(input: { ServiceCode: string; QuotaCode: string }): Promise<{ Quota?: { Value?: number } }>;
  /** https://docs.aws.amazon.com/servicequotas/2019-06-24/apireference/API_GetAWSDefaultServiceQuota.html */
  getAWSDefaultServiceQuota(input: { ServiceCode: string; QuotaCode: string }): Promise<{ Quota?: { Value?: number } }>;
}

/**
 * CloudFormation, for the stacks that manage what a remediation moved (core/stacks.ts). DescribeStacks with a stack
 * name answers that stack (times as ISO strings here); a stack that does not exist (or was deleted, when named by
 * name) is a `ValidationError` "Stack with id <name> does not exist"
 * (https://docs.aws.amazon.com/AWSCloudFormation/latest/APIReference/API_DescribeStacks.html). AWS:
 * handlers/adapters/aws/cloudformation.ts; local: handlers/adapters/local/stacks-simulator.ts.
 */
export interface StacksPort {
  describeStacks(input: { StackName: string }): Promise<{ Stacks?: StackDescription[] }>;
}

/** Where the EC2 calls for one finding go: the account and region the default group lives in. */
export interface Ec2Target {
  accountId: string;
  region: string;
}

/** A blob store for snapshots and plans (S3 bucket or a local directory). */
export interface ObjectStore {
  /** Writes `body` at `key`. With `ifAbsent`, fails with a `PreconditionFailed` error when the key already exists. */
  put(key: string, body: string, options?: { ifAbsent?: boolean }): Promise<void>;
  /** The body at `key`, or undefined when there is none. */
  get(key: string): Promise<string | undefined>;
}

export interface LockHolder {
  remediationId: string;
  /** Proof of ownership: only the holder (and the rollback it starts) knows it. */
  token: string;
  /** What holds it: `remediation` or `rollback`. */
  kind: 'remediation' | 'rollback';
  /** Epoch seconds after which the lock may be taken over (a crashed run must not block forever). */
  expiresAt: number;
  /**
   * Left by a rollback of `remediationId` that failed: nothing else may touch the group, but a rollback of the same
   * remediation may take the lock over, so a person can re-run it once the cause is fixed.
   */
  failedRollback?: boolean;
}

export type LockResult = { acquired: true } | { acquired: false; heldBy: Omit<LockHolder, 'token'> };

export interface RemediationRecord {
  remediationId: string;
  accountId: string;
  region: string;
  groupId: string;
  vpcId?: string;
  findingId?: string;
  productArn?: string;
  status: string;
  replacementGroupId?: string;
  updatedAt: string;
}

export type ApprovalStatus = 'pending' | 'approved' | 'rejected' | 'expired';

export interface ApprovalRecord {
  /** Opaque id carried by links (≥128 random bits); the task token never leaves the ledger. */
  approvalId: string;
  remediationId: string;
  taskToken: string;
  status: ApprovalStatus;
  /** Epoch seconds. */
  expiresAt: number;
  createdAt: string;
  decidedAt?: string;
}

export type RollbackLinkStatus = 'pending' | 'used' | 'expired';

/** A one-click rollback link of a completion notice: `/rollbacks/<linkId>` starts the rollback of one remediation. */
export interface RollbackLinkRecord {
  /** Opaque id carried by the link (≥128 random bits). */
  linkId: string;
  remediationId: string;
  status: RollbackLinkStatus;
  /** Epoch seconds. */
  expiresAt: number;
  createdAt: string;
  /**
   * Random key (≥256 bits) of the page's anti-CSRF token: HMAC(csrfSecret, link id) in the form. Stays in the ledger,
   * like an approval's task token.
   */
  csrfSecret: string;
  usedAt?: string;
  /** The rollback execution the link started, once it is known. */
  executionArn?: string;
}

/**
 * One run's line in an approval digest (docs/decisions.md, "One decision per batch"): a run waiting for its approval,
 * or the outcome of a run (done, blocked, rejected) that a batch reports together. Account, region and plan come from the run's snapshot.
 */
export type DigestEntry =
  | { kind: 'approval'; remediationId: string; approvalId: string }
  | {
      kind: 'outcome';
      event: DigestOutcomeEvent;
      remediationId: string;
      accountId: string;
      region: string;
      groupId: string;
      /** The completion's rollback link (deployed runs). */
      rollbackLinkId?: string;
      /** Why it was blocked, or what the re-check found (at most a notice's list). */
      reasons?: string[];
    };

/** Outcomes a digest reports: done (no approval was needed, or it was approved), blocked, rejected, rolled back. */
export type DigestOutcomeEvent = 'remediated' | 'blocked' | 'rejected' | 'rolled-back';

/** A digest sent for a closed window: `/digests/<digestId>` lists its entries and decides its approvals. */
export interface DigestRecord {
  /** Opaque id carried by the link (≥128 random bits). */
  digestId: string;
  /** Epoch seconds: the start of the window the entries joined. */
  windowStart: number;
  entries: DigestEntry[];
  createdAt: string;
  /** Epoch seconds: the latest deadline of its approvals (after it the page only reports). */
  expiresAt: number;
  /** Random key of the page's anti-CSRF token (csrf.ts), like a rollback link's. */
  csrfSecret: string;
}

/** The ledger: locks, remediation records, approvals and rollback links (DynamoDB table or a local JSON file). */
export interface Ledger {
  /**
   * Takes the lock on `lockKey` if it is free, expired, already held with the same token, or — for a rollback — left
   * by a failed rollback of the same remediation.
   */
  acquireLock(lockKey: string, holder: LockHolder, nowEpochSeconds: number): Promise<LockResult>;
  /** Releases the lock if `token` holds it; releasing a lock not held is a no-op. */
  releaseLock(lockKey: string, token: string): Promise<void>;
  /** Marks the lock `token` holds as left by a failed rollback ({@link LockHolder.failedRollback}); else a no-op. */
  keepLockForRollback(lockKey: string, token: string): Promise<void>;
  putRemediation(record: RemediationRecord): Promise<void>;
  getRemediation(remediationId: string): Promise<RemediationRecord | undefined>;
  putApproval(record: ApprovalRecord): Promise<void>;
  getApproval(approvalId: string): Promise<ApprovalRecord | undefined>;
  /** Moves a pending, unexpired approval to `status`; answers the record as it was if it was not pending. */
  decideApproval(
    approvalId: string,
    status: 'approved' | 'rejected',
    nowEpochSeconds: number,
  ): Promise<{ decided: boolean; record?: ApprovalRecord }>;
  /** Stores (or overwrites) a rollback link. */
  putRollbackLink(record: RollbackLinkRecord): Promise<void>;
  getRollbackLink(linkId: string): Promise<RollbackLinkRecord | undefined>;
  /**
   * Marks a pending, unexpired link `used` (one conditional write: of two callers, one wins). Answers the record as it
   * was when it was not pending, with status `expired` for a pending link past its expiry; no record for an unknown id.
   */
  claimRollbackLink(
    linkId: string,
    nowEpochSeconds: number,
  ): Promise<{ claimed: boolean; record?: RollbackLinkRecord }>;
  /**
   * Adds `entry` to the window starting at `windowStart` and lists the window as open. False when the window's digest
   * was already sent (the entry came late, or the window is full): the caller then sends its own notice.
   */
  joinDigestWindow(windowStart: number, entry: DigestEntry, expiresAt: number): Promise<boolean>;
  /** The start of every window whose digest is not sent yet. */
  openDigestWindows(): Promise<number[]>;
  /** Closes the window once (of two callers, one wins) and answers its entries; undefined if it was closed before. */
  closeDigestWindow(windowStart: number, expiresAt: number): Promise<DigestEntry[] | undefined>;
  putDigest(record: DigestRecord): Promise<void>;
  getDigest(digestId: string): Promise<DigestRecord | undefined>;
}

export interface Notification {
  subject: string;
  message: string;
}

/** SNS topic or the console. */
export interface Notifier {
  publish(notification: Notification): Promise<void>;
}

export interface FindingRef {
  /** ASFF `Id`, or OCSF `finding_info.uid` (new Security Hub). */
  findingId: string;
  /** ASFF `ProductArn` (`…::product/…`), or OCSF `metadata.product.uid` (`…::productv2/…`): says which API. */
  productArn: string;
  /** The finding's account (OCSF `cloud.account.uid`): part of the new Security Hub's finding identifier. */
  accountId?: string;
}

/** Security Hub BatchUpdateFindings, or nothing locally. */
export interface FindingsUpdater {
  update(
    finding: FindingRef,
    change: { workflowStatus?: 'NEW' | 'NOTIFIED' | 'RESOLVED'; note: string },
  ): Promise<void>;
}

export interface Logger {
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

/** Sends a waiting task's token back to Step Functions (SendTaskSuccess / SendTaskFailure), or settles it locally. */
export interface TaskCallbacks {
  succeed(taskToken: string, output: unknown): Promise<void>;
  fail(taskToken: string, error: string, cause: string): Promise<void>;
}

/** The `name` of the error TaskCallbacks throw when the execution no longer waits for the token (ended, timed out). */
export const EXECUTION_ENDED = 'ExecutionEnded';

/** Starts the rollback state machine for a remediation (StartExecution, or the local runner). */
export interface RollbackStarter {
  /** Starting twice for one remediation answers the execution already started rather than a second one. */
  start(remediationId: string): Promise<{ executionArn: string }>;
}

/** Time for pacing and throttling: the real clock in Lambda, a virtual one in the benchmark (an hour runs in seconds). */
export interface Clock {
  /** Milliseconds since the epoch (real or virtual). */
  now(): number;
  sleep(ms: number): Promise<void>;
}

/** Starts the remediation state machine for one group of a batch (the custom action on several findings). */
export interface RemediationStarter {
  /**
   * Starts an execution under `name` with `input`. A name already used (the same batch delivered twice) answers the
   * existing execution with `alreadyStarted`, not a second run.
   */
  start(name: string, input: unknown): Promise<{ executionArn: string; alreadyStarted: boolean }>;
}
