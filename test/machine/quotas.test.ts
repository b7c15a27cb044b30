/**
 * Quotas counted as AWS counts them, through the real definitions (state-machine/remediate.asl.json):
 *  - a rule that references a prefix list counts as the list's maximum entries, an AWS-managed list as its weight
 *    (CloudFront origin-facing: 55) — https://docs.aws.amazon.com/vpc/latest/userguide/security-group-rules.html#security-group-size,
 *    https://docs.aws.amazon.com/vpc/latest/userguide/working-with-aws-managed-prefix-lists.html;
 *  - "Inbound or outbound rules per security group" and "Security groups per network interface" are the account's
 *    applied values (Service Quotas), not fixed numbers —
 *    https://docs.aws.amazon.com/vpc/latest/userguide/amazon-vpc-limits.html#vpc-limits-security-groups;
 *  - what cannot be read (Service Quotas denied, a prefix list DescribeManagedPrefixLists does not show) is said,
 *    never guessed low.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { Ec2State, IpPermission, ManagedPrefixList, SecurityGroup } from '../../handlers/core/ec2-shapes.ts';
import { Ec2ApiError } from '../../handlers/core/errors.ts';
import { diffFlows } from '../../handlers/core/reachability.ts';
import type { ServiceQuotasPort } from '../../handlers/ports.ts';
import {
  createSession,
  disposeAll,
  examplePath,
  expectedAfterRemediation,
  firstDefaultGroupId,
  flowsOf,
  newGroups,
  normalizeState,
  type RemediationRun,
  readJson,
  remediateState,
  scenarioState,
} from '../support/harness.ts';

afterEach(() => disposeAll());

const SAMPLE_DEFAULT = 'sg-07d2e3f4a5b6c7d8e';
const CLOUDFRONT = 'pl-3b927c52';

/** `aws ec2 describe-managed-prefix-lists` prints the AWS-managed CloudFront list like this (no MaxEntries). */
const CLOUDFRONT_LIST: ManagedPrefixList = {
  PrefixListId: CLOUDFRONT,
  AddressFamily: 'IPv4',
  State: 'create-complete',
  PrefixListArn: `arn:aws:ec2:us-east-1:aws:prefix-list/${CLOUDFRONT}`,
  PrefixListName: 'com.amazonaws.global.cloudfront.origin-facing',
  Tags: [],
  OwnerId: 'AWS',
};

type State = Ec2State & { PrefixLists?: ManagedPrefixList[]; Quotas?: unknown[] };

function sampleState(): State {
  return readJson<State>(examplePath('web-app.state.json'));
}

/** `aws service-quotas list-service-quotas --service-code vpc` entries, as the state file takes them. */
function appliedQuota(code: 'L-0EA8095F' | 'L-2AFB9258', value: number) {
  return {
    ServiceCode: 'vpc',
    ServiceName: 'Amazon Virtual Private Cloud (Amazon VPC)',
    QuotaArn: `arn:aws:servicequotas:us-east-1:111122223333:vpc/${code}`,
    QuotaCode: code,
    QuotaName:
      code === 'L-0EA8095F' ? 'Inbound or outbound rules per security group' : 'Security groups per network interface',
    Value: value,
    Unit: 'None',
    Adjustable: true,
    GlobalQuota: false,
  };
}

/**
 * The sample's default group with an inbound HTTPS rule from CloudFront (55) and four SSH sources: 1 + 55 + 4 = 60
 * inbound IPv4 rules, exactly the default quota. Its copy needs its self-reference twice (to itself and to the
 * default group while interfaces move): 61.
 */
function cloudFrontState(): State {
  const state = sampleState();
  const defaultGroup = state.SecurityGroups.find((group) => group.GroupId === SAMPLE_DEFAULT) as SecurityGroup;
  const ssh: IpPermission = {
    IpProtocol: 'tcp',
    FromPort: 22,
    ToPort: 22,
    IpRanges: ['198.51.100.1/32', '198.51.100.2/32', '198.51.100.3/32', '198.51.100.4/32'].map((CidrIp) => ({
      CidrIp,
    })),
  };
  defaultGroup.IpPermissions?.push(
    {
      IpProtocol: 'tcp',
      FromPort: 443,
      ToPort: 443,
      PrefixListIds: [{ PrefixListId: CLOUDFRONT, Description: 'CloudFront' }],
    },
    ssh,
  );
  state.PrefixLists = [CLOUDFRONT_LIST];
  return state;
}

