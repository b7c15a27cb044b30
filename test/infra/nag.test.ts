/**
 * cdk-nag: the whole app synthesizes with the AWS Solutions and Serverless packs and no unacknowledged finding;
 * every acknowledgement is needed (it silences a finding that really occurs) and says why; an unacknowledged
 * finding fails the synth; bad context stops `infra/app.ts` with exit code 2.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type App, Validations } from 'aws-cdk-lib';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { AwsSolutionsChecks, ServerlessChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../infra/build.ts';

const build = (context: Record<string, unknown> = {}) =>
  buildApp({
    outdir: mkdtempSync(join(tmpdir(), 'cdk-nag-')),
    context: { 'aws:cdk:bundling-stacks': [], ...context },
  });

/** Every acknowledgement in the tree: where, which finding, why. */
function acknowledgements(app: App): { path: string; id: string; reason: string }[] {
  return app.node.findAll().flatMap((construct) =>
    construct.node.metadata
      .filter((entry) => entry.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
      .flatMap((entry) =>
        Object.entries(entry.data as Record<string, string>).map(([id, reason]) => ({
          path: construct.node.path,
          id: id.replace(/^annotation::/i, ''),
          reason,
        })),
      ),
  );
}

/** The findings the packs acknowledged, as `rule id` → paths of the resources (recorded while validating). */
function usedAcknowledgements(app: App): { violations: string[]; used: Map<string, string[]> } {
  const used = new Map<string, string[]>();
  const violations: string[] = [];
  for (const pack of [new AwsSolutionsChecks(), new ServerlessChecks()]) {
    const spy = pack as unknown as { isAcknowledged: (node: IConstruct, rule: string) => boolean };
    const original = spy.isAcknowledged.bind(pack);
    spy.isAcknowledged = (node, rule) => {
      const acknowledged = original(node, rule);
      if (acknowledged) used.set(rule, [...(used.get(rule) ?? []), node.node.path]);
      return acknowledged;
    };
    for (const violation of pack.validateScope(app).violations) violations.push(violation.ruleName);
  }
  return { violations, used };
}

describe('cdk-nag', () => {
  let built: ReturnType<typeof buildApp>;
  beforeAll(() => {
    built = build();
    built.app.synth();
  });

  it('the whole app synthesizes with AwsSolutions and Serverless checks and no error annotation', () => {
    const assembly = built.app.synth();
    const errors = assembly.stacks.flatMap((stack) => stack.messages.filter((message) => message.level === 'error'));
    expect(errors).toEqual([]);
    expect(assembly.stacks.map((stack) => stack.stackName).sort()).toEqual([
      'DefaultSgRemediation',
      'DefaultSgRemediationMemberRole',
    ]);
  });

  it('every acknowledgement silences a finding that occurs under it, and gives a reason', () => {
    const { violations, used } = usedAcknowledgements(built.app);
    expect(violations).toEqual([]);
    const all = acknowledgements(built.app);
    expect(all.length).toBeGreaterThan(20);
    const unused = all.filter(
      ({ path, id }) => !(used.get(id) ?? []).some((resource) => resource === path || resource.startsWith(`${path}/`)),
    );
    expect(unused.map(({ path, id }) => `${path} ${id}`)).toEqual([]);
    for (const { id, reason } of all) expect(reason.length, id).toBeGreaterThan(40);
  });

  it('is clean with every switch set too (findings rule, watcher, email subscription, external id, organization)', () => {
    const variant = build({
      autoRemediate: true,
      watch: true,
      notificationEmail: 'secops@example.com',
      externalId: 'dsgr-external-1',
      organizationId: 'o-abcdefghij',
    });
    expect(() => variant.app.synth()).not.toThrow();
    expect(usedAcknowledgements(variant.app).violations).toEqual([]);
  });

  it('an unacknowledged finding fails the synth', () => {
    const broken = build();
    new sqs.Queue(broken.remediation, 'Unencrypted', { encryption: sqs.QueueEncryption.UNENCRYPTED });
    expect(() => broken.app.synth()).toThrow(/AwsSolutions-SQS[0-9]/);
  });

  it('infra/app.ts exits with 2 and names the key on bad context', () => {
    const result = spawnSync('npx', ['tsx', 'infra/app.ts'], {
      encoding: 'utf8',
      env: { ...process.env, CDK_CONTEXT_JSON: JSON.stringify({ approval: 'sometimes' }) },
    });
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(/Invalid CDK context:\n {2}- approval:/);
  });
});
