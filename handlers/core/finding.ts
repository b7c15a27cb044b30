/**
 * What to remediate, from any input the remediation workflow can be started with: an EventBridge event from Security
 * Hub (findings imported, or a custom action on a chosen finding), or a direct `{ accountId, region, groupId }`.
 *
 * Pure and total: `parseRemediationInput` never throws and answers exactly one of
 *   - `target`  — a FAILED EC2.2 finding on a VPC default security group (or a direct input): remediate it;
 *   - `skip`    — a well-formed EC2.2 finding that needs no action (PASSED, suppressed, resolved, archived…);
 *   - `invalid` — refused, nothing changes; `reasons` are short sentences naming the field.
 * Invalid wins over skip: `skip` is only answered for a finding that is otherwise completely valid, so a hostile event
 * can never reach a code path that does anything, and an operator reading "skipped" knows the event itself was sound.
 *
 * Which findings are EC2.2. Security Hub reports one control under several ids (docs corpus, "Security Hub EC2.2 CIS
 * 4.3 5.3 5.4" and "Security Hub consolidated control findings SecurityControlId ProductFields ControlId":
 * https://docs.aws.amazon.com/securityhub/latest/userguide/ec2-controls.html#ec2-2,
 * https://docs.aws.amazon.com/securityhub/latest/userguide/cis-aws-foundations-benchmark.html,
 * https://docs.aws.amazon.com/securityhub/latest/userguide/sample-control-findings.html,
 * https://docs.aws.amazon.com/securityhub/latest/userguide/controls-findings-create-update.html#consolidated-control-findings):
 *   - consolidated control findings (ControlFindingGenerator = SECURITY_CONTROL, the default since 2023):
 *     `Compliance.SecurityControlId = "EC2.2"`, `GeneratorId = "security-control/EC2.2"`;
 *   - per-standard findings (STANDARD_CONTROL): the control id in `ProductFields.ControlId` (or `ProductFields.RuleId`
 *     for CIS 1.2.0) and the standard in `GeneratorId` / `ProductFields.StandardsGuideArn` / `StandardsArn`:
 *       AWS FSBP 1.0.0 `EC2.2` · CIS 1.2.0 `4.3` · CIS 1.4.0 `5.3` · CIS 3.0.0 `5.4` · CIS 5.0.0 `5.5` ·
 *       PCI DSS 3.2.1 `PCI.EC2.2`.
 *     A CIS id is only taken together with its CIS version: `5.4` of CIS 1.4.0 (or of any other standard) is another
 *     control and is refused.
 *
 * Which findings need no action. `Compliance.Status` (https://docs.aws.amazon.com/securityhub/1.0/APIReference/API_Compliance.html):
 *   - FAILED        → remediate;
 *   - PASSED        → skip: the default group already has no rules;
 *   - NOT_AVAILABLE → skip: the check could not run (service outage, or the Config evaluation was NOT_APPLICABLE, e.g.
 *                     the group or its VPC was deleted; Security Hub archives such findings). Nothing proves the group
 *                     has rules, and the workflow never acts on a guess;
 *   - WARNING       → skip for the same reason (information missing, or the check is unsupported here).
 * `Workflow.Status` SUPPRESSED or RESOLVED (or the deprecated `WorkflowState` RESOLVED when `Workflow` is absent) and
 * `RecordState` ARCHIVED → skip. This holds for custom actions too: an operator who wants a suppressed finding
 * remediated unsuppresses it first; and the workflow's own success marks the finding RESOLVED, so a replayed event
 * is a no-op.
 *
 * Who can send a finding. Any account that may call `BatchImportFindings` can import a finding with arbitrary fields
 * under its own product ARN, so only findings whose `ProductArn` is Security Hub's own
 * (`arn:<partition>:securityhub:<region>::product/aws/securityhub`) are accepted.
 *
 * The new Security Hub (OCSF). Its findings reach EventBridge as "Findings Imported V2" events, one finding each
 * (https://docs.aws.amazon.com/securityhub/latest/userguide/securityhub-v2-cwe-event-formats.html), in OCSF 1.6
 * (https://docs.aws.amazon.com/securityhub/latest/userguide/securityhub-ocsf.html). A control finding is an OCSF
 * Compliance Finding (`class_uid` 2003, https://schema.ocsf.io/1.6.0/classes/compliance_finding) and is read with the
 * same strictness as ASFF (`parseOcsfFinding`):
 *   - producer: `metadata.product.uid` is Security Hub's own, `arn:<partition>:securityhub:<region>::productv2/aws/securityhub`
 *     (`metadata.product.name`, when present, "Security Hub");
 *   - control: `compliance.control` is the consolidated id `EC2.2` (v2 findings are consolidated), or a per-standard id
 *     that `compliance.standards` (`standards/<standard>/v/<version>`, `ruleset/…`) makes EC2.2 — same table as ASFF;
 *   - result: `compliance.status_id` (OCSF: 0 Unknown, 1 Pass, 2 Warning, 3 Fail, 99 Other), its caption
 *     `compliance.status` and Security Hub's `compliance.status_code` (`FAILED`, `PASSED`…) must agree; Fail → remediate,
 *     anything else → skip with the reason;
 *   - state: the finding's `status_id` (OCSF: 1 New, 2 In Progress → act; 3 Suppressed, 4 Resolved, 5 Archived,
 *     6 Deleted, 0 Unknown, 99 Other → skip) and `activity_id` 3 (Close: Security Hub no longer tracks it) → skip;
 *   - the group: exactly one `AWS::EC2::SecurityGroup` resource, its `uid` / `uid_alt` the group id or its ARN (both
 *     naming the same group), consistent with `cloud.account.uid`, `cloud.region`, `resources[].region`,
 *     `resources[].cloud_partition` and `resources[].owner.account.uid`.
 * The finding is named for BatchUpdateFindingsV2 by `finding_info.uid` (findingId) and `metadata.product.uid`
 * (productArn), with `cloud.account.uid` (accountId): an OcsfFindingIdentifier
 * (https://docs.aws.amazon.com/securityhub/1.0/APIReference/API_OcsfFindingIdentifier.html). The `productv2` in the
 * product uid is what tells the updater which API a finding belongs to, also after a rollback reads it from the ledger.
 */