function outcomeOf(run: RemediationRun): unknown {
  return run.result.output?.outcome;
}

function expectBlockedUnchanged(run: RemediationRun): string[] {
  expect(run.result.status, JSON.stringify(run.result)).toBe('SUCCEEDED');
  expect(outcomeOf(run), JSON.stringify(run.result.output)).toBe('blocked');
  expect(run.session.mutatingCalls()).toEqual({});
  expect(run.after).toEqual(run.before);
  return run.result.output?.reasons as string[];
}

/** Remediated exactly as planned, then rolled back exactly. */
async function expectRemediatedThenRolledBack(run: RemediationRun): Promise<void> {
  expect(run.result.status, JSON.stringify(run.result)).toBe('SUCCEEDED');
  expect(outcomeOf(run), JSON.stringify(run.result.output)).toBe('remediated');
  const [replacement] = newGroups(run.before, run.after);
  const expected = expectedAfterRemediation(
    run.before,
    firstDefaultGroupId(run.before),
    replacement,
    [],
    run.result.executionName,
  );
  expect(normalizeState(run.after, { ignoreDerivedPairFields: true })).toEqual(
    normalizeState(expected, { ignoreDerivedPairFields: true }),
  );
  expect(diffFlows(flowsOf(run.before), flowsOf(run.after))).toEqual([]);
  const rollback = await run.rollback();
  expect(rollback.result.status, JSON.stringify(rollback.result)).toBe('SUCCEEDED');
  expect(normalizeState(rollback.after, { ignoreDerivedPairFields: true })).toEqual(
    normalizeState(run.before, { ignoreDerivedPairFields: true }),
  );
}

/** Service Quotas answering every call with `error` (AccessDeniedException: no servicequotas:* in the policy). */
function failingServiceQuotas(error: Error): ServiceQuotasPort {
  return {
    getServiceQuota: async () => Promise.reject(error),
    getAWSDefaultServiceQuota: async () => Promise.reject(error),
  };
}

