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
 */
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
} as const;

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
  const event = Event.safeParse(input, { error: describeIssue });
  if (!event.success) return invalid(reasonsOf(event.error, ''));
  const { findings } = event.data.detail;
  // One finding per execution: one lock, one approval, one rollback link per default group. Security Hub puts every
  // finding selected for a custom action (and a batch of imported findings) in one event; the deployed trigger may
  // fan such events out into one execution per finding later, until then the user selects one finding at a time.
  if (findings.length > 1) {
    return invalid([
      `detail.findings holds ${findings.length} findings; select one finding at a time (one remediation per default security group).`,
    ]);
  }
  const source = DETAIL_TYPES[event.data['detail-type']];
  return parseFinding(findings[0], 'detail.findings[0]', source);
}

function parseFinding(value: unknown, at: string, source: 'imported' | 'custom-action'): ParsedInput {
  const parsed = Finding.safeParse(value, { error: describeIssue });
  if (!parsed.success) return invalid(reasonsOf(parsed.error, at));
  const finding = parsed.data;

  const control = controlReasons(finding, at);
  if (control.length > 0) return invalid(control);

  const reasons: string[] = [];
  const resource = securityGroupOf(finding, at, reasons);
  if (reasons.length > 0 || !resource) return invalid(reasons);

  const skip = skipReason(finding);
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

function invalid(reasons: string[]): ParsedInput {
  return { kind: 'invalid', reasons };
}