import { createHash } from 'node:crypto';
import * as z from 'zod';

export interface RemediationTarget {
  accountId: string;
  region: string;
  groupId: string;
  vpcId?: string;
  findingId?: string;
  productArn?: string;
  source: 'imported' | 'custom-action' | 'direct';
}

export type ParsedInput =
  | { kind: 'target'; target: RemediationTarget }
  | { kind: 'skip'; reason: string }
  | { kind: 'invalid'; reasons: string[] };

// ---------------------------------------------------------------------------------------------------------------
// Identifiers: strict, anchored, no flags that could let a newline through (`$` without /m matches only at the end,
// and every class below excludes whitespace).

export const ACCOUNT_ID = /^\d{12}$/;
export const REGION = /^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d{1,2}$/;
export const GROUP_ID = /^sg-[0-9a-f]{8}(?:[0-9a-f]{9})?$/;
export const VPC_ID = /^vpc-[0-9a-f]{8}(?:[0-9a-f]{9})?$/;
/** `arn:<partition>:ec2:<region>:<account>:security-group/<group id>` — captures partition, region, account, group. */
const SECURITY_GROUP_ARN =
  /^arn:(aws|aws-cn|aws-us-gov):ec2:([a-z0-9-]{1,32}):(\d{12}):security-group\/(sg-[0-9a-f]+)$/;
/** Security Hub's own product: the only producer of control findings. */
const SECURITY_HUB_PRODUCT_ARN =
  /^arn:(aws|aws-cn|aws-us-gov):securityhub:([a-z0-9-]{1,32})::product\/aws\/securityhub$/;
/** The new Security Hub's own product uid (OCSF `metadata.product.uid`). */
export const SECURITY_HUB_V2_PRODUCT_UID =
  /^arn:(aws|aws-cn|aws-us-gov):securityhub:([a-z0-9-]{1,32})::productv2\/aws\/securityhub$/;

/** Most characters of hostile input a reason may quote. */
const QUOTE_LIMIT = 60;
/** Most reasons reported for one input: enough to fix it, not a wall of text. */
const REASON_LIMIT = 10;

const MAX_ID = 512; // ASFF: finding Id, GeneratorId
const MAX_ARN = 2048; // ASFF: ProductArn, Resources[].Id
const MAX_FIELD = 2048; // ASFF: ProductFields values
const MAX_SHORT = 256; // statuses, names, short ids

/** A bounded, printable quote of untrusted input for a reason (JSON escaping keeps control characters visible). */
export function quote(value: unknown): string {
  let text: string;
  if (typeof value === 'string') text = value;
  else if (value === undefined) return 'nothing';
  else if (value === null || typeof value === 'number' || typeof value === 'boolean') return String(value);
  else return kindOf(value);
  const clipped = text.length > QUOTE_LIMIT ? `${text.slice(0, QUOTE_LIMIT)}…` : text;
  return JSON.stringify(clipped);
}

function kindOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') return 'an object';
  if (typeof value === 'string') return 'a string';
  if (typeof value === 'number') return 'a number';
  if (typeof value === 'boolean') return 'a boolean';
  return `a ${typeof value}`;
}

// ---------------------------------------------------------------------------------------------------------------
// Schemas: only the fields this module reads are declared; finding objects are loose (ASFF has dozens of fields),
// the direct input is strict.

const str = (max: number) => z.string().min(1).max(max);
const matching = (pattern: RegExp, what: string, max = MAX_SHORT) =>
  z
    .string()
    .max(max)
    .regex(pattern, { error: (issue) => `is not ${what}: ${quote(issue.input)}` });

const accountId = matching(ACCOUNT_ID, 'an AWS account id (12 digits)');
const region = matching(REGION, 'an AWS Region name');
const groupId = matching(GROUP_ID, 'a security group id (sg- and 8 or 17 hex digits)');

const DirectInput = z.strictObject({ accountId, region, groupId });

const COMPLIANCE_STATUSES = ['PASSED', 'WARNING', 'FAILED', 'NOT_AVAILABLE'] as const;

const Finding = z.looseObject({
  Id: str(MAX_ID),
  ProductArn: z
    .string()
    .max(MAX_ARN)
    .regex(SECURITY_HUB_PRODUCT_ARN, {
      error: (issue) =>
        `is not AWS Security Hub's own product (only Security Hub control findings are remediated): ${quote(issue.input)}`,
    }),
  GeneratorId: str(MAX_ID),
  AwsAccountId: accountId,
  Region: region,
  ProductFields: z
    .looseObject({
      ControlId: str(MAX_FIELD).optional(),
      RuleId: str(MAX_FIELD).optional(),
      StandardsGuideArn: str(MAX_FIELD).optional(),
      StandardsArn: str(MAX_FIELD).optional(),
      StandardsControlArn: str(MAX_FIELD).optional(),
    })
    .optional(),
  Compliance: z.looseObject({
    Status: z.enum(COMPLIANCE_STATUSES),
    SecurityControlId: str(MAX_SHORT).optional(),
  }),
  Workflow: z.looseObject({ Status: str(MAX_SHORT).optional() }).optional(),
  WorkflowState: str(MAX_SHORT).optional(),
  RecordState: str(MAX_SHORT).optional(),
  Resources: z
    .array(
      z.looseObject({
        Type: str(MAX_SHORT),
        Id: str(MAX_ARN),
        Partition: str(MAX_SHORT).optional(),
        Region: str(MAX_SHORT).optional(),
        Details: z
          .looseObject({
            AwsEc2SecurityGroup: z
              .looseObject({
                GroupName: z.string().max(MAX_SHORT).optional(),
                GroupId: z.string().max(MAX_SHORT).optional(),
                OwnerId: z.string().max(MAX_SHORT).optional(),
                VpcId: z.string().max(MAX_SHORT).optional(),
              })
              .optional(),
          })
          .optional(),
      }),
    )
    .min(1)
    .max(32),
});
type Finding = z.infer<typeof Finding>;

