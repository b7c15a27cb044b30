/** The audit's scope: batches within the history limit and a state within the payload limit, at any organization size. */
import { describe, expect, it } from 'vitest';
import { checkAuditScope, MAX_AUDIT_ACCOUNTS, MAX_AUDIT_BATCHES } from '../../../handlers/steps/audit.ts';

const accounts = (count: number) => Array.from({ length: count }, (_, index) => String(100_000_000_000 + index));

describe('Check the audit scope', () => {
  it.each([1, 1000, 2000, 2001, 4001, MAX_AUDIT_ACCOUNTS])(
    '%i accounts: every account in exactly one batch, at most 2,000 batches, the state under 256 KiB',
    async (count) => {
      const scope = await checkAuditScope({
        auditId: 'audit-1',
        scope: { accounts: accounts(count).reverse(), regions: ['us-east-1'] },
      });
      expect(scope.batches.length).toBeLessThanOrEqual(MAX_AUDIT_BATCHES);
      expect(scope.batches.flat()).toEqual(accounts(count));
      expect(Buffer.byteLength(JSON.stringify(scope))).toBeLessThan(262_144);
      if (count <= MAX_AUDIT_BATCHES) expect(scope.batches.every((batch) => batch.length === 1)).toBe(true);
    },
  );

  it('folds duplicates and refuses a bad account, a missing region list or too many accounts, naming the field', async () => {
    const scope = await checkAuditScope({
      auditId: 'a',
      scope: { accounts: ['111122223333', '111122223333'], regions: ['eu-west-1', 'eu-west-1'] },
    });
    expect(scope).toEqual({ auditId: 'a', regions: ['eu-west-1'], batches: [['111122223333']] });
    await expect(
      checkAuditScope({ auditId: 'a', scope: { accounts: ['1234'], regions: ['us-east-1'] } }),
    ).rejects.toThrow(/scope\.accounts\.0: must be a 12-digit account id/);
    await expect(checkAuditScope({ auditId: 'a', scope: { accounts: ['111122223333'] } })).rejects.toThrow(
      /scope\.regions/,
    );
    await expect(
      checkAuditScope({ auditId: 'a', scope: { accounts: accounts(MAX_AUDIT_ACCOUNTS + 1), regions: ['us-east-1'] } }),
    ).rejects.toThrow(/scope\.accounts/);
  });
});