describe('a prefix list counts as its maximum entries, an AWS-managed one as its weight', () => {
  it('CloudFront (55) plus a few rules: the copy would need 61 inbound rules, so the plan is blocked and nothing changes', async () => {
    const run = await remediateState(cloudFrontState());
    const reasons = expectBlockedUnchanged(run);
    expect(reasons).toContain(
      `the replacement group would need 61 inbound IPv4 rules, over the quota of 60 (prefix list ${CLOUDFRONT} counts as 55).`,
    );
    // The default group itself gets a twin of its self-reference: 61 as well.
    expect(reasons).toContain(
      `${SAMPLE_DEFAULT} (default) would need 61 inbound IPv4 rules, over the quota of 60 (prefix list ${CLOUDFRONT} counts as 55).`,
    );
    expect(run.simulator.callCounts().DescribeManagedPrefixLists).toBeGreaterThan(0);
  });

  it('the simulator refuses that 61st rule as EC2 does (RulesPerSecurityGroupLimitExceeded), counting the weight', async () => {
    const session = createSession(cloudFrontState());
    await expect(
      session.simulator.authorizeSecurityGroupIngress({
        GroupId: SAMPLE_DEFAULT,
        IpPermissions: [{ IpProtocol: 'tcp', FromPort: 22, ToPort: 22, IpRanges: [{ CidrIp: '198.51.100.5/32' }] }],
      }),
    ).rejects.toMatchObject({ name: 'RulesPerSecurityGroupLimitExceeded' });
  });

  it('with one SSH source fewer the copy fits (60): remediated exactly, rolled back exactly', async () => {
    const state = cloudFrontState();
    const defaultGroup = state.SecurityGroups.find((group) => group.GroupId === SAMPLE_DEFAULT) as SecurityGroup;
    defaultGroup.IpPermissions?.at(-1)?.IpRanges?.pop();
    await expectRemediatedThenRolledBack(await remediateState(state));
  });

  it('a prefix list whose size cannot be read (DescribeManagedPrefixLists denied) blocks the groups that would get rules, saying why', async () => {
    const run = await remediateState(scenarioState('mixed-permission'), {
      hooks: {
        before(action) {
          if (action === 'DescribeManagedPrefixLists')
            throw new Ec2ApiError('UnauthorizedOperation', 'You are not authorized to perform this operation.');
        },
      },
    });
    const reasons = expectBlockedUnchanged(run);
    expect(reasons.join('\n')).toMatch(
      /\(api\) references prefix list pl-0d69afa5d5c80dabf, whose size could not be read \(DescribeManagedPrefixLists was refused: UnauthorizedOperation/,
    );
  });
});

describe("the account's quotas, from Service Quotas", () => {
  it('rules per security group raised to 200: the near-quota plan (61 inbound rules) goes through, exactly, and rolls back', async () => {
    const state: State = scenarioState('near-quota');
    state.Quotas = [appliedQuota('L-0EA8095F', 200), appliedQuota('L-2AFB9258', 5)];
    const run = await remediateState(state);
    await expectRemediatedThenRolledBack(run);
    // The approval notice says which quota was counted.
    expect(run.notifications.map((notice) => notice.message).join('\n')).toContain(
      "The account's quota of inbound or outbound rules per security group is 200 (Service Quotas L-0EA8095F).",
    );
  });

  it('at the default quota the same state is blocked on partner-gateway', async () => {
    const reasons = expectBlockedUnchanged(await remediateState(scenarioState('near-quota')));
    expect(reasons.join('\n')).toMatch(/partner-gateway\) would need 61 inbound IPv4 rules, over the quota of 60\./);
  });

  it('Service Quotas denied: the documented defaults are counted and the plan says so; the run does not fail', async () => {
    const state: State = scenarioState('near-quota');
    state.Quotas = [appliedQuota('L-0EA8095F', 200), appliedQuota('L-2AFB9258', 5)];
    const session = createSession(state);
    session.deps.serviceQuotas = () =>
      failingServiceQuotas(
        Object.assign(new Error('User is not authorized to perform servicequotas:GetServiceQuota'), {
          name: 'AccessDeniedException',
        }),
      );
    const result = await session.remediate();
    expect(result.status, JSON.stringify(result)).toBe('SUCCEEDED');
    expect(result.output?.outcome).toBe('blocked');
    expect(String(result.output?.reasons)).toMatch(/over the quota of 60/);
    const notice = session.notifications.map((n) => n.message).join('\n');
    expect(notice).toContain('Service Quotas could not be read, so the documented defaults are counted');
    expect(notice).toContain('AccessDeniedException');
  });

  it('Service Quotas unreachable on a plan that fits: remediated, and the approval notice carries the note', async () => {
    const session = createSession(sampleState());
    session.deps.serviceQuotas = () =>
      failingServiceQuotas(Object.assign(new Error('connect ETIMEDOUT'), { name: 'TimeoutError' }));
    const result = await session.remediate();
    expect(result.output?.outcome, JSON.stringify(result)).toBe('remediated');
    expect(session.notifications.map((n) => n.message).join('\n')).toContain(
      'Service Quotas could not be read, so the documented defaults are counted',
    );
  });

  it('security groups per interface lowered to 4: an interface already in 5 groups would be refused its list, so the plan is blocked', async () => {
    const state: State = scenarioState('five-groups');
    state.Quotas = [appliedQuota('L-0EA8095F', 60), appliedQuota('L-2AFB9258', 4)];
    const reasons = expectBlockedUnchanged(await remediateState(state));
    expect(reasons.join('\n')).toMatch(
      /eni-0f8613ac796494f4d has 5 security groups, over the quota of 4 per network interface/,
    );
  });
});