const DETAIL_TYPES = {
  'Security Hub Findings - Imported': 'imported',
  'Security Hub Findings - Custom Action': 'custom-action',
  'Findings Imported V2': 'imported',
} as const;
/** The detail-type of the new Security Hub's (OCSF) findings. */
export const FINDINGS_IMPORTED_V2 = 'Findings Imported V2';

const Event = z.looseObject({
  source: z.literal('aws.securityhub'),
  'detail-type': z.enum(Object.keys(DETAIL_TYPES) as [keyof typeof DETAIL_TYPES]),
  detail: z.looseObject({
    // Elements are validated one at a time below, after the count check.
    findings: z.array(z.unknown()).min(1),
    actionName: z.string().max(MAX_SHORT).optional(),
    actionDescription: z.string().max(MAX_FIELD).optional(),
  }),
});

// ---------------------------------------------------------------------------------------------------------------

/** What to remediate, from an EventBridge event or a direct input. Never throws. */
export function parseRemediationInput(input: unknown): ParsedInput {
  try {
    return parse(input);
  } catch {
    // Only reachable with exotic objects (throwing getters, revoked proxies): refuse, never crash the workflow.
    return invalid(['The input could not be read as plain JSON data.']);
  }
}

function parse(input: unknown): ParsedInput {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    const hint = typeof input === 'string' ? ' (parse JSON text before passing it)' : '';
    return invalid([`The input must be a JSON object, not ${kindOf(input)}${hint}.`]);
  }
  const record = input as Record<string, unknown>;
  if ('source' in record || 'detail-type' in record || 'detail' in record) return parseEvent(record);
  if ('accountId' in record || 'groupId' in record || 'region' in record) return parseDirect(record);
  return invalid([
    'The input is neither a Security Hub event (source, detail-type, detail) nor a direct input { accountId, region, groupId }.',
  ]);
}

function parseDirect(input: Record<string, unknown>): ParsedInput {
  const result = DirectInput.safeParse(input, { error: describeIssue });
  if (!result.success) return invalid(reasonsOf(result.error, ''));
  const { accountId, region, groupId } = result.data;
  return { kind: 'target', target: { accountId, region, groupId, source: 'direct' } };
}

function parseEvent(input: Record<string, unknown>): ParsedInput {
  const event = readEvent(input);
  if (event.kind === 'invalid') return event;
  const { findings, detailType } = event;
  // One finding per execution: one lock, one approval, one rollback link per default security group. A custom action
  // carrying several findings goes through `parseRemediationBatch` (the dispatcher), which starts one run per group.
  if (findings.length > 1) {
    return invalid([
      `detail.findings holds ${findings.length} findings; select one finding at a time here (one remediation per default security group) — a custom action on several findings is split into one run per group by the dispatcher.`,
    ]);
  }
  return parseEventFinding(findings[0], 'detail.findings[0]', detailType);
}

/** The envelope of a Security Hub event: its findings (not yet read) and detail-type, or why it is refused. */
function readEvent(
  input: Record<string, unknown>,
):
  | { kind: 'event'; findings: unknown[]; detailType: keyof typeof DETAIL_TYPES }
  | { kind: 'invalid'; reasons: string[] } {
  const event = Event.safeParse(input, { error: describeIssue });
  if (!event.success) return invalid(reasonsOf(event.error, ''));
  return { kind: 'event', findings: event.data.detail.findings, detailType: event.data['detail-type'] };
}

function parseEventFinding(value: unknown, at: string, detailType: keyof typeof DETAIL_TYPES): ParsedInput {
  return detailType === FINDINGS_IMPORTED_V2
    ? parseOcsfFinding(value, at)
    : parseFinding(value, at, DETAIL_TYPES[detailType]);
}

// ---------------------------------------------------------------------------------------------------------------
// Batches: a custom action on several findings

/** Security Hub sends at most 20 findings in one custom action event ("You can select a custom action for up to 20
 * findings at a time. The set of findings is sent to EventBridge as a single EventBridge event."):
 * https://docs.aws.amazon.com/securityhub/latest/userguide/securityhub-cwe-integration-types.html */
export const CUSTOM_ACTION_FINDINGS_LIMIT = 20;

/** One remediation run of a batch: the group's target (from its first finding) and every finding naming that group. */
export interface BatchRun {
  target: RemediationTarget;
  /** Indexes in `detail.findings` of the findings naming this group; the first one is the run's own. */
  findings: number[];
}

export type ParsedBatch =
  | { kind: 'batch'; runs: BatchRun[]; skipped: { index: number; reason: string }[] }
  | { kind: 'invalid'; reasons: string[] };

/**
 * What to remediate from an input that may name several groups: a custom action on up to 20 findings, or any input
 * `parseRemediationInput` takes. One run per distinct group (account, Region, group id); findings naming a group
 * already named are folded into its run. All or nothing: one invalid finding refuses the whole batch, naming it, and
 * nothing is started — the operator fixes the selection and runs the action again. Never throws.
 */
export function parseRemediationBatch(input: unknown): ParsedBatch {
  try {
    return parseBatch(input);
  } catch {
    return { kind: 'invalid', reasons: ['The input could not be read as plain JSON data.'] };
  }
}

/**
 * The execution name of a batch's run for one group: `<group id>-<24 hex digits>`, the digits a SHA-256 of the event's
 * id (EventBridge keeps it across retries; the whole input when there is none) and the group's account, Region and id.
 * The same event always names the same runs, so delivering it twice starts nothing new; another event (the action
 * used again later) names new ones. At most 45 characters of `[a-z0-9-]`: a valid execution name and remediation id.
 */
