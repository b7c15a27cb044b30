/**
 * IAM for the owner services (handlers/core/owners/: Lambda, RDS, ELBv2, EFS, VPC endpoints, ElastiCache), built from
 * each service's IAM data, and shared by the step roles and the member roles like infra/ec2-policy.ts:
 * - `read`: the describe calls; those without resource types on "*", the others scoped to this account's resources;
 * - `move`: the group changes, each on its own resource type in this account only, and each narrowed by the condition
 *   keys its service defines for the request (in the service's module; what they cannot guard in
 *   docs/threat-model.md), plus what a change needs on "*" (Lambda's describes of the caller's VPC settings).
 * Resource ids are discovered at run time, so each pattern is `<type>:*` / `<type>/*` in this account, any region
 * (findings of every region arrive in the aggregation region). A request naming another resource type (a DB parameter,
 * option or subnet group, an ElastiCache parameter or user group, an endpoint's route table or subnet) needs a grant on
 * that type too, which none of these statements gives.
 */
import { Aws } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import {
  type ArnPattern,
  type IamConditions,
  type IamStatementData,
  OWNER_MODULES,
} from '../handlers/core/owners/index.ts';

export interface ServicesAccess {
  read?: boolean;
  move?: boolean;
}

export interface ServicesGrant {
  statements: iam.PolicyStatement[];
  /** cdk-nag IAM5 finding ids of the wildcards these statements introduce, with the reason for each. */
  wildcards: { finding: string; reason: string }[];
}

const WHY =
  'The resources that own requester-managed interfaces on a default group (functions, databases, load balancers, ' +
  'mount targets, endpoints, caches) are discovered at run time; the pattern is limited to this account and to the ' +
  'one resource type the action needs.';

function arnOf(pattern: ArnPattern, account: string): string {
  return `arn:${Aws.PARTITION}:${pattern.service}:*:${account}:${pattern.resource}`;
}

/** The same pattern as cdk-nag prints it in finding ids (tokens as `<AWS::…>`). */
function nagArnOf(pattern: ArnPattern, accountLabel: string): string {
  return `Resource::arn:<AWS::Partition>:${pattern.service}:*:${accountLabel}:${pattern.resource}`;
}

function conditionsFor(conditions: IamConditions, account: string): Record<string, Record<string, string>> {
  return Object.fromEntries(
    Object.entries(conditions).map(([operator, keys]) => [
      operator,
      Object.fromEntries(
        Object.entries(keys).map(([key, value]) => [key, typeof value === 'string' ? value : arnOf(value, account)]),
      ),
    ]),
  );
}

export function servicesGrant(
  access: ServicesAccess,
  account: string = Aws.ACCOUNT_ID,
  accountLabel = '<AWS::AccountId>',
): ServicesGrant {
  const statements: iam.PolicyStatement[] = [];
  const wildcards = new Map<string, string>();
  const scoped = (statement: IamStatementData) => {
    statements.push(
      new iam.PolicyStatement({
        sid: statement.sid,
        actions: statement.actions,
        resources: statement.resources.map((pattern) => arnOf(pattern, account)),
        ...(statement.conditions ? { conditions: conditionsFor(statement.conditions, account) } : {}),
      }),
    );
    for (const pattern of statement.resources) wildcards.set(nagArnOf(pattern, accountLabel), WHY);
  };
  if (access.read || access.move) {
    const onAny = [
      ...new Set(
        OWNER_MODULES.flatMap((module) => [...module.iam.readOnAny, ...(access.move ? module.iam.moveOnAny : [])]),
      ),
    ].sort();
    statements.push(
      new iam.PolicyStatement({
        sid: 'ServiceDescribesWithoutResourceLevelPermissions',
        actions: onAny,
        resources: ['*'],
      }),
    );
    wildcards.set(
      'Resource::*',
      `${onAny.join(', ')} have no resource-level permissions (Service Authorization Reference) and are read-only.`,
    );
    for (const module of OWNER_MODULES) module.iam.reads.forEach(scoped);
  }
  if (access.move) for (const module of OWNER_MODULES) module.iam.moves.forEach(scoped);
  return { statements, wildcards: [...wildcards].map(([finding, reason]) => ({ finding, reason })) };
}
