/**
 * Infrastructure as code (issue 11): an instance, a Lambda function and a group whose rule references the default
 * group, each created by a CloudFormation stack (tag `aws:cloudformation:stack-name`,
 * https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-properties-resource-tags.html). Their templates
 * still name the default group, so the plan, the email and the page name the stacks and the template change; a stack
 * being updated during the approval wait stops the run before the strip; rollback is exact.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { Ec2State, SecurityGroup } from '../../handlers/core/ec2-shapes.ts';
import { openSnapshot, snapshotKey } from '../../handlers/core/snapshot.ts';
import { approvalPage } from '../../handlers/http/pages.ts';
import { disposeAll, newGroups, normalizeState, remediateState, scenarioState, stepsOf } from '../support/harness.ts';

afterEach(disposeAll);

const STACK_TAG = 'aws:cloudformation:stack-name';
const DEFAULT = 'sg-0adc8304ec2afc8c8';
const VPC = 'vpc-096781a1d57dcd425';
const ACCOUNT = '111122223333';
/** The instance of eni-03b715451eb2c8f28, on the default group only. */
const INSTANCE = 'i-09be208ba7e6683da';
const WEB_TIER = 'sg-0e1e2e3e4e5e6e7e8';

interface StackRecord {
  StackName: string;
  StackStatus: string;
  CreationTime: string;
  LastUpdatedTime?: string;
}
type StackState = Ec2State & {
  Functions: {
    FunctionName: string;
    LastUpdateStatus: string;
    VpcConfig: { VpcId: string; SubnetIds: string[]; SecurityGroupIds: string[] };
    Tags?: Record<string, string>;
  }[];
  Tags: { Key: string; ResourceId: string; ResourceType: string; Value: string }[];
  Stacks: StackRecord[];
};

/**
 * five-groups, plus: the instance tagged by stack `web-app` (describe-tags output), an idle Lambda function of stack
 * `reports` on the default group, and group `web-tier` of stack `network` whose rule references the default group.
 */
function stackState(): StackState {
  const state = scenarioState('five-groups') as StackState;
  const webTier: SecurityGroup = {
    GroupId: WEB_TIER,
    GroupName: 'web-tier',
    Description: 'web tier',
    VpcId: VPC,
    OwnerId: ACCOUNT,
    IpPermissions: [
      {
        IpProtocol: 'tcp',
        FromPort: 443,
        ToPort: 443,
        IpRanges: [],
        Ipv6Ranges: [],
        PrefixListIds: [],
        UserIdGroupPairs: [{ GroupId: DEFAULT, UserId: ACCOUNT, Description: 'clients on default' }],
      },
    ],
    IpPermissionsEgress: [],
    Tags: [{ Key: STACK_TAG, Value: 'network' }],
  };
  state.SecurityGroups.push(webTier);
  state.Tags = [{ Key: STACK_TAG, ResourceId: INSTANCE, ResourceType: 'instance', Value: 'web-app' }];
  state.Functions = [
    {
      FunctionName: 'nightly-report',
      LastUpdateStatus: 'Successful',
      VpcConfig: { VpcId: VPC, SubnetIds: ['subnet-0a1b2c3d4e5f60718'], SecurityGroupIds: [DEFAULT] },
      Tags: { [STACK_TAG]: 'reports' },
    },
  ];
  state.Stacks = ['network', 'reports', 'web-app'].map((name) => ({
    StackName: name,
    StackStatus: 'CREATE_COMPLETE',
    CreationTime: '2024-01-01T00:00:00.000Z',
  }));
  return state;
}

describe('resources created by CloudFormation stacks', () => {
  it('names each stack and the template change in the plan, the email and the page; rollback is exact', async () => {
    const run = await remediateState(stackState());
    expect(run.result.status, JSON.stringify(run.result)).toBe('SUCCEEDED');
    expect(run.result.output?.outcome).toBe('remediated');

    const text = await run.deps.store.get(snapshotKey(run.result.executionName));
    const { plan } = openSnapshot(text ?? '', { remediationId: run.result.executionName });
    expect(plan.stacks).toEqual([
      { stackName: 'network', resources: [], interfaces: [], groups: [WEB_TIER] },
      { stackName: 'reports', resources: ['Lambda function nightly-report'], interfaces: [], groups: [] },
      { stackName: 'web-app', resources: [], interfaces: [`${INSTANCE} (eni-03b715451eb2c8f28)`], groups: [] },
    ]);

    const [approval, completion] = run.notifications.map((n) => n.message);
    for (const message of [approval, completion]) {
      expect(message).toContain('CloudFormation stacks whose templates name the default group (3):');
      expect(message).toContain(`Stack "web-app": EC2 instance/interface ${INSTANCE} (eni-03b715451eb2c8f28)`);
      expect(message).toContain('Stack "reports": Lambda function nightly-report');
      expect(message).toContain(`Stack "network": security group ${WEB_TIER}`);
      expect(message).toContain('!GetAtt <VPC>.DefaultSecurityGroup');
      expect(message).toContain('VpcConfig.SecurityGroupIds');
      expect(message).toContain('a stack update puts these resources back on the default group');
    }
    const page = approvalPage({ plan, expiresAt: 2_000_000_000, now: 1_900_000_000, csrfToken: 'csrf' }).body;
    expect(page).toContain('CloudFormation stacks that name the default group (3)');
    expect(page).toContain('&quot;reports&quot;');
    expect(page).toContain('!GetAtt &lt;VPC&gt;.DefaultSecurityGroup');

    const rollback = await run.rollback();
    expect(rollback.result.output?.outcome).toBe('rolled-back');
    expect(normalizeState(rollback.after)).toEqual(normalizeState(run.before));
  });

  it('stops before the strip when a stack is being updated during the approval wait, and rolls back exactly', async () => {
    const run = await remediateState(stackState(), {
      onApproval(simulator) {
        const stacks = (simulator.serviceRecords() as { Stacks: StackRecord[] }).Stacks;
        const reports = stacks.find((stack) => stack.StackName === 'reports');
        if (reports) reports.StackStatus = 'UPDATE_IN_PROGRESS';
      },
    });
    expect(run.result.status).toBe('FAILED');
    expect(run.result.error).toBe('DriftDetected');
    expect(run.result.cause).toMatch(/Stack \\"reports\\" is being changed \(UPDATE_IN_PROGRESS\)/);
    expect(stepsOf(run.session.trace)).not.toContain('Strip the default group');
    expect(newGroups(run.before, run.after)).toEqual([]);
    // Everything as it was, but the stack the test itself changed.
    const expected = structuredClone(run.before) as StackState;
    for (const stack of expected.Stacks) if (stack.StackName === 'reports') stack.StackStatus = 'UPDATE_IN_PROGRESS';
    expect(normalizeState(run.after)).toEqual(normalizeState(expected));
  });

  it('goes on with a note when a stack finished an update after the plan (its effects are in the live state)', async () => {
    const run = await remediateState(stackState(), {
      onApproval(simulator) {
        const stacks = (simulator.serviceRecords() as { Stacks: StackRecord[] }).Stacks;
        const network = stacks.find((stack) => stack.StackName === 'network');
        if (network) {
          network.StackStatus = 'UPDATE_COMPLETE';
          network.LastUpdatedTime = new Date(Date.now() + 60_000).toISOString();
        }
      },
    });
    expect(run.result.status, JSON.stringify(run.result)).toBe('SUCCEEDED');
    const completion = run.notifications.at(-1)?.message ?? '';
    expect(completion).toMatch(/Stack "network" was updated \([^)]*UPDATE_COMPLETE\) after the plan was made/);
  });
});