export function batchExecutionName(
  input: unknown,
  target: Pick<RemediationTarget, 'accountId' | 'region' | 'groupId'>,
): string {
  const id = (input as { id?: unknown } | null)?.id;
  const batch = typeof id === 'string' && id !== '' ? `id:${id}` : `input:${JSON.stringify(input)}`;
  const digest = createHash('sha256')
    .update(`${batch}\n${target.accountId}\n${target.region}\n${target.groupId}`)
    .digest('hex')
    .slice(0, 24);
  return `${target.groupId}-${digest}`;
}

/** A group a custom action on a remediated group names, with its findings and their notes (untrusted text). */
export interface ActionGroup {
  target: RemediationTarget;
  /** Indexes in `detail.findings` of the findings naming this group. */
  findings: number[];
  /** The `Note.Text` of each of those findings that has one, in order. */
  notes: string[];
}

/**
 * The groups of a custom action event on findings of groups already remediated ("Tighten EC2.2 copy"): the same
 * envelope, limit and per-finding strictness as `parseRemediationBatch`, whatever the findings' compliance and
 * workflow status (a remediated group's finding is PASSED and RESOLVED). Only the custom action's ASFF event is taken:
 * the note the remediation leaves is on the ASFF finding. All or nothing, never throws.
 */
export function parseActionGroups(
  input: unknown,
): { kind: 'groups'; groups: ActionGroup[] } | { kind: 'invalid'; reasons: string[] } {
  try {
    if (typeof input !== 'object' || input === null || Array.isArray(input))
      return invalid(['The input is not a Security Hub custom action event.']);
    const event = readEvent(input as Record<string, unknown>);
    if (event.kind === 'invalid') return event;
    if (DETAIL_TYPES[event.detailType] !== 'custom-action')
      return invalid([`detail-type is "${event.detailType}"; this action takes a Security Hub custom action event.`]);
    if (event.findings.length > CUSTOM_ACTION_FINDINGS_LIMIT)
      return invalid([
        `detail.findings holds ${event.findings.length} findings, over the ${CUSTOM_ACTION_FINDINGS_LIMIT} Security Hub sends in one custom action event.`,
      ]);
    const groups = new Map<string, ActionGroup>();
    const reasons: string[] = [];
    event.findings.forEach((finding, index) => {
      const parsed = parseFinding(finding, `detail.findings[${index}]`, 'custom-action', false);
      if (parsed.kind === 'invalid') reasons.push(...parsed.reasons);
      if (parsed.kind !== 'target') return;
      const { accountId, region, groupId } = parsed.target;
      const key = `${accountId}/${region}/${groupId}`;
      const group = groups.get(key) ?? { target: parsed.target, findings: [], notes: [] };
      group.findings.push(index);
      const note = (finding as { Note?: { Text?: unknown } }).Note?.Text;
      if (typeof note === 'string') group.notes.push(note);
      groups.set(key, group);
    });
    if (reasons.length > 0) {
      const unique = [...new Set(reasons)];
      return invalid(
        unique.length > REASON_LIMIT
          ? [...unique.slice(0, REASON_LIMIT), `… and ${unique.length - REASON_LIMIT} more problems.`]
          : unique,
      );
    }
    return { kind: 'groups', groups: [...groups.values()] };
  } catch {
    return invalid(['The input could not be read as plain JSON data.']);
  }
}

function parseBatch(input: unknown): ParsedBatch {
  const isEvent =
    typeof input === 'object' &&
    input !== null &&
    !Array.isArray(input) &&
    ('source' in input || 'detail-type' in input || 'detail' in input);
  if (!isEvent) {
    const single = parseRemediationInput(input);
    if (single.kind === 'invalid') return single;
    if (single.kind === 'skip') return { kind: 'batch', runs: [], skipped: [{ index: 0, reason: single.reason }] };
    return { kind: 'batch', runs: [{ target: single.target, findings: [0] }], skipped: [] };
  }
  const event = readEvent(input as Record<string, unknown>);
  if (event.kind === 'invalid') return event;
  const { findings, detailType } = event;
  const limit = DETAIL_TYPES[detailType] === 'custom-action' ? CUSTOM_ACTION_FINDINGS_LIMIT : 1;
  if (findings.length > limit) {
    return invalid([
      limit === 1
        ? `detail.findings holds ${findings.length} findings; Security Hub sends one finding per "${detailType}" event.`
        : `detail.findings holds ${findings.length} findings, over the ${limit} Security Hub sends in one custom action event.`,
    ]);
  }
  const runs = new Map<string, BatchRun>();
  const skipped: { index: number; reason: string }[] = [];
  const reasons: string[] = [];
  findings.forEach((finding, index) => {
    const parsed = parseEventFinding(finding, `detail.findings[${index}]`, detailType);
    if (parsed.kind === 'invalid') reasons.push(...parsed.reasons);
    else if (parsed.kind === 'skip') skipped.push({ index, reason: parsed.reason });
    else {
      const { accountId, region, groupId } = parsed.target;
      const key = `${accountId}/${region}/${groupId}`;
      const run = runs.get(key);
      if (run) run.findings.push(index);
      else runs.set(key, { target: parsed.target, findings: [index] });
    }
  });
  if (reasons.length > 0) {
    const unique = [...new Set(reasons)];
    return invalid(
      unique.length > REASON_LIMIT
        ? [...unique.slice(0, REASON_LIMIT), `… and ${unique.length - REASON_LIMIT} more problems.`]
        : unique,
    );
  }
  return { kind: 'batch', runs: [...runs.values()], skipped };
}

function parseFinding(
  value: unknown,
  at: string,
  source: 'imported' | 'custom-action',
  /** False for actions on a remediated group, whose finding is PASSED and RESOLVED: only its identity is read. */
  checkStatus = true,
): ParsedInput {
  const parsed = Finding.safeParse(value, { error: describeIssue });
  if (!parsed.success) return invalid(reasonsOf(parsed.error, at));
  const finding = parsed.data;

  const control = controlReasons(finding, at);
  if (control.length > 0) return invalid(control);

  const reasons: string[] = [];
  const resource = securityGroupOf(finding, at, reasons);
  if (reasons.length > 0 || !resource) return invalid(reasons);

  const skip = checkStatus ? skipReason(finding) : undefined;
  if (skip) return { kind: 'skip', reason: skip };

  const target: RemediationTarget = {
    accountId: finding.AwsAccountId,
    region: finding.Region,
    groupId: resource.groupId,
    ...(resource.vpcId ? { vpcId: resource.vpcId } : {}),
    findingId: finding.Id,
    productArn: finding.ProductArn,
    source,
  };
  return { kind: 'target', target };
}

