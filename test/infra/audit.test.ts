/**
 * The organization audit in the stacks: absent by default; with `audit` on, its machine from the same definition the
 * runner executes, one function per audit step with exactly what its handler calls, a read-only member role trusting
 * only the audit function, the schedule; cdk-nag clean.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Match } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { definitionText, loadDefinition } from '../../cli/runner.ts';
import { buildApp } from '../../infra/build.ts';
import { ConfigError, loadConfig } from '../../infra/config.ts';
import { AUDIT_STEP_NAMES, AUDIT_STEP_SPECS } from '../../infra/steps.ts';
import {
  actionsOf,
  logicalId,
  resourcesOf,
  roleStatements,
  type Statement,
  type Synthesized,
  synthesize,
} from './synth.ts';

const BASE = ['logs:CreateLogStream', 'logs:PutLogEvents', 'xray:PutTelemetryRecords', 'xray:PutTraceSegments'];
const AUDIT_CONTEXT = {
  audit: 'true',
  auditSchedule: 'rate(7 days)',
  auditAccounts: '111122223333,444455556666',
  auditRegions: 'us-east-1,eu-west-1',
};

let off: Synthesized;
let on: Synthesized;
beforeAll(() => {
  off = synthesize();
  on = synthesize(AUDIT_CONTEXT);
});

const machines = (s: Synthesized) =>
  Object.keys(s.remediationTemplate.findResources('AWS::StepFunctions::StateMachine')).filter((id) =>
    id.startsWith('Audit'),
  );
const auditStatements = (step: string) =>
  roleStatements(on.remediationTemplate, logicalId(on.remediationTemplate, 'AWS::IAM::Role', `Audit${step}StepRole`));
const actionsOfAuditStep = (step: string) => [...new Set(auditStatements(step).flatMap(actionsOf))].sort();
const objectKeysOf = (statements: Statement[], action: string) =>
  statements
    .filter((statement) => actionsOf(statement).includes(action))
    .flatMap(resourcesOf)
    .map((resource) => JSON.stringify(resource).match(/"\/(audits[^"]*)"/)?.[1]);

describe('the organization audit, off by default', () => {
  it('deploys no audit machine, function, schedule or member role unless switched on', () => {
    expect(machines(off)).toEqual([]);
    const functions = Object.keys(off.remediationTemplate.findResources('AWS::Lambda::Function'));
    expect(functions.filter((id) => id.startsWith('Audit'))).toEqual([]);
    const memberRoles = Object.values(off.memberTemplate.findResources('AWS::IAM::Role')).map(
      (role) => (role.Properties as { RoleName: string }).RoleName,
    );
    expect(memberRoles.filter((name) => name.endsWith('-AuditAccounts'))).toEqual([]);
  });

  it('refuses a schedule or accounts with the audit off, naming the key', () => {
    expect(() => loadConfig((key) => ({ auditSchedule: 'rate(1 day)' })[key])).toThrow(ConfigError);
    expect(() => loadConfig((key) => ({ auditSchedule: 'rate(1 day)' })[key])).toThrow(/auditSchedule: .*audit=true/);
    expect(() => loadConfig((key) => ({ audit: 'true', auditSchedule: 'every day' })[key])).toThrow(/auditSchedule:/);
    expect(() => loadConfig((key) => ({ audit: 'true', auditAccounts: '1234' })[key])).toThrow(/auditAccounts/);
    expect(loadConfig((key) => ({ audit: 'true' })[key]).auditRegions).toHaveLength(17);
    expect(() => loadConfig((key) => ({ auditOrganization: 'true' })[key])).toThrow(/auditOrganization: .*audit=true/);
    expect(() =>
      loadConfig((key) => ({ audit: 'true', auditOrganization: 'true', auditAccounts: '111122223333' })[key]),
    ).toThrow(/auditAccounts: leave it out with auditOrganization=true/);
  });
});

describe('the audit definition', () => {
  it('every Task has a Comment, a timeout its function beats, Retry with backoff and a Catch', () => {
    const visit = (states: Record<string, Record<string, unknown>>): number => {
      let tasks = 0;
      for (const [name, state] of Object.entries(states)) {
        const inner = state.ItemProcessor as { States: typeof states } | undefined;
        if (inner) tasks += visit(inner.States);
        expect(typeof state.Comment, name).toBe('string');
        if (state.Type !== 'Task') continue;
        tasks++;
        const step = /function:(\w+)$/.exec(String(state.Resource))?.[1] as keyof typeof AUDIT_STEP_SPECS;
        expect(AUDIT_STEP_SPECS[step]?.timeoutSeconds, name).toBeLessThan(state.TimeoutSeconds as number);
        const retry = state.Retry as { BackoffRate?: number; JitterStrategy?: string }[];
        expect(
          retry.every((retrier) => (retrier.BackoffRate ?? 0) > 1),
          name,
        ).toBe(true);
        expect((state.Catch as unknown[]).length, name).toBeGreaterThan(0);
      }
      return tasks;
    };
    expect(visit(loadDefinition('audit').States as Record<string, Record<string, unknown>>)).toBe(5);
  });
});

describe('the organization audit, switched on', () => {
  it('runs the very definition the local runner executes, invoking exactly its four functions', () => {
    const [machineId] = machines(on);
    expect(machineId).toBeDefined();
    const machine = on.remediationTemplate.findResources('AWS::StepFunctions::StateMachine')[machineId as string] as {
      Properties: { DefinitionS3Location: { Key: string }; DefinitionSubstitutions: Record<string, unknown> };
    };
    expect(Object.keys(machine.Properties.DefinitionSubstitutions).sort()).toEqual(
      AUDIT_STEP_NAMES.map((step) => `${step}FunctionArn`).sort(),
    );
    // The definition asset is the file itself.
    const asset = readFileSync(
      join(on.assembly.directory, `asset.${machine.Properties.DefinitionS3Location.Key}`),
      'utf8',
    );
    expect(asset).toBe(definitionText('audit'));
    const role = logicalId(on.remediationTemplate, 'AWS::IAM::Role', 'AuditMachineRole');
    const invoke = roleStatements(on.remediationTemplate, role).filter((statement) =>
      actionsOf(statement).includes('lambda:InvokeFunction'),
    );
    expect(invoke).toHaveLength(1);
    expect(resourcesOf(invoke[0] as Statement)).toHaveLength(AUDIT_STEP_NAMES.length);
  });

  it('AuditAccounts may only read in the audited accounts, through its own member role, and write its parts', () => {
    const actions = actionsOfAuditStep('AuditAccounts');
    const reads = actions.filter((action) => !BASE.includes(action));
    for (const action of reads.filter((action) => action !== 'sts:AssumeRole' && action !== 's3:PutObject'))
      expect(action).toMatch(/^[a-z0-9-]+:(Describe|List|Get|BatchGet)[A-Za-z]*$/);
    // Discover's reads (EC2, the owner services, the quotas), no more: the audit judges a group as Discover does.
    const discover = roleStatements(
      on.remediationTemplate,
      logicalId(on.remediationTemplate, 'AWS::IAM::Role', 'DiscoverStepRole'),
    );
    const accountReads = (all: string[]) => all.filter((action) => !/^(logs|xray|s3|sts):/.test(action)).sort();
    expect(accountReads(reads)).toEqual(accountReads([...new Set(discover.flatMap(actionsOf))]));
    const statements = auditStatements('AuditAccounts');
    expect(objectKeysOf(statements, 's3:PutObject')).toEqual(['audits/*/parts/*.json']);
    expect(actions).not.toContain('s3:GetObject');
    const assume = statements.filter((statement) => actionsOf(statement).includes('sts:AssumeRole'));
    expect(assume).toHaveLength(1);
    expect(JSON.stringify(resourcesOf(assume[0] as Statement))).toContain(
      ':iam::*:role/DefaultSgRemediationMember-AuditAccounts',
    );
    expect(actions.some((action) => action.startsWith('sns:') || action.startsWith('dynamodb:'))).toBe(false);
  });

  it('ReportAudit reads the parts and writes the reports; NotifyAudit publishes; CheckAuditScope calls nothing', () => {
    const report = auditStatements('ReportAudit');
    expect(actionsOfAuditStep('ReportAudit')).toEqual(
      [...BASE, 's3:GetObject', 's3:ListBucket', 's3:PutObject'].sort(),
    );
    expect(objectKeysOf(report, 's3:GetObject')).toEqual(['audits/*/parts/*.json']);
    expect(objectKeysOf(report, 's3:PutObject')).toEqual(['audits/*/report.*']);
    expect(actionsOfAuditStep('NotifyAudit')).toEqual(
      [...BASE, 'kms:Decrypt', 'kms:GenerateDataKey', 'sns:Publish'].sort(),
    );
    expect(actionsOfAuditStep('CheckAuditScope')).toEqual(BASE);
  });

  it('the member accounts get a read-only audit role that trusts only the AuditAccounts function', () => {
    const roles = on.memberTemplate.findResources('AWS::IAM::Role', {
      Properties: { RoleName: 'DefaultSgRemediationMember-AuditAccounts' },
    });
    const [id, role] = Object.entries(roles)[0] ?? ['', { Properties: {} }];
    expect(id).not.toBe('');
    const trust = (role.Properties as { AssumeRolePolicyDocument: { Statement: Statement[] } }).AssumeRolePolicyDocument
      .Statement;
    expect(JSON.stringify(trust)).toContain(':role/DefaultSgRemediation-AuditAccounts-');
    for (const action of [...new Set(roleStatements(on.memberTemplate, id as string).flatMap(actionsOf))])
      expect(action).toMatch(/^[a-z0-9-]+:(Describe|List|Get|BatchGet)[A-Za-z]*$/);
  });

  it('the schedule starts the machine with the configured accounts and regions', () => {
    on.remediationTemplate.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'rate(7 days)',
      Targets: [
        Match.objectLike({
          Arn: { Ref: machines(on)[0] },
          Input: JSON.stringify({ accounts: ['111122223333', '444455556666'], regions: ['us-east-1', 'eu-west-1'] }),
          DeadLetterConfig: Match.anyValue(),
        }),
      ],
    });
  });

  it('is cdk-nag clean (AwsSolutions and Serverless), its failures alarmed', () => {
    const built = buildApp({
      outdir: mkdtempSync(join(tmpdir(), 'cdk-audit-nag-')),
      context: { 'aws:cdk:bundling-stacks': [], ...AUDIT_CONTEXT },
    });
    const assembly = built.app.synth();
    expect(assembly.stacks.flatMap((stack) => stack.messages.filter((message) => message.level === 'error'))).toEqual(
      [],
    );
    const alarms = Object.values(on.remediationTemplate.findResources('AWS::CloudWatch::Alarm'));
    expect(JSON.stringify(alarms)).toContain(machines(on)[0]);
  });

  it('with auditOrganization, the schedule audits "organization" and only CheckAuditScope may list its accounts', () => {
    const org = synthesize({
      audit: 'true',
      auditSchedule: 'rate(1 day)',
      auditOrganization: 'true',
      auditRegions: 'us-east-1',
    });
    org.remediationTemplate.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'rate(1 day)',
      Targets: [Match.objectLike({ Input: JSON.stringify({ accounts: 'organization', regions: ['us-east-1'] }) })],
    });
    const statementsOf = (step: string) =>
      roleStatements(
        org.remediationTemplate,
        logicalId(org.remediationTemplate, 'AWS::IAM::Role', `Audit${step}StepRole`),
      );
    const list = statementsOf('CheckAuditScope').filter((statement) =>
      actionsOf(statement).includes('organizations:ListAccounts'),
    );
    expect(list.map(actionsOf)).toEqual([['organizations:ListAccounts']]);
    for (const step of AUDIT_STEP_NAMES.filter((name) => name !== 'CheckAuditScope'))
      expect(statementsOf(step).flatMap(actionsOf), step).not.toContain('organizations:ListAccounts');
    // Without it, CheckAuditScope calls nothing (the test above).
    expect(actionsOfAuditStep('CheckAuditScope')).not.toContain('organizations:ListAccounts');
  });
});
