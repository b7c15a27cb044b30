/** The audit's scope: batches within the history limit and a state within the payload limit, at any organization size. */
import { ListAccountsCommand, OrganizationsClient } from '@aws-sdk/client-organizations';
import { mockClient } from 'aws-sdk-client-mock';
import { describe, expect, it } from 'vitest';
import { createLocalDeps } from '../../../cli/deps.ts';
import { SdkOrganization } from '../../../handlers/adapters/aws/organizations.ts';
import { checkAuditScope, MAX_AUDIT_ACCOUNTS, MAX_AUDIT_BATCHES } from '../../../handlers/steps/audit.ts';

const accounts = (count: number) => Array.from({ length: count }, (_, index) => String(100_000_000_000 + index));
const deps = (organizationAccounts?: string[]) =>
  createLocalDeps({ storeDir: '/nonexistent-audit-scope', ...(organizationAccounts ? { organizationAccounts } : {}) });

describe('Check the audit scope', () => {
  it.each([1, 1000, 2000, 2001, 4001, MAX_AUDIT_ACCOUNTS])(
    '%i accounts: every account in exactly one batch, at most 2,000 batches, the state under 256 KiB',
    async (count) => {
      const scope = await checkAuditScope(
        {
          auditId: 'audit-1',
          scope: { accounts: accounts(count).reverse(), regions: ['us-east-1'] },
        },
        deps(),
      );
      expect(scope.batches.length).toBeLessThanOrEqual(MAX_AUDIT_BATCHES);
      expect(scope.batches.flat()).toEqual(accounts(count));
      expect(Buffer.byteLength(JSON.stringify(scope))).toBeLessThan(262_144);
      if (count <= MAX_AUDIT_BATCHES) expect(scope.batches.every((batch) => batch.length === 1)).toBe(true);
    },
  );

  it('folds duplicates and refuses a bad account, a missing region list or too many accounts, naming the field', async () => {
    const scope = await checkAuditScope(
      {
        auditId: 'a',
        scope: { accounts: ['111122223333', '111122223333'], regions: ['eu-west-1', 'eu-west-1'] },
      },
      deps(),
    );
    expect(scope).toEqual({ auditId: 'a', regions: ['eu-west-1'], batches: [['111122223333']] });
    await expect(
      checkAuditScope({ auditId: 'a', scope: { accounts: ['1234'], regions: ['us-east-1'] } }, deps()),
    ).rejects.toThrow(/scope\.accounts\.0: must be a 12-digit account id/);
    await expect(checkAuditScope({ auditId: 'a', scope: { accounts: ['111122223333'] } }, deps())).rejects.toThrow(
      /scope\.regions/,
    );
    await expect(
      checkAuditScope(
        { auditId: 'a', scope: { accounts: accounts(MAX_AUDIT_ACCOUNTS + 1), regions: ['us-east-1'] } },
        deps(),
      ),
    ).rejects.toThrow(/scope\.accounts/);
  });

  it('"organization" audits every ACTIVE account of the organization, listed at run time', async () => {
    const scope = await checkAuditScope(
      { auditId: 'org', scope: { accounts: 'organization', regions: ['us-east-1'] } },
      deps(['222233334444', '111122223333']),
    );
    expect(scope.batches).toEqual([['111122223333'], ['222233334444']]);
    await expect(
      checkAuditScope({ auditId: 'org', scope: { accounts: 'organization', regions: ['us-east-1'] } }, deps()),
    ).rejects.toThrow(/scope\.accounts: "organization" needs AWS Organizations/);
    await expect(
      checkAuditScope({ auditId: 'org', scope: { accounts: 'organization', regions: ['us-east-1'] } }, deps([])),
    ).rejects.toThrow(/scope\.accounts: the organization has no ACTIVE account/);
    await expect(
      checkAuditScope(
        { auditId: 'org', scope: { accounts: 'organization', regions: ['us-east-1'] } },
        deps(accounts(MAX_AUDIT_ACCOUNTS + 1)),
      ),
    ).rejects.toThrow(/more than the \d+ one audit takes/);
  });

  it('lists the organization page by page and keeps only ACTIVE accounts (State, or Status where State is absent)', async () => {
    const organizations = mockClient(OrganizationsClient);
    try {
      organizations
        .on(ListAccountsCommand, {})
        .resolves({
          Accounts: [
            { Id: '111122223333', State: 'ACTIVE' },
            { Id: '222233334444', State: 'SUSPENDED', Status: 'ACTIVE' },
          ],
          NextToken: 'page-2',
        })
        .on(ListAccountsCommand, { NextToken: 'page-2' })
        .resolves({
          Accounts: [
            { Id: '333344445555', Status: 'ACTIVE' },
            { Id: '444455556666', State: 'PENDING_CLOSURE' },
            { Id: '555566667777', State: 'CLOSED' },
          ],
        });
      const port = new SdkOrganization(new OrganizationsClient({ region: 'us-east-1' }));
      expect(await port.activeAccounts()).toEqual(['111122223333', '333344445555']);
      expect(organizations.commandCalls(ListAccountsCommand)).toHaveLength(2);
    } finally {
      organizations.restore();
    }
  });
});
