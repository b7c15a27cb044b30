/**
 * One Lambda function per step of `handlers/steps/index.ts`: its entry, its size, and exactly what its handler calls.
 *
 * The access lists are read off the handler code (keep them in step when a handler changes):
 *   - EC2: `handlers/steps/*.ts` through `handlers/steps/ec2-ops.ts` (describe → Describe*, addRules → Authorize* +
 *     UpdateSecurityGroupRuleDescriptions*, removeRules → Revoke*, swapGroups → ModifyNetworkInterfaceAttribute);
 *   - the ledger: `handlers/adapters/aws/dynamodb-ledger.ts` (acquireLock → PutItem + GetItem on `lock#…`,
 *     releaseLock → DeleteItem on `lock#…`, putRemediation → PutItem, getRemediation → GetItem on `remediation#…`,
 *     putApproval → PutItem on `approval#…`, putRollbackLink → PutItem on `rollback-link#…`);
 *   - the store: `handlers/core/snapshot.ts` keys (`plans/<id>.json`, `snapshots/<id>.json`), and a tightening's
 *     (`handlers/core/tighten.ts`: `tighten-plans/<id>.json`, `tightenings/<id>.json`);
 *   - SNS Publish (requestApproval, notify) and Security Hub BatchUpdateFindings (updateFinding).
 * Timeouts stay below the `TimeoutSeconds` of every Task that calls the function (test/infra/workflows.test.ts checks
 * it), so a slow call ends as a retryable `Sandbox.Timedout` rather than a state timeout with the function still
 * running.
 */
import type { AuditStepName } from '../handlers/steps/audit.ts';
import type { StepName } from '../handlers/steps/index.ts';
import type { ServicesAccess } from './services-policy.ts';

export type Ec2Read =
  | 'DescribeSecurityGroups'
  | 'DescribeNetworkInterfaces'
  | 'DescribeSecurityGroupReferences'
  | 'DescribeVpcs'
  | 'DescribeManagedPrefixLists'
  | 'DescribeStaleSecurityGroups'
  | 'DescribeVpcPeeringConnections'
  | 'DescribeTags';

/**
 * EC2 changes, each a set of actions with its own resource scope and conditions (infra/ec2-policy.ts):
 * - `create-replacement`: CreateSecurityGroup carrying the remediation tag, and CreateTags only within that call;
 * - `replacement-rules`: Authorize/Revoke/UpdateDescriptions on groups carrying the remediation tag (the copy);
 * - `add-rules`: Authorize/UpdateDescriptions on groups of this account's VPCs (twins, restored rules);
 * - `revoke-rules`: Revoke on groups of this account's VPCs (the strip, removing twins);
 * - `move-interfaces`: ModifyNetworkInterfaceAttribute (the group swap) on this account's interfaces;
 * - `delete-replacement`: DeleteSecurityGroup on groups carrying the remediation tag;
 * - `mark-default`: CreateTags with exactly the mark of a stripped default group (handlers/core/marker.ts);
 * - `unmark-default`: CreateTags / DeleteTags of the mark's keys, on groups carrying the mark's status tag.
 */
export type Ec2Write =
  | 'create-replacement'
  | 'replacement-rules'
  | 'add-rules'
  | 'revoke-rules'
  | 'move-interfaces'
  | 'delete-replacement'
  | 'mark-default'
  | 'unmark-default';

export type LedgerAction = 'PutItem' | 'GetItem' | 'UpdateItem' | 'DeleteItem';
export type LedgerItem = 'lock' | 'remediation' | 'approval' | 'rollback-link' | 'digest-window' | 'digest';
/** Key areas of the store: plans, snapshots (any revision), and only the later revisions the re-check writes. */
export type StoreArea =
  | 'plans'
  | 'snapshots'
  | 'snapshot-revisions'
  | 'tighten-plans'
  | 'tightenings'
  | 'audit-parts'
  | 'audit-reports';

