/**
 * Synthesizes the app for the infra tests: without bundling (`aws:cdk:bundling-stacks: []` — the templates are the
 * same, only the asset hashes differ) and, unless asked, without the cdk-nag plugins (nag.test.ts runs them).
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Template } from 'aws-cdk-lib/assertions';
import type { CloudAssembly } from 'aws-cdk-lib/cx-api';
import { type BuiltApp, buildApp } from '../../infra/build.ts';

export interface Synthesized extends BuiltApp {
  assembly: CloudAssembly;
  remediationTemplate: Template;
  memberTemplate: Template;
}

export function synthesize(context: Record<string, unknown> = {}, nag = false): Synthesized {
  const built = buildApp({
    nag,
    outdir: mkdtempSync(join(tmpdir(), 'cdk-test-')),
    context: { 'aws:cdk:bundling-stacks': [], ...context },
  });
  const assembly = built.app.synth();
  return {
    ...built,
    assembly,
    remediationTemplate: Template.fromStack(built.remediation),
    memberTemplate: Template.fromStack(built.member),
  };
}

export type Statement = {
  Effect: 'Allow' | 'Deny';
  Action: string | string[];
  Resource?: unknown;
  Condition?: Record<string, Record<string, unknown>>;
  Sid?: string;
  Principal?: unknown;
};

export const actionsOf = (statement: Statement): string[] =>
  Array.isArray(statement.Action) ? statement.Action : [statement.Action];

export const resourcesOf = (statement: Statement): unknown[] =>
  statement.Resource === undefined ? [] : Array.isArray(statement.Resource) ? statement.Resource : [statement.Resource];

type Resources = Record<string, { Type: string; Properties: Record<string, unknown> }>;

/**
 * The statements of the IAM policies attached to a role (by the role's logical id): its inline policies and the
 * customer-managed "OverflowPolicy" CDK adds when they outgrow IAM's 10,240 characters per role (MoveInterfaces and
 * MoveBack, which may move every owner service).
 */
export function roleStatements(template: Template, roleLogicalId: string): Statement[] {
  const policies = {
    ...(template.findResources('AWS::IAM::Policy') as Resources),
    ...(template.findResources('AWS::IAM::ManagedPolicy') as Resources),
  };
  return Object.values(policies)
    .filter((policy) => (policy.Properties.Roles as { Ref?: string }[]).some((role) => role.Ref === roleLogicalId))
    .flatMap((policy) => (policy.Properties.PolicyDocument as { Statement: Statement[] }).Statement);
}

/** The logical id of the only resource of a type whose logical id starts with a prefix. */
export function logicalId(template: Template, type: string, prefix: string): string {
  const ids = Object.keys(template.findResources(type)).filter((id) => id.startsWith(prefix));
  if (ids.length !== 1)
    throw new Error(`expected one ${type} starting with ${prefix}, found ${ids.join(', ') || 'none'}`);
  return ids[0] as string;
}

/** Every policy statement of the template: IAM policies, roles' trust, bucket, topic, queue and key policies. */
export function allStatements(template: Template): { where: string; statement: Statement }[] {
  const out: { where: string; statement: Statement }[] = [];
  const resources = template.toJSON().Resources as Resources;
  for (const [id, resource] of Object.entries(resources)) {
    const documents: unknown[] = [];
    const p = resource.Properties ?? {};
    if (p.PolicyDocument) documents.push(p.PolicyDocument);
    if (p.KeyPolicy) documents.push(p.KeyPolicy);
    if (p.AssumeRolePolicyDocument) documents.push(p.AssumeRolePolicyDocument);
    for (const inline of (p.Policies as { PolicyDocument: unknown }[] | undefined) ?? [])
      documents.push(inline.PolicyDocument);
    for (const document of documents) {
      for (const statement of (document as { Statement: Statement[] }).Statement) out.push({ where: id, statement });
    }
  }
  return out;
}
