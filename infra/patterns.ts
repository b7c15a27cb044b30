/**
 * The EventBridge event patterns of the triggers, as data, so that the tests can run them against the sample events
 * (test/infra/patterns.test.ts with the matcher of test/infra/event-pattern.ts).
 *
 * Which findings are EC2.2 follows handlers/core/finding.ts (its LEGACY_IDS table): the consolidated control id
 * (`Compliance.SecurityControlId = EC2.2`), or a per-standard finding whose GeneratorId names both the standard
 * version and its id of the control — CIS 1.2.0 `4.3` (also in the ruleset-ARN form), CIS 1.4.0 `5.3`, CIS 3.0.0
 * `5.4`, CIS 5.0.0 `5.5`, AWS FSBP `EC2.2`, PCI DSS 3.2.1 `PCI.EC2.2`. A CIS id alone is not enough (`5.4` of CIS 1.4.0
 * is another control). The parser re-checks all of this; the pattern only keeps other findings from starting runs.
 */
import { WATCHED_CALLS } from '../handlers/core/watch.ts';
import { TIGHTEN_ACTION_NAME } from '../handlers/steps/dispatch-tighten.ts';

export const SECURITY_HUB_SOURCE = 'aws.securityhub';
export const FINDINGS_IMPORTED = 'Security Hub Findings - Imported';
export const FINDINGS_CUSTOM_ACTION = 'Security Hub Findings - Custom Action';
/** The new Security Hub's (OCSF) findings (https://docs.aws.amazon.com/securityhub/latest/userguide/securityhub-v2-cwe-event-formats.html). */
export const FINDINGS_IMPORTED_V2 = 'Findings Imported V2';

/** `<standard>/v/<version>` → the id of EC2.2 in that standard (mirrors LEGACY_IDS in handlers/core/finding.ts). */
export const LEGACY_CONTROL_IDS: Readonly<Record<string, string>> = {
  'aws-foundational-security-best-practices/v/1.0.0': 'EC2.2',
  'cis-aws-foundations-benchmark/v/1.2.0': '4.3',
  'cis-aws-foundations-benchmark/v/1.4.0': '5.3',
  'cis-aws-foundations-benchmark/v/3.0.0': '5.4',
  'cis-aws-foundations-benchmark/v/5.0.0': '5.5',
  'pci-dss/v/3.2.1': 'PCI.EC2.2',
};

type Matcher = string | { prefix: string } | { suffix: string };

/** The GeneratorId forms of a per-standard EC2.2 finding. */
function legacyGeneratorIds(): Matcher[] {
  const ids: Matcher[] = [];
  for (const [standard, control] of Object.entries(LEGACY_CONTROL_IDS)) {
    ids.push(`${standard}/${control}`);
    // CIS 1.2.0 findings may name the rule by its ruleset ARN (any partition): arn:aws:securityhub:::ruleset/…/rule/4.3
    if (standard.startsWith('cis-aws-foundations-benchmark/v/1.2.0')) {
      ids.push({ suffix: `:securityhub:::ruleset/${standard}/rule/${control}` });
    }
  }
  return ids;
}

/** Security Hub CSPM (ASFF): new, active, FAILED EC2.2 findings of Security Hub's own product. */
const ASFF_IMPORTED = {
  'detail-type': [FINDINGS_IMPORTED],
  detail: {
    findings: {
      ProductArn: [{ suffix: '::product/aws/securityhub' }],
      Compliance: { Status: ['FAILED'] },
      Workflow: { Status: ['NEW'] },
      RecordState: ['ACTIVE'],
      $or: [{ Compliance: { SecurityControlId: ['EC2.2'] } }, { GeneratorId: legacyGeneratorIds() }],
    },
  },
};

/**
 * The new Security Hub (OCSF Compliance Finding, class 2003): Security Hub's own product (`productv2`), compliance
 * status_id 3 (Fail), finding status_id 1 (New), not a Close (activity_id 3), control EC2.2 — or a per-standard id with its one standard, as in
 * LEGACY_CONTROL_IDS. The workflow's own update (status_id 4, Resolved) does not match, as Workflow NEW above.
 */
const OCSF_IMPORTED = {
  'detail-type': [FINDINGS_IMPORTED_V2],
  detail: {
    findings: {
      class_uid: [2003],
      metadata: { product: { uid: [{ suffix: '::productv2/aws/securityhub' }] } },
      compliance: { status_id: [3] },
      status_id: [1],
      activity_id: [{ 'anything-but': 3 }],
      $or: [
        { compliance: { control: ['EC2.2'] } },
        ...Object.entries(LEGACY_CONTROL_IDS).map(([standard, control]) => ({
          compliance: { control: [control], standards: [`standards/${standard}`, `ruleset/${standard}`] },
        })),
      ],
    },
  },
};

/**
 * New, active, FAILED EC2.2 findings from Security Hub's own product (`autoRemediate`), in either format: ASFF
 * (Security Hub CSPM) or OCSF (the new Security Hub). Workflow NEW / status New keeps the workflow's own updates
 * (RESOLVED, NOTIFIED) and suppressed findings from starting another run.
 */
export const FINDING_IMPORTED_PATTERN = {
  source: [SECURITY_HUB_SOURCE],
  $or: [ASFF_IMPORTED, OCSF_IMPORTED],
} as const;

/**
 * A Security Hub custom action: events of exactly that action (its ActionTarget ARN is the event's only resource).
 * The finding itself is checked by the handler (a custom action may be run on any finding; refusing it with a reason
 * tells the operator more than a silently dropped event).
 */
export function customActionPattern(actionTargetArn: string) {
  return {
    source: [SECURITY_HUB_SOURCE],
    'detail-type': [FINDINGS_CUSTOM_ACTION],
    resources: [actionTargetArn],
  };
}

/**
 * The watcher's events (config `watch`): successful EC2 calls, as CloudTrail records them, that add a rule to a group
 * or put a group on an interface (core/watch.ts WATCHED_CALLS). EC2's API calls reach EventBridge as "AWS API Call via
 * CloudTrail" events of source `aws.ec2` with `eventSource` `ec2.amazonaws.com`
 * (https://docs.aws.amazon.com/eventbridge/latest/ref/events-ref-ec2.html), only while a CloudTrail trail records
 * management events (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-service-event.html). A call that
 * failed carries `errorCode` and changed nothing. Which group, and whether it is a stripped default group, the pattern
 * cannot tell (it cannot read tags): the watcher reads the groups.
 */
export const WATCH_PATTERN = {
  source: ['aws.ec2'],
  'detail-type': ['AWS API Call via CloudTrail'],
  detail: {
    eventSource: ['ec2.amazonaws.com'],
    eventName: [...WATCHED_CALLS],
    errorCode: [{ exists: false }],
  },
};

/** The custom actions: id (the last part of the ActionTarget ARN, `action/custom/<id>`), name, description. */
export const CUSTOM_ACTIONS = {
  remediate: {
    id: 'RemediateEC22',
    name: 'Remediate EC2.2',
    description: 'Move what uses the default security group to a copy, then strip it (after approval)',
  },
  rollback: {
    id: 'RollbackEC22',
    name: 'Roll back EC2.2',
    description: 'Put the default security group back as it was before its EC2.2 remediation',
  },
  // Names are at most 20 characters (CreateActionTarget): "Tighten the copy (EC2.2)" would not fit.
  tighten: {
    id: 'TightenEC22Copy',
    name: TIGHTEN_ACTION_NAME,
    description: "Narrow a remediated group's copy to the traffic its flow logs show (after approval)",
  },
} as const;