export interface Access {
  ec2Read?: Ec2Read[];
  ec2Write?: Ec2Write[];
  ledger?: { actions: LedgerAction[]; items: LedgerItem[] };
  readObjects?: StoreArea[];
  writeObjects?: StoreArea[];
  /**
   * s3:ListBucket, so that reading a missing key answers 404 (NoSuchKey → "not there") instead of 403: for the
   * handlers where a missing object is an expected answer, not an error.
   */
  listObjects?: boolean;
  publish?: boolean;
  updateFindings?: boolean;
  /**
   * The services owning requester-managed interfaces (infra/services-policy.ts): `read` their groups (Discover,
   * Re-check, Verify, VerifyRollback), `move` them (MoveInterfaces, MoveBack).
   */
  services?: ServicesAccess;
  /**
   * Service Quotas reads (servicequotas:GetServiceQuota, GetAWSDefaultServiceQuota): the rules-per-group and
   * groups-per-interface quotas as the account has them (infra/account-grant.ts).
   */
  quotas?: boolean;
  /**
   * cloudformation:DescribeStacks on this account's stacks: the re-check reads the stacks the plan names
   * (handlers/core/stacks.ts) and stops while one is being updated (infra/account-grant.ts).
   */
  stacks?: boolean;
  /**
   * Reading the VPC's flow logs (handlers/adapters/flow-logs/finder.ts): DescribeFlowLogs, Logs Insights queries on
   * this account's log groups and the flow log folders of its buckets, or of the buckets the deployment names
   * (`flowLogBuckets`; infra/flow-logs-policy.ts).
   */
  flowLogs?: boolean;
}

export interface StepSpec {
  /** `handlers/lambda/<entry>.ts`, exporting `handler`. */
  entry: string;
  description: string;
  timeoutSeconds: number;
  memoryMb: number;
  /** Changes EC2: gets the reserved concurrency of `mutatingConcurrency`. */
  mutating: boolean;
  /** Gets LINK_BASE_URL (it writes links into its message). */
  links?: boolean;
  /**
   * Invoked by EventBridge (asynchronously), not by a state machine: gets the dead-letter queue for invocations that
   * keep failing, and the names of the deployment's roles (REMEDIATION_ACCOUNT_ID, MEMBER_ROLE_PREFIX) whose calls it
   * leaves out.
   */
  eventTarget?: boolean;
  access: Access;
}

const describeAll: Ec2Read[] = [
  'DescribeSecurityGroups',
  'DescribeNetworkInterfaces',
  'DescribeSecurityGroupReferences',
];
/**
 * What the planner reads besides the groups, interfaces and references, and the re-check again: the managed prefix
 * lists a rule references (counted at their maximum entries against the rules quota), the default group's stale rules
 * (DescribeStaleSecurityGroups) and the peering connections a referencing rule goes through.
 */
const planReads: Ec2Read[] = [
  'DescribeManagedPrefixLists',
  'DescribeStaleSecurityGroups',
  'DescribeVpcPeeringConnections',
];