// ---------------------------------------------------------------------------------------------------------------
// Control identification

const CONSOLIDATED_ID = 'EC2.2';

/** The per-standard ids of EC2.2: `<standard>/v/<version>` → control id. */
const LEGACY_IDS: Readonly<Record<string, string>> = {
  'aws-foundational-security-best-practices/v/1.0.0': 'EC2.2',
  'cis-aws-foundations-benchmark/v/1.2.0': '4.3',
  'cis-aws-foundations-benchmark/v/1.4.0': '5.3',
  'cis-aws-foundations-benchmark/v/3.0.0': '5.4',
  'cis-aws-foundations-benchmark/v/5.0.0': '5.5',
  'pci-dss/v/3.2.1': 'PCI.EC2.2',
};

/**
 * A standard named in a GeneratorId or standards ARN, with the control id when the string ends with one. Accepts
 * `aws-foundational-security-best-practices/v/1.0.0/EC2.2`, `cis-aws-foundations-benchmark/v/1.4.0/5.3`,
 * `arn:aws:securityhub:::ruleset/cis-aws-foundations-benchmark/v/1.2.0/rule/4.3`,
 * `arn:aws:securityhub:::ruleset/cis-aws-foundations-benchmark/v/1.2.0`,
 * `arn:aws:securityhub:us-east-1::standards/pci-dss/v/3.2.1`, `…:control/pci-dss/v/3.2.1/PCI.EC2.2`.
 */
const STANDARD_REF =
  /(?:^|\/)(aws-foundational-security-best-practices|cis-aws-foundations-benchmark|pci-dss)\/v\/(\d{1,3}\.\d{1,3}\.\d{1,3})(?:\/rule)?(?:\/([A-Za-z0-9.]{1,32}))?$/;
const SECURITY_CONTROL_GENERATOR = /^security-control\/([A-Za-z0-9.]{1,32})$/;

function controlReasons(finding: Finding, at: string): string[] {
  // Consolidated id: Compliance.SecurityControlId, or the `security-control/<id>` GeneratorId.
  const generator = SECURITY_CONTROL_GENERATOR.exec(finding.GeneratorId)?.[1];
  const securityControlId = finding.Compliance.SecurityControlId;
  if (securityControlId !== undefined && generator !== undefined && securityControlId !== generator)
    return [
      `${at}.Compliance.SecurityControlId ${quote(securityControlId)} and GeneratorId ${quote(finding.GeneratorId)} name different controls.`,
    ];
  const consolidated = securityControlId ?? generator;
  if (consolidated !== undefined && consolidated !== CONSOLIDATED_ID)
    return [`${at}.Compliance.SecurityControlId is ${quote(consolidated)}: only control EC2.2 is remediated.`];

  // Per-standard id: standard and control from every place that names them; all must agree, and when the finding
  // also carries a consolidated id (per-standard findings have had one since 2023) they must name EC2.2 too.
  const fields = finding.ProductFields ?? {};
  const sources: [string, string | undefined][] = [
    ['GeneratorId', finding.GeneratorId],
    ['ProductFields.StandardsGuideArn', fields.StandardsGuideArn],
    ['ProductFields.StandardsArn', fields.StandardsArn],
    ['ProductFields.StandardsControlArn', fields.StandardsControlArn],
  ];
  const standards = new Set<string>();
  const controls = new Set<string>();
  for (const [, value] of sources) {
    const match = value === undefined ? null : STANDARD_REF.exec(value);
    if (!match) continue;
    standards.add(`${match[1]}/v/${match[2]}`);
    if (match[3] !== undefined) controls.add(match[3]);
  }
  for (const value of [fields.ControlId, fields.RuleId]) if (value !== undefined) controls.add(value);

  if (standards.size === 0) {
    if (consolidated !== undefined) return [];
    return [
      `${at} has no Compliance.SecurityControlId and its GeneratorId ${quote(finding.GeneratorId)} names no standard that has control EC2.2.`,
    ];
  }
  if (standards.size > 1) return [`${at} names different standards in GeneratorId and ProductFields.`];
  if (controls.size === 0) return [`${at} names no control id (ProductFields.ControlId or RuleId).`];
  if (controls.size > 1) return [`${at} names different control ids in GeneratorId and ProductFields.`];

  const standard = [...standards][0] as string;
  const control = [...controls][0] as string;
  if (LEGACY_IDS[standard] !== control)
    return [
      `${at} is control ${quote(control)} of ${standard}: only EC2.2 (${standard} ${LEGACY_IDS[standard]}) is remediated.`,
    ];
  return [];
}

// ---------------------------------------------------------------------------------------------------------------
// The security group

const PARTITION_OF_REGION = (region: string): string =>
  region.startsWith('cn-') ? 'aws-cn' : region.startsWith('us-gov-') ? 'aws-us-gov' : 'aws';

