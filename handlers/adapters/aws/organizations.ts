/**
 * The organization's accounts: Organizations ListAccounts, every page
 * (https://docs.aws.amazon.com/organizations/latest/APIReference/API_ListAccounts.html), called from the management
 * account or a delegated administrator. An account counts when its `State` is ACTIVE; `Status` is read only where
 * `State` is absent — AWS retires `Status` from the answer on 9 September 2026 and recommends `State`
 * (SDK reference, ListAccountsResponse.accounts). Suspended, closing and closed accounts cannot be audited: leaving
 * them out keeps the report to what can be acted on.
 */
import { type OrganizationsClient, paginateListAccounts } from '@aws-sdk/client-organizations';
import type { OrganizationPort } from '../../ports.ts';

export class SdkOrganization implements OrganizationPort {
  constructor(private readonly client: OrganizationsClient) {}

  async activeAccounts(): Promise<string[]> {
    const ids: string[] = [];
    for await (const page of paginateListAccounts({ client: this.client }, {}))
      for (const account of page.Accounts ?? [])
        if (account.Id && (account.State ?? account.Status) === 'ACTIVE') ids.push(account.Id);
    return ids;
  }
}
