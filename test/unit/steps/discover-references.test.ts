/**
 * Discover's reading of references it cannot fully see (issue 10, point 2): DescribeSecurityGroupReferences names a
 * referencing VPC, never its groups, so a VPC is covered only when DescribeVpcs shows it as this account's, no other
 * account has interfaces or groups there, and one of this account's groups there references the default group.
 * https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DescribeSecurityGroupReferences.html,
 * https://docs.aws.amazon.com/vpc/latest/userguide/vpc-share-limitations.html
 */
import { describe, expect, it } from 'vitest';
import { Ec2Simulator } from '../../../handlers/adapters/local/ec2-simulator.ts';
import type { Ec2State, SecurityGroup } from '../../../handlers/core/ec2-shapes.ts';
import { planRemediation } from '../../../handlers/core/plan.ts';
import type { Ec2Port } from '../../../handlers/ports.ts';
import { readInventory } from '../../../handlers/steps/discover.ts';
import { scenarioState } from '../../support/harness.ts';

const ACCOUNT = '111122223333';
const PARTICIPANT = '444455556666';

/** A port that never answers other accounts' groups: what this account sees if owners could not describe them. */
function hidingOtherAccountsGroups(ec2: Ec2Port): Ec2Port {
  return new Proxy(ec2, {
    get(target, property, receiver) {
      const value = Reflect.get(target, property, receiver);
      if (property !== 'describeSecurityGroups') return typeof value === 'function' ? value.bind(target) : value;
      return async (input: Parameters<Ec2Port['describeSecurityGroups']>[0]) => {
        const page = await target.describeSecurityGroups(input);
        return { ...page, SecurityGroups: (page.SecurityGroups ?? []).filter((g) => g.OwnerId === ACCOUNT) };
      };
    },
  });
}

async function planOf(state: Ec2State, wrap: (ec2: Ec2Port) => Ec2Port = (ec2) => ec2) {
  const ec2 = wrap(Ec2Simulator.fromState(state));
  const groupId = state.SecurityGroups[0]?.GroupId ?? '';
  const inventory = await readInventory(ec2, { accountId: ACCOUNT, region: 'us-east-1', groupId });
  return { inventory, plan: planRemediation(inventory, { remediationId: 'rem-test-1' }) };
}

function named(state: Ec2State, name: string): SecurityGroup {
  return state.SecurityGroups.find((g) => g.GroupName === name) as SecurityGroup;
}

describe('references from VPCs this account cannot cover completely', () => {
  it("a shared peered VPC whose participant's groups cannot be described: blocked by its interface there", async () => {
    const state = scenarioState('peered-shared-participant');
    const { inventory, plan } = await planOf(state, hidingOtherAccountsGroups);
    const reporting = named(state, 'reporting');
    expect(inventory.referencingGroups.map((g) => g.GroupName)).toEqual(['reporting']);
    expect(inventory.unreachableReferences).toEqual([
      {
        vpcId: reporting.VpcId,
        vpcPeeringConnectionId: reporting.IpPermissions?.[0]?.UserIdGroupPairs?.[0]?.VpcPeeringConnectionId,
        otherAccounts: [PARTICIPANT],
      },
    ]);
    expect(plan.status).toBe('blocked');
    expect(plan.reasons.join('\n')).toContain(`is shared with account(s) ${PARTICIPANT}`);
  });

  it('a group of another account seen referencing the default group is named, with its owner', async () => {
    const state = scenarioState('peered-shared-participant');
    const { inventory } = await planOf(state);
    const partner = named(state, 'partner-etl');
    expect(inventory.referencingGroups.map((g) => g.GroupName)).toEqual(['reporting']);
    expect(inventory.unreachableReferences[0]?.foreignGroups).toEqual([
      { groupId: partner.GroupId, groupName: 'partner-etl', ownerId: PARTICIPANT },
    ]);
  });

  it('a referencing VPC this account cannot describe (another account owns it): blocked, naming the connection', async () => {
    const state = scenarioState('peered-cross-account');
    const { inventory, plan } = await planOf(state);
    expect(inventory.unreachableReferences).toEqual([
      expect.objectContaining({ vpcId: named(state, 'partner-etl').VpcId, vpcNotVisible: true }),
    ]);
    expect(plan.reasons.join('\n')).toMatch(/belongs to another account/);
  });

  it('a row through a transit gateway for a VPC with none of our groups: blocked, naming the transit gateway', async () => {
    const state = scenarioState('peered-vpc');
    const defaultGroup = state.SecurityGroups[0] as SecurityGroup;
    const hiddenVpc = 'vpc-0eeeeeeeeeeeeeeee';
    const withTransitGateway = (ec2: Ec2Port): Ec2Port =>
      new Proxy(ec2, {
        get(target, property, receiver) {
          const value = Reflect.get(target, property, receiver);
          if (property !== 'describeSecurityGroupReferences')
            return typeof value === 'function' ? value.bind(target) : value;
          return async (input: Parameters<Ec2Port['describeSecurityGroupReferences']>[0]) => {
            const answer = await target.describeSecurityGroupReferences(input);
            return {
              SecurityGroupReferenceSet: [
                ...(answer.SecurityGroupReferenceSet ?? []),
                { GroupId: defaultGroup.GroupId, ReferencingVpcId: hiddenVpc, TransitGatewayId: 'tgw-0abc' },
              ],
            };
          };
        },
      });
    const { plan } = await planOf(state, withTransitGateway);
    expect(plan.status).toBe('blocked');
    expect(plan.reasons).toEqual([
      `Security groups in ${hiddenVpc} (through tgw-0abc) reference the default group, and this account cannot read or edit them to add the replacement next to it: ${hiddenVpc} belongs to another account.`,
    ]);
  });

  it('a peered VPC of this account, not shared, with our group referencing the default group: covered', async () => {
    const { inventory, plan } = await planOf(scenarioState('peered-vpc'));
    expect(inventory.unreachableReferences).toEqual([]);
    expect(plan.status).toBe('ready');
  });
});
