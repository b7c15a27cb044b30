import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createLocalDeps } from '../../../cli/deps.ts';
import type { Notification } from '../../../handlers/ports.ts';
import { notify, reasonsFromError } from '../../../handlers/steps/report.ts';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function setup(linkBaseUrl?: string) {
  const dir = mkdtempSync(join(tmpdir(), 'dsr-report-'));
  dirs.push(dir);
  const sent: Notification[] = [];
  const deps = createLocalDeps({
    storeDir: dir,
    notifier: { publish: async (notice) => void sent.push(notice) },
    settings: linkBaseUrl ? { linkBaseUrl } : {},
  });
  return { deps, sent };
}

const target = { accountId: '111122223333', region: 'us-east-1', groupId: 'sg-07d2e3f4a5b6c7d8e' };

describe('notify', () => {
  it('deployed: the completion notice carries a single-use rollback link stored in the ledger', async () => {
    const { deps, sent } = setup('https://links.example/prod');
    await notify({ remediationId: 'rem-1', target, event: 'remediated' }, deps);
    const lines = (sent[0]?.message ?? '').split('\n');
    const url = /^Roll back with one click .*: https:\/\/links\.example\/prod\/rollbacks\/([A-Za-z0-9_-]+)$/.exec(
      lines[1] ?? '',
    );
    expect(lines[2]).toBe(
      "Links in this message go to https://links.example (this deployment's approval API) and nowhere else.",
    );
    expect(url).not.toBeNull();
    const link = await deps.ledger.getRollbackLink(url?.[1] ?? '');
    expect(link).toMatchObject({ remediationId: 'rem-1', status: 'pending' });
  });

  it('locally: the notice names the rollback command', async () => {
    const { deps, sent } = setup();
    await notify({ remediationId: 'rem-1', target, event: 'remediated' }, deps);
    expect(sent[0]?.message).toContain('npm run cli -- rollback --remediation rem-1');
  });

  it('reads reasons out of a Lambda-style cause', () => {
    const cause = JSON.stringify({ errorType: 'DriftDetected', errorMessage: 'eni-1 joined' });
    expect(reasonsFromError({ Error: 'DriftDetected', Cause: cause })).toEqual(['DriftDetected: eni-1 joined']);
    expect(reasonsFromError({ Error: 'States.Timeout' })).toEqual(['States.Timeout']);
  });
});