export const STEP_SPECS: Record<StepName, StepSpec> = {
  ParseFinding: {
    entry: 'parse-finding',
    description: 'Validates the finding or direct input and derives the target (pure: no AWS calls).',
    timeoutSeconds: 20,
    memoryMb: 256,
    mutating: false,
    access: {},
  },
  TakeLock: {
    entry: 'take-lock',
    description: 'Takes the per-group lock in the ledger.',
    timeoutSeconds: 20,
    memoryMb: 256,
    mutating: false,
    access: { ledger: { actions: ['PutItem', 'GetItem'], items: ['lock'] } },
  },
  ReleaseLock: {
    entry: 'release-lock',
    description:
      'Releases the per-group lock (conditional delete on its token), or marks it re-runnable after a failed rollback.',
    timeoutSeconds: 20,
    memoryMb: 256,
    mutating: false,
    access: { ledger: { actions: ['DeleteItem', 'UpdateItem'], items: ['lock'] } },
  },
  Discover: {
    entry: 'discover',
    description: 'Reads what uses and references the default group, makes the plan and stores it.',
    timeoutSeconds: 240,
    memoryMb: 1024,
    mutating: false,
    access: {
      // DescribeTags: the CloudFormation stack of the members' instances (handlers/core/stacks.ts).
      ec2Read: [...describeAll, 'DescribeVpcs', ...planReads, 'DescribeTags'],
      writeObjects: ['plans'],
      services: { read: true },
      quotas: true,
    },
  },
  SaveSnapshot: {
    entry: 'save-snapshot',
    description: 'Seals the plan into the snapshot, written once, and records the remediation.',
    timeoutSeconds: 50,
    memoryMb: 512,
    mutating: false,
    access: {
      readObjects: ['plans', 'snapshots'],
      writeObjects: ['snapshots'],
      listObjects: true,
      ledger: { actions: ['PutItem'], items: ['remediation'] },
    },
  },
  CreateReplacement: {
    entry: 'create-replacement',
    description: 'Creates the tagged copy of the default group with its rules.',
    timeoutSeconds: 240,
    memoryMb: 512,
    mutating: true,
    access: {
      ec2Read: ['DescribeSecurityGroups'],
      ec2Write: ['create-replacement', 'replacement-rules'],
      readObjects: ['snapshots'],
      ledger: { actions: ['PutItem'], items: ['remediation'] },
    },
  },
  AddReferences: {
    entry: 'add-references',
    description: 'Adds a twin referencing the copy next to every rule that references the default group.',
    timeoutSeconds: 540,
    memoryMb: 512,
    mutating: true,
    access: { ec2Read: ['DescribeSecurityGroups'], ec2Write: ['add-rules'], readObjects: ['snapshots'] },
  },
  MoveInterfaces: {
    entry: 'move-interfaces',
    description: 'Swaps the default group for the copy on one batch of network interfaces.',
    timeoutSeconds: 840,
    memoryMb: 512,
    mutating: true,
    access: {
      ec2Read: ['DescribeNetworkInterfaces'],
      ec2Write: ['move-interfaces'],
      readObjects: ['snapshots'],
      services: { move: true },
    },
  },
  RequestApproval: {
    entry: 'request-approval',
    description:
      'Stores the task token under an opaque approval id and mails the approval link, or joins the batch window of the digest.',
    timeoutSeconds: 50,
    memoryMb: 512,
    mutating: false,
    links: true,
    access: {
      readObjects: ['snapshots'],
      // joinDigestWindow (handlers/steps/digest-window.ts): UpdateItem on `digest-window#…`; one grant per step, so
      // PutItem and UpdateItem both cover the two kinds.
      ledger: { actions: ['PutItem', 'UpdateItem'], items: ['approval', 'digest-window'] },
      publish: true,
    },
  },
  Recheck: {
    entry: 'recheck',
    description:
      'Re-reads the live state after approval: records and migrates drift that can be undone exactly, stops on the rest.',
    timeoutSeconds: 240,
    memoryMb: 1024,
    mutating: true,
    access: {
      // DescribeVpcs: who owns each VPC that references the default group (a hidden reference stops the run).
      ec2Read: [...describeAll, 'DescribeVpcs', ...planReads],
      // Migrating drift (handlers/core/drift.ts): new rules on the copy, twins of new references, new interfaces moved.
      ec2Write: ['replacement-rules', 'add-rules', 'move-interfaces'],
      readObjects: ['snapshots'],
      // Revision 2 of the snapshot (`snapshots/<id>.v2.json`), written once before the delta is migrated; ListBucket
      // so that a missing revision reads as absent.
      writeObjects: ['snapshot-revisions'],
      listObjects: true,
      services: { read: true },
      quotas: true,
      stacks: true,
    },
  },
  Strip: {
    entry: 'strip',
    description:
      "Revokes the default group's rules and the references that now have twins, then tags the group DO NOT USE (CIS 5.4).",
    timeoutSeconds: 540,
    memoryMb: 512,
    mutating: true,
    access: {
      ec2Read: ['DescribeSecurityGroups'],
      ec2Write: ['revoke-rules', 'mark-default'],
      readObjects: ['snapshots'],
      ledger: { actions: ['PutItem'], items: ['remediation'] },
    },
  },
  Verify: {
    entry: 'verify',
    description: 'Checks the result and compares the traffic of the moved interfaces, by classes, at every size.',
    timeoutSeconds: 240,
    memoryMb: 1769,
    mutating: false,
    // DescribeVpcs: who owns each VPC that references the default group (readInventoryWith checks they are covered).
    access: { ec2Read: [...describeAll, 'DescribeVpcs'], readObjects: ['snapshots'], services: { read: true } },
  },
  UpdateFinding: {
    entry: 'update-finding',
    description: 'Resolves or annotates the Security Hub finding.',
    timeoutSeconds: 50,
    memoryMb: 256,
    mutating: false,
    access: { updateFindings: true },
  },
  Notify: {
    entry: 'notify',
    description: 'Publishes the outcome notice (with the plan, and a rollback link after a remediation).',
    timeoutSeconds: 50,
    memoryMb: 512,
    mutating: false,
    links: true,
    access: {
      readObjects: ['snapshots', 'tightenings'],
      listObjects: true,
      publish: true,
      // createRollbackLink (handlers/http/rollback-links.ts) stores the completion notice's rollback link;
      // joinDigestWindow (handlers/steps/digest-window.ts) adds the outcome to its batch window.
      ledger: { actions: ['PutItem', 'UpdateItem'], items: ['rollback-link', 'digest-window'] },
    },
  },
  LoadRollback: {
    entry: 'load-rollback',
    description: 'Loads and checks the snapshot of a remediation (or a tightening) and finds its copy.',
    timeoutSeconds: 50,
    memoryMb: 512,
    mutating: false,
    access: {
      ec2Read: ['DescribeSecurityGroups'],
      readObjects: ['snapshots', 'tightenings'],
      listObjects: true,
      ledger: { actions: ['GetItem'], items: ['remediation'] },
    },
  },
  RestoreRules: {
    entry: 'restore-rules',
    description: "Puts back the default group's tags of the strip's mark, its rules and the original references.",
    timeoutSeconds: 540,
    memoryMb: 512,
    mutating: true,
    access: {
      ec2Read: ['DescribeSecurityGroups'],
      ec2Write: ['add-rules', 'unmark-default'],
      readObjects: ['snapshots'],
    },
  },
  MoveBack: {
    entry: 'move-back',
    description: 'Swaps the copy for the default group on one batch of network interfaces.',
    timeoutSeconds: 840,
    memoryMb: 512,
    mutating: true,
    access: {
      ec2Read: ['DescribeNetworkInterfaces'],
      ec2Write: ['move-interfaces'],
      readObjects: ['snapshots'],
      services: { move: true },
    },
  },
  RemoveReplacement: {
    entry: 'remove-replacement',
    description: 'Revokes the twins and deletes the copy once nothing uses it.',
    timeoutSeconds: 540,
    memoryMb: 512,
    mutating: true,
    access: {
      ec2Read: ['DescribeSecurityGroups'],
      ec2Write: ['revoke-rules', 'delete-replacement'],
      readObjects: ['snapshots'],
    },
  },
  VerifyRollback: {
    entry: 'verify-rollback',
    description: 'Compares the live state with the snapshot after a rollback.',
    timeoutSeconds: 240,
    memoryMb: 1024,
    mutating: false,
    access: {
      ec2Read: ['DescribeSecurityGroups', 'DescribeNetworkInterfaces'],
      readObjects: ['snapshots'],
      services: { read: true },
    },
  },
  ParseTighten: {
    entry: 'parse-tighten',
    description: 'Validates a tighten request: the group (the copy) and the flow log window.',
    timeoutSeconds: 20,
    memoryMb: 256,
    mutating: false,
    access: {},
  },
  ProposeTightening: {
    entry: 'propose-tightening',
    description: "Reads the VPC and the copy's flow logs and proposes least-privilege rules; changes nothing.",
    timeoutSeconds: 840,
    memoryMb: 1769,
    mutating: false,
    access: {
      ec2Read: ['DescribeSecurityGroups', 'DescribeNetworkInterfaces'],
      flowLogs: true,
      writeObjects: ['tighten-plans'],
    },
  },
  SaveTightening: {
    entry: 'save-tightening',
    description: "Seals the proposal and the copy's rules into the tightening's snapshot, written once.",
    timeoutSeconds: 50,
    memoryMb: 512,
    mutating: false,
    access: {
      readObjects: ['tighten-plans', 'tightenings'],
      writeObjects: ['tightenings'],
      listObjects: true,
      ledger: { actions: ['PutItem'], items: ['remediation'] },
    },
  },
  RequestTightening: {
    entry: 'request-tightening',
    description: 'Stores the task token under an opaque approval id and mails the tightening with its traffic diff.',
    timeoutSeconds: 50,
    memoryMb: 512,
    mutating: false,
    links: true,
    access: { readObjects: ['tightenings'], ledger: { actions: ['PutItem'], items: ['approval'] }, publish: true },
  },
  AddProposedRules: {
    entry: 'add-proposed-rules',
    description: 'Authorizes the proposed rules on the copy, before any rule is revoked.',
    timeoutSeconds: 240,
    memoryMb: 512,
    mutating: true,
    access: {
      ec2Read: ['DescribeSecurityGroups'],
      ec2Write: ['replacement-rules'],
      readObjects: ['tightenings'],
      ledger: { actions: ['PutItem'], items: ['remediation'] },
    },
  },
  RecheckTightening: {
    entry: 'recheck-tightening',
    description: "Stops the tightening when the copy's rules or members changed since the proposal.",
    timeoutSeconds: 120,
    memoryMb: 512,
    mutating: false,
    access: { ec2Read: ['DescribeSecurityGroups', 'DescribeNetworkInterfaces'], readObjects: ['tightenings'] },
  },
  RevokeBroadRules: {
    entry: 'revoke-broad-rules',
    description: "Revokes the copy's rules the proposal does not keep.",
    timeoutSeconds: 240,
    memoryMb: 512,
    mutating: true,
    access: { ec2Read: ['DescribeSecurityGroups'], ec2Write: ['replacement-rules'], readObjects: ['tightenings'] },
  },
  VerifyTightening: {
    entry: 'verify-tightening',
    description: "Checks the copy's rules are the proposal's and every observed connection is still allowed.",
    timeoutSeconds: 240,
    memoryMb: 1769,
    mutating: false,
    access: {
      ec2Read: ['DescribeSecurityGroups', 'DescribeNetworkInterfaces'],
      readObjects: ['tightenings'],
      ledger: { actions: ['PutItem'], items: ['remediation'] },
    },
  },
  RestoreCopyRules: {
    entry: 'restore-copy-rules',
    description: "Rollback of a tightening: puts the copy's rules of before back, then revokes the tightening's own.",
    timeoutSeconds: 240,
    memoryMb: 512,
    mutating: true,
    access: { ec2Read: ['DescribeSecurityGroups'], ec2Write: ['replacement-rules'], readObjects: ['tightenings'] },
  },
  VerifyCopyRules: {
    entry: 'verify-copy-rules',
    description: "Compares the copy's rules with the tightening's snapshot after a rollback.",
    timeoutSeconds: 120,
    memoryMb: 512,
    mutating: false,
    access: {
      ec2Read: ['DescribeSecurityGroups'],
      readObjects: ['tightenings'],
      ledger: { actions: ['PutItem'], items: ['remediation'] },
    },
  },
  Watch: {
    entry: 'watch',
    description:
      'Watcher: reads the groups a CloudTrail-recorded EC2 call touched and reports rules or resources put on a stripped default group.',
    timeoutSeconds: 30,
    memoryMb: 256,
    mutating: false,
    eventTarget: true,
    access: { ec2Read: ['DescribeSecurityGroups'], publish: true },
  },
};