function securityGroupOf(
  finding: Finding,
  at: string,
  reasons: string[],
): { groupId: string; vpcId?: string } | undefined {
  const groups = finding.Resources.map((resource, index) => ({ resource, index })).filter(
    ({ resource }) => resource.Type === 'AwsEc2SecurityGroup',
  );
  if (groups.length === 0) {
    reasons.push(`${at}.Resources has no AwsEc2SecurityGroup resource.`);
    return undefined;
  }
  if (groups.length > 1) {
    reasons.push(`${at}.Resources names ${groups.length} security groups; an EC2.2 finding names exactly one.`);
    return undefined;
  }
  const { resource, index } = groups[0] as (typeof groups)[number];
  const path = `${at}.Resources[${index}]`;

  const arn = SECURITY_GROUP_ARN.exec(resource.Id);
  if (!arn) {
    reasons.push(`${path}.Id is not a security group ARN: ${quote(resource.Id)}.`);
    return undefined;
  }
  const [, partition, arnRegion, arnAccount, id] = arn as unknown as [string, string, string, string, string];
  if (!GROUP_ID.test(id)) reasons.push(`${path}.Id holds a malformed security group id: ${quote(id)}.`);
  if (arnAccount !== finding.AwsAccountId)
    reasons.push(`${path}.Id is in account ${arnAccount}, but the finding's AwsAccountId is ${finding.AwsAccountId}.`);
  if (arnRegion !== finding.Region)
    reasons.push(`${path}.Id is in Region ${quote(arnRegion)}, but the finding's Region is ${finding.Region}.`);
  if (partition !== PARTITION_OF_REGION(finding.Region))
    reasons.push(`${path}.Id is in partition ${partition}, which does not hold Region ${finding.Region}.`);
  if (resource.Partition !== undefined && resource.Partition !== partition)
    reasons.push(`${path}.Partition ${quote(resource.Partition)} does not match the ARN's partition ${partition}.`);
  if (resource.Region !== undefined && resource.Region !== arnRegion)
    reasons.push(`${path}.Region ${quote(resource.Region)} does not match the ARN's Region ${quote(arnRegion)}.`);

  const details = resource.Details?.AwsEc2SecurityGroup;
  if (details?.GroupName !== undefined && details.GroupName !== 'default')
    reasons.push(
      `${path}.Details.AwsEc2SecurityGroup.GroupName is ${quote(details.GroupName)}: not a default security group.`,
    );
  if (details?.GroupId !== undefined && details.GroupId !== id)
    reasons.push(`${path}.Details.AwsEc2SecurityGroup.GroupId ${quote(details.GroupId)} does not match the ARN.`);
  if (details?.OwnerId !== undefined && details.OwnerId !== finding.AwsAccountId)
    reasons.push(
      `${path}.Details.AwsEc2SecurityGroup.OwnerId ${quote(details.OwnerId)} does not match the finding's AwsAccountId.`,
    );
  if (details?.VpcId !== undefined && !VPC_ID.test(details.VpcId))
    reasons.push(`${path}.Details.AwsEc2SecurityGroup.VpcId is not a VPC id: ${quote(details.VpcId)}.`);

  return { groupId: id, ...(details?.VpcId !== undefined ? { vpcId: details.VpcId } : {}) };
}

// ---------------------------------------------------------------------------------------------------------------
// Findings that need no action

function skipReason(finding: Finding): string | undefined {
  if (finding.RecordState === 'ARCHIVED')
    return 'The finding is ARCHIVED (RecordState): Security Hub no longer tracks it.';
  const workflow = finding.Workflow?.Status ?? (finding.WorkflowState === 'RESOLVED' ? 'RESOLVED' : undefined);
  if (workflow === 'SUPPRESSED')
    return 'The finding is SUPPRESSED (Workflow.Status): unsuppress it in Security Hub to remediate.';
  if (workflow === 'RESOLVED') return 'The finding is RESOLVED (Workflow.Status): nothing to do.';
  switch (finding.Compliance.Status) {
    case 'FAILED':
      return undefined;
    case 'PASSED':
      return 'The finding PASSED (Compliance.Status): the default security group already has no rules.';
    case 'NOT_AVAILABLE':
      return 'The check could not be evaluated (Compliance.Status NOT_AVAILABLE): nothing proves the group has rules.';
    case 'WARNING':
      return 'The check reported a WARNING (Compliance.Status): only FAILED findings are remediated.';
  }
}

// ---------------------------------------------------------------------------------------------------------------
// The new Security Hub: OCSF Compliance Findings (see the module comment for the sources)

/** OCSF `compliance.status_id` → its caption (`compliance.status`). https://schema.ocsf.io/1.6.0/objects/compliance */
const OCSF_COMPLIANCE_STATUS: Readonly<Record<number, string>> = {
  0: 'Unknown',
  1: 'Pass',
  2: 'Warning',
  3: 'Fail',
  99: 'Other',
};
/**
 * Security Hub's `compliance.status_code` when it carries the ASFF `Compliance.Status` names (assumed: the OCSF
 * field is the vendor's own code): each names one OCSF status_id. Other codes are not compared.
 */
const SECURITY_HUB_STATUS_CODE: Readonly<Record<string, number>> = {
  PASSED: 1,
  WARNING: 2,
  FAILED: 3,
};
/** OCSF finding `status_id` (https://schema.ocsf.io/1.6.0/classes/compliance_finding): 1 New, 2 In Progress act. */
const OCSF_FINDING_STATUS: Readonly<Record<number, string>> = {
  0: 'Unknown',
  1: 'New',
  2: 'In Progress',
  3: 'Suppressed',
  4: 'Resolved',
  5: 'Archived',
  6: 'Deleted',
  99: 'Other',
};
const OCSF_ACTIVITY_CLOSE = 3;
const OCSF_COMPLIANCE_FINDING = 2003;
const OCSF_SECURITY_GROUP = 'AWS::EC2::SecurityGroup';
const SECURITY_GROUP_UID = /^sg-[0-9a-f]+$/;

const ocsfId = (values: Readonly<Record<number, string>>) =>
  z
    .number()
    .int()
    .refine((value) => Object.hasOwn(values, value), {
      error: (issue) => `must be one of ${Object.keys(values).join(', ')}, not ${quote(issue.input)}`,
    });

