/** The deployment's own command, as a newcomer runs it: `npx cdk synth`, offline, no credentials, cdk-nag clean. */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const repo = join(import.meta.dirname, '..', '..');
const out = mkdtempSync(join(tmpdir(), 'dsr-cdk-'));
afterAll(() => rmSync(out, { recursive: true, force: true }));

describe('npx cdk synth', () => {
  it('synthesizes both stacks with bundled functions and no cdk-nag finding, with no AWS credentials', () => {
    const env: NodeJS.ProcessEnv = { ...process.env, AWS_REGION: 'us-east-1', CDK_DISABLE_VERSION_CHECK: '1' };
    for (const name of ['AWS_PROFILE', 'AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN'])
      delete env[name];
    const run = spawnSync('npx', ['cdk', 'synth', '--quiet', '-o', out], {
      cwd: repo,
      env,
      encoding: 'utf8',
      // 30 functions bundled (the tighten workflow's included) on a shared 2-core machine.
      timeout: 300_000,
    });
    expect(run.status, `${run.stdout}\n${run.stderr}`).toBe(0);
    const template = JSON.parse(readFileSync(join(out, 'DefaultSgRemediation.template.json'), 'utf8'));
    const types = Object.values(template.Resources as Record<string, { Type: string }>).map(
      (resource) => resource.Type,
    );
    expect(types.filter((type) => type === 'AWS::StepFunctions::StateMachine')).toHaveLength(4);
    expect(types.filter((type) => type === 'AWS::Lambda::Function').length).toBeGreaterThanOrEqual(20);
    expect(readFileSync(join(out, 'DefaultSgRemediationMemberRole.template.json'), 'utf8')).toContain('AWS::IAM::Role');
    // Bundling every function takes minutes on a loaded 2-core machine: the test's limit is the command's.
  }, 320_000);
});