export const STEP_NAMES = Object.keys(STEP_SPECS) as StepName[];

/** The steps the state machines invoke (all but the watcher). */
export const WORKFLOW_STEPS = STEP_NAMES.filter((name) => !STEP_SPECS[name].eventTarget);

/**
 * The steps that call the finding's account (EC2, the services owning interfaces, Service Quotas): each assumes its
 * own member role there, and that role trusts exactly this step's role (infra/member-role-stack.ts).
 */
export const EC2_STEPS = STEP_NAMES.filter((name) => {
  const access = STEP_SPECS[name].access;
  return (
    (access.ec2Read?.length ?? 0) > 0 ||
    (access.ec2Write?.length ?? 0) > 0 ||
    Boolean(access.services?.read || access.services?.move || access.quotas || access.flowLogs)
  );
});

/** The step's role name: fixed, so that member accounts can trust it by ARN (`region` keeps regions apart). */
export function stepRoleName(step: StepName | AuditStepName, region: string): string {
  return `DefaultSgRemediation-${step}-${region}`;
}

/**
 * The step's role in member accounts: `<memberRoleName>-<Step>`, one per step, holding that step's grant only
 * (docs/decisions.md, "Least privilege inside AWS").
 */
export function memberRoleNameOf(memberRoleName: string, step: StepName | AuditStepName): string {
  return `${memberRoleName}-${step}`;
}