const OcsfFinding = z.looseObject({
  class_uid: z.literal(OCSF_COMPLIANCE_FINDING, {
    error: (issue) =>
      issue.input === undefined
        ? 'is missing'
        : `is ${quote(issue.input)}, not ${OCSF_COMPLIANCE_FINDING} (an OCSF Compliance Finding, which control findings are)`,
  }),
  activity_id: z.number().int().optional(),
  status_id: ocsfId(OCSF_FINDING_STATUS).optional(),
  metadata: z.looseObject({
    product: z.looseObject({
      uid: z
        .string()
        .max(MAX_ARN)
        .regex(SECURITY_HUB_V2_PRODUCT_UID, {
          error: (issue) =>
            `is not AWS Security Hub's own product (only Security Hub control findings are remediated): ${quote(issue.input)}`,
        }),
      name: z.literal('Security Hub').optional(),
    }),
  }),
  finding_info: z.looseObject({ uid: str(MAX_ID) }),
  cloud: z.looseObject({
    account: z.looseObject({ uid: accountId }),
    region: region,
  }),
  compliance: z.looseObject({
    control: str(MAX_SHORT),
    standards: z.array(str(MAX_FIELD)).max(32).optional(),
    status_id: ocsfId(OCSF_COMPLIANCE_STATUS).optional(),
    status: str(MAX_SHORT).optional(),
    status_code: str(MAX_SHORT).optional(),
  }),
  resources: z
    .array(
      z.looseObject({
        type: str(MAX_SHORT),
        uid: str(MAX_ARN).optional(),
        uid_alt: str(MAX_ARN).optional(),
        region: str(MAX_SHORT).optional(),
        cloud_partition: str(MAX_SHORT).optional(),
        owner: z.looseObject({ account: z.looseObject({ uid: str(MAX_SHORT).optional() }).optional() }).optional(),
      }),
    )
    .min(1)
    .max(32),
});
type OcsfFinding = z.infer<typeof OcsfFinding>;

/** An OCSF Compliance Finding of the new Security Hub, with the same strictness as `parseFinding`. */
function parseOcsfFinding(value: unknown, at: string): ParsedInput {
  const parsed = OcsfFinding.safeParse(value, { error: describeIssue });
  if (!parsed.success) return invalid(reasonsOf(parsed.error, at));
  const finding = parsed.data;

  const control = ocsfControlReasons(finding, at);
  if (control.length > 0) return invalid(control);
  const reasons: string[] = [];
  const compliance = ocsfComplianceStatus(finding, at, reasons);
  const groupId = ocsfSecurityGroupOf(finding, at, reasons);
  if (reasons.length > 0 || groupId === undefined || compliance === undefined) return invalid(reasons);

  const skip = ocsfSkipReason(finding, compliance);
  if (skip) return { kind: 'skip', reason: skip };
  return {
    kind: 'target',
    target: {
      accountId: finding.cloud.account.uid,
      region: finding.cloud.region,
      groupId,
      findingId: finding.finding_info.uid,
      productArn: finding.metadata.product.uid,
      source: 'imported',
    },
  };
}

/** `standards/aws-foundational-security-best-practices/v/1.0.0`, `ruleset/cis-aws-foundations-benchmark/v/1.2.0`. */
const OCSF_STANDARD = /^(?:standards|ruleset)\/([a-z0-9-]{1,64}\/v\/\d{1,3}\.\d{1,3}\.\d{1,3})$/;

function ocsfControlReasons(finding: OcsfFinding, at: string): string[] {
  const { control, standards = [] } = finding.compliance;
  if (control === CONSOLIDATED_ID) return [];
  // A per-standard id is EC2.2 only together with its one standard (CIS `5.4` is EC2.2 in 3.0.0 only).
  const named = standards.map((entry) => OCSF_STANDARD.exec(entry)?.[1]).filter((entry) => entry !== undefined);
  const unique = [...new Set(named)];
  const standard = unique.length === 1 ? (unique[0] as string) : undefined;
  if (standard !== undefined && LEGACY_IDS[standard] === control) return [];
  return [
    standard === undefined
      ? `${at}.compliance.control is ${quote(control)}: only control EC2.2 is remediated.`
      : `${at}.compliance.control is ${quote(control)} of ${standard}: only EC2.2 (${standard} ${LEGACY_IDS[standard] ?? 'has no such control'}) is remediated.`,
  ];
}

/** The compliance result as an OCSF status_id, read from status_id, status and status_code, which must agree. */
function ocsfComplianceStatus(finding: OcsfFinding, at: string, reasons: string[]): number | undefined {
  const { status_id: id, status, status_code: code } = finding.compliance;
  const fromCaption =
    status === undefined
      ? undefined
      : Number(Object.keys(OCSF_COMPLIANCE_STATUS).find((key) => OCSF_COMPLIANCE_STATUS[Number(key)] === status));
  if (status !== undefined && Number.isNaN(fromCaption)) {
    reasons.push(`${at}.compliance.status must be Pass, Warning, Fail, Unknown or Other, not ${quote(status)}.`);
    return undefined;
  }
  const resolved = id ?? fromCaption;
  if (resolved === undefined) {
    reasons.push(`${at}.compliance has neither status_id nor status: the result of the check is missing.`);
    return undefined;
  }
  if (id !== undefined && fromCaption !== undefined && id !== fromCaption)
    reasons.push(`${at}.compliance.status ${quote(status)} does not match its status_id ${id}.`);
  const codeStatus = code === undefined ? undefined : SECURITY_HUB_STATUS_CODE[code];
  if (codeStatus !== undefined && codeStatus !== resolved)
    reasons.push(
      `${at}.compliance.status_code ${quote(code)} does not match the status (${OCSF_COMPLIANCE_STATUS[resolved]}).`,
    );
  return resolved;
}