/**
 * The organization audit's steps (state-machine/audit.asl.json), deployed only with `audit` on. Only AuditAccounts
 * reads the member accounts: Discover's reads, the owners' and the quotas' (the same per-group read), nothing else.
 */
export const AUDIT_STEP_SPECS: Record<AuditStepName, StepSpec> = {
  CheckAuditScope: {
    entry: 'check-audit-scope',
    description: "Checks the audit's accounts and regions and cuts the accounts into batches (pure: no AWS calls).",
    timeoutSeconds: 20,
    memoryMb: 256,
    mutating: false,
    access: {},
  },
  AuditAccounts: {
    entry: 'audit-accounts',
    description:
      'Audits every default group of one batch of accounts × regions through their member role, read-only, and stores the rows.',
    timeoutSeconds: 840,
    memoryMb: 1024,
    mutating: false,
    access: {
      ec2Read: STEP_SPECS.Discover.access.ec2Read ?? [],
      services: { read: true },
      quotas: true,
      writeObjects: ['audit-parts'],
    },
  },
  ReportAudit: {
    entry: 'report-audit',
    description: "Gathers the batches' rows into the audit report (JSON, CSV, HTML) in the snapshot bucket.",
    timeoutSeconds: 840,
    memoryMb: 1769,
    mutating: false,
    // ListBucket: a batch whose part is missing (its function failed) reads as absent, not as access denied.
    access: { readObjects: ['audit-parts'], writeObjects: ['audit-reports'], listObjects: true },
  },
  NotifyAudit: {
    entry: 'notify-audit',
    description: "Publishes the audit's summary notice (counts and where the report is), or that it failed.",
    timeoutSeconds: 50,
    memoryMb: 256,
    mutating: false,
    access: { publish: true },
  },
};

export const AUDIT_STEP_NAMES = Object.keys(AUDIT_STEP_SPECS) as AuditStepName[];

/** The audit step that reads member accounts: it assumes `<memberRoleName>-AuditAccounts` there. */
export const AUDIT_EC2_STEPS = AUDIT_STEP_NAMES.filter(
  (name) => (AUDIT_STEP_SPECS[name].access.ec2Read?.length ?? 0) > 0,
);

/** IAM role names are at most 64 characters: the longest `-<Step>` suffix leaves this much for the prefix. */
export const MEMBER_ROLE_PREFIX_MAX =
  64 - Math.max(...[...EC2_STEPS, ...AUDIT_EC2_STEPS].map((step) => step.length + 1));

/** The steps whose grant changes nothing in the finding's account: their member roles may only read. */
export const READ_ONLY_STEPS = EC2_STEPS.filter(
  (step) => !STEP_SPECS[step].access.ec2Write?.length && !STEP_SPECS[step].access.services?.move,
);