function ocsfSecurityGroupOf(finding: OcsfFinding, at: string, reasons: string[]): string | undefined {
  const groups = finding.resources
    .map((resource, index) => ({ resource, index }))
    .filter(({ resource }) => resource.type === OCSF_SECURITY_GROUP);
  if (groups.length === 0) {
    reasons.push(`${at}.resources has no ${OCSF_SECURITY_GROUP} resource.`);
    return undefined;
  }
  if (groups.length > 1) {
    reasons.push(`${at}.resources names ${groups.length} security groups; an EC2.2 finding names exactly one.`);
    return undefined;
  }
  const { resource, index } = groups[0] as (typeof groups)[number];
  const path = `${at}.resources[${index}]`;
  const account = finding.cloud.account.uid;
  const findingRegion = finding.cloud.region;
  const partition = PARTITION_OF_REGION(findingRegion);

  // uid and uid_alt: the group id and its ARN, in either order; both name the same group.
  const ids: string[] = [];
  for (const field of ['uid', 'uid_alt'] as const) {
    const text = resource[field];
    if (text === undefined) continue;
    const arn = SECURITY_GROUP_ARN.exec(text);
    if (arn) {
      const [, arnPartition, arnRegion, arnAccount, id] = arn as unknown as [string, string, string, string, string];
      if (arnAccount !== account)
        reasons.push(
          `${path}.${field} is in account ${arnAccount}, but the finding's cloud.account.uid is ${account}.`,
        );
      if (arnRegion !== findingRegion)
        reasons.push(
          `${path}.${field} is in Region ${quote(arnRegion)}, but the finding's cloud.region is ${findingRegion}.`,
        );
      if (arnPartition !== partition)
        reasons.push(`${path}.${field} is in partition ${arnPartition}, which does not hold Region ${findingRegion}.`);
      ids.push(id);
    } else if (SECURITY_GROUP_UID.test(text)) ids.push(text);
    else reasons.push(`${path}.${field} is neither a security group id nor its ARN: ${quote(text)}.`);
  }
  if (resource.uid === undefined && resource.uid_alt === undefined) {
    reasons.push(`${path}.uid is missing: the finding does not name the group.`);
    return undefined;
  }
  const distinct = [...new Set(ids)];
  if (distinct.length > 1) reasons.push(`${path}.uid and uid_alt name different groups.`);
  const id = distinct[0];
  if (id !== undefined && !GROUP_ID.test(id))
    reasons.push(`${path} holds a malformed security group id: ${quote(id)}.`);
  if (resource.region !== undefined && resource.region !== findingRegion)
    reasons.push(
      `${path}.region ${quote(resource.region)} does not match the finding's cloud.region ${findingRegion}.`,
    );
  if (resource.cloud_partition !== undefined && resource.cloud_partition !== partition)
    reasons.push(`${path}.cloud_partition ${quote(resource.cloud_partition)} does not hold Region ${findingRegion}.`);
  const owner = resource.owner?.account?.uid;
  if (owner !== undefined && owner !== account)
    reasons.push(`${path}.owner.account.uid ${quote(owner)} does not match the finding's cloud.account.uid.`);
  return id;
}

function ocsfSkipReason(finding: OcsfFinding, compliance: number): string | undefined {
  if (finding.activity_id === OCSF_ACTIVITY_CLOSE)
    return 'The finding is closed (activity_id 3, Close): Security Hub no longer tracks it.';
  const status = finding.status_id;
  if (status !== undefined && status !== 1 && status !== 2) {
    const name = OCSF_FINDING_STATUS[status] ?? String(status);
    return status === 3
      ? 'The finding is Suppressed (status_id 3): unsuppress it in Security Hub to remediate.'
      : `The finding is ${name} (status_id ${status}): only New or In Progress findings are remediated.`;
  }
  switch (compliance) {
    case 3:
      return undefined;
    case 1:
      return 'The finding passed (compliance.status Pass): the default security group already has no rules.';
    case 2:
      return 'The check reported a Warning (compliance.status): only failed findings are remediated.';
    default:
      return `The check could not be evaluated (compliance.status ${OCSF_COMPLIANCE_STATUS[compliance]}): nothing proves the group has rules.`;
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Reasons from zod issues: "<path> <message>." with bounded quotes of the input.

/** Per-parse zod error map: the message part of a reason (the path is added by `reasonsOf`). */
function describeIssue(issue: z.core.$ZodRawIssue): string {
  const input = issue.input;
  switch (issue.code) {
    case 'invalid_type':
      return input === undefined ? 'is missing' : `must be ${article(issue.expected)}, not ${kindOf(input)}`;
    case 'invalid_value':
      if (input === undefined) return 'is missing';
      return `must be ${issue.values.map((value) => JSON.stringify(value)).join(' or ')}, not ${quote(input)}`;
    case 'too_big':
      return issue.origin === 'string'
        ? `is too long (over ${issue.maximum} characters)`
        : issue.origin === 'array'
          ? `has too many items (over ${issue.maximum})`
          : 'is too large';
    case 'too_small':
      return issue.origin === 'string'
        ? 'must not be empty'
        : issue.origin === 'array'
          ? `must have at least ${issue.minimum} item${issue.minimum === 1 ? '' : 's'}`
          : 'is too small';
    case 'unrecognized_keys': {
      const keys = issue.keys.slice(0, 3).map(quote).join(', ');
      return `has unknown field${issue.keys.length === 1 ? '' : 's'} ${keys}${issue.keys.length > 3 ? ', …' : ''}`;
    }
    default:
      return 'is not valid';
  }
}

function article(expected: string): string {
  return /^[aeiou]/.test(expected) ? `an ${expected}` : `a ${expected}`;
}

function reasonsOf(error: z.ZodError, at: string): string[] {
  const reasons = error.issues.map((issue) => {
    const path = formatPath(at, issue.path);
    return `${path === '' ? 'The input' : path} ${issue.message}.`;
  });
  const unique = [...new Set(reasons)];
  return unique.length > REASON_LIMIT
    ? [...unique.slice(0, REASON_LIMIT), `… and ${unique.length - REASON_LIMIT} more problems.`]
    : unique;
}

function formatPath(at: string, path: readonly PropertyKey[]): string {
  let text = at;
  for (const key of path) {
    if (typeof key === 'number') text += `[${key}]`;
    else {
      // Keys come from our schemas, except for unknown keys, which are reported in the message (quoted) instead.
      const name = String(key);
      text += /^[A-Za-z_][A-Za-z0-9_-]*$/.test(name) ? (text === '' ? name : `.${name}`) : `[${quote(name)}]`;
    }
  }
  return text;
}

function invalid(reasons: string[]): { kind: 'invalid'; reasons: string[] } {
  return { kind: 'invalid', reasons };
}
