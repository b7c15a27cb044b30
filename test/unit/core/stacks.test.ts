/**
 * Infrastructure as code (issue 11): which CloudFormation stacks manage what a plan moves, how they are said, and
 * what the re-check does with a stack changed during the approval wait. Tags and statuses from
 * https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-properties-resource-tags.html and
 * https://docs.aws.amazon.com/AWSCloudFormation/latest/APIReference/API_Stack.html.
 */
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { mockClient } from 'aws-sdk-client-mock';
import { describe, expect, it } from 'vitest';
import { SdkStacks } from '../../../handlers/adapters/aws/cloudformation.ts';
import { Ec2Simulator } from '../../../handlers/adapters/local/ec2-simulator.ts';
import { StacksSimulator } from '../../../handlers/adapters/local/stacks-simulator.ts';
import { errorCode, InvalidInputError } from '../../../handlers/core/errors.ts';
import {
  describeStackUse,
  STACK_NAME_TAG,
  type StackUse,
  stackDrift,
  stackEntry,
  stackOfTags,
  stacksOf,
} from '../../../handlers/core/stacks.ts';

const ENI = 'eni-0a0000000000000a1';
const INSTANCE = 'i-0a0000000000000b1';

/** A default group: the smallest state the simulator loads. */
const groups = [
  {
    GroupId: 'sg-0a0000000000000d1',
    GroupName: 'default',
    Description: 'default VPC security group',
    VpcId: 'vpc-0a0000000000000e1',
    OwnerId: '111122223333',
  },
];

function use(stackName: string, extra: Partial<StackUse> = {}): StackUse {
  return { stackName, resources: [], interfaces: [], groups: [], ...extra };
}

describe('the stack tag', () => {
  it('reads aws:cloudformation:stack-name from a tag list or a tag map, nothing else', () => {
    expect(
      stackOfTags([
        { Key: 'Name', Value: 'web' },
        { Key: STACK_NAME_TAG, Value: 'web-app' },
      ]),
    ).toBe('web-app');
    expect(stackOfTags([{ Key: 'aws:cloudformation:logical-id', Value: 'Web' }])).toBeUndefined();
    expect(stackOfTags(undefined)).toBeUndefined();
    expect(stackEntry({ [STACK_NAME_TAG]: 'reports' })).toEqual({ stack: 'reports' });
    expect(stackEntry({})).toEqual({});
    // A stack name has at most 128 characters: longer text is not a stack's name.
    expect(stackOfTags([{ Key: STACK_NAME_TAG, Value: 'x'.repeat(129) }])).toBeUndefined();
  });
});

describe('stacksOf', () => {
  const ec2Move = { networkInterfaceId: ENI, owner: { mover: 'ec2-modify-network-interface' } };
  it('takes an interface own tag before its instance tag, and groups moves, resources and groups by stack', () => {
    const stacks = stacksOf({
      moves: [ec2Move, { networkInterfaceId: 'eni-0a0000000000000a2', owner: { mover: 'service' } }],
      resourceMoves: [{ resource: { kind: 'lambda-function', id: 'orders' }, label: 'Lambda function orders' }],
      members: [
        {
          NetworkInterfaceId: ENI,
          Attachment: { InstanceId: INSTANCE },
          TagSet: [{ Key: STACK_NAME_TAG, Value: 'eni-stack' }],
        },
      ],
      instanceStacks: { [INSTANCE]: 'instance-stack' },
      resourceStacks: new Map([['lambda-function:orders', 'app']]),
      groupStacks: new Map([['sg-0a0000000000000c1', 'app']]),
    });
    expect(stacks).toEqual([
      use('app', { resources: ['Lambda function orders'], groups: ['sg-0a0000000000000c1'] }),
      use('eni-stack', { interfaces: [`${INSTANCE} (${ENI})`] }),
    ]);
  });

  it('falls back to the instance stack; an interface moved by its service is counted with its resource only', () => {
    const stacks = stacksOf({
      moves: [ec2Move],
      resourceMoves: [],
      members: [{ NetworkInterfaceId: ENI, Attachment: { InstanceId: INSTANCE } }],
      instanceStacks: { [INSTANCE]: 'web-app' },
      resourceStacks: new Map(),
      groupStacks: new Map(),
    });
    expect(stacks).toEqual([use('web-app', { interfaces: [`${INSTANCE} (${ENI})`] })]);
  });
});

describe('describeStackUse', () => {
  it('quotes the stack name (untrusted) and bounds what it lists', () => {
    const line = describeStackUse(
      use('evil\u202Ename"', { interfaces: Array.from({ length: 7 }, (_, index) => `i-${index}`) }),
    );
    expect(line).toBe(
      'Stack "evil\\u{202E}name\\"": EC2 instance/interface i-0, EC2 instance/interface i-1, EC2 instance/interface i-2, EC2 instance/interface i-3, EC2 instance/interface i-4, and 2 more',
    );
  });
});

describe('stackDrift', () => {
  const plannedAt = '2025-06-01T10:00:00.000Z';
  it('stops on any operation in progress, naming the stack', () => {
    for (const status of ['UPDATE_IN_PROGRESS', 'UPDATE_ROLLBACK_IN_PROGRESS', 'UPDATE_COMPLETE_CLEANUP_IN_PROGRESS']) {
      const { stop, notes } = stackDrift(
        [use('web-app')],
        new Map([['web-app', { StackName: 'web-app', StackStatus: status, LastUpdatedTime: plannedAt }]]),
        plannedAt,
      );
      expect(stop).toHaveLength(1);
      expect(stop[0]).toContain(`Stack "web-app" is being changed (${status})`);
      expect(notes).toEqual([]);
    }
  });

  it('notes a stack updated after the plan and settled, or deleted; says nothing of one untouched since', () => {
    const { stop, notes } = stackDrift(
      [use('updated'), use('gone'), use('quiet')],
      new Map([
        ['updated', { StackStatus: 'UPDATE_COMPLETE', LastUpdatedTime: '2025-06-01T11:00:00.000Z' }],
        ['gone', undefined],
        ['quiet', { StackStatus: 'UPDATE_COMPLETE', LastUpdatedTime: '2025-05-01T11:00:00.000Z' }],
      ]),
      plannedAt,
    );
    expect(stop).toEqual([]);
    expect(notes).toHaveLength(2);
    expect(notes[0]).toMatch(
      /^Stack "updated" was updated \(2025-06-01T11:00:00.000Z, UPDATE_COMPLETE\) after the plan/,
    );
    expect(notes[1]).toMatch(/^Stack "gone" no longer exists/);
  });
});

describe('DescribeStacks', () => {
  it('the SDK adapter answers the stack with ISO times', async () => {
    const mock = mockClient(CloudFormationClient);
    mock.on(DescribeStacksCommand, { StackName: 'web-app' }).resolves({
      Stacks: [
        {
          StackName: 'web-app',
          StackStatus: 'UPDATE_IN_PROGRESS',
          CreationTime: new Date('2024-01-01T00:00:00Z'),
          LastUpdatedTime: new Date('2025-06-01T11:00:00Z'),
        },
      ],
    });
    const port = new SdkStacks(new CloudFormationClient({ region: 'us-east-1' }));
    expect(await port.describeStacks({ StackName: 'web-app' })).toEqual({
      Stacks: [
        {
          StackName: 'web-app',
          StackStatus: 'UPDATE_IN_PROGRESS',
          CreationTime: '2024-01-01T00:00:00.000Z',
          LastUpdatedTime: '2025-06-01T11:00:00.000Z',
        },
      ],
    });
    mock.restore();
  });

  it('the local model answers the state file Stacks, and ValidationError for a stack that does not exist', async () => {
    const simulator = Ec2Simulator.fromState({
      SecurityGroups: groups,
      Stacks: [
        { StackName: 'web-app', StackStatus: 'CREATE_COMPLETE', CreationTime: '2024-01-01T00:00:00Z' },
        { StackName: 'old', StackStatus: 'DELETE_COMPLETE', CreationTime: '2024-01-01T00:00:00Z' },
      ],
    });
    const port = new StacksSimulator(simulator);
    expect((await port.describeStacks({ StackName: 'web-app' })).Stacks?.[0]?.StackStatus).toBe('CREATE_COMPLETE');
    for (const name of ['missing', 'old']) {
      const error = await port.describeStacks({ StackName: name }).catch((caught: unknown) => caught);
      expect(errorCode(error)).toBe('ValidationError');
      expect((error as Error).message).toBe(`Stack with id ${name} does not exist`);
    }
  });

  it('the local model refuses a Stacks entry with a bad time, naming the field', () => {
    const simulator = Ec2Simulator.fromState({
      SecurityGroups: groups,
      Stacks: [{ StackName: 'web-app', StackStatus: 'CREATE_COMPLETE', CreationTime: 'yesterday' }],
    });
    expect(() => new StacksSimulator(simulator)).toThrow(InvalidInputError);
    expect(() => new StacksSimulator(simulator)).toThrow(/Stacks\.0\.CreationTime: must be an ISO 8601 time/);
  });
});

describe('DescribeTags in the simulator', () => {
  it('answers the state file Tags rows (instances) and the groups tags, filtered by resource id and key', async () => {
    const simulator = Ec2Simulator.fromState({
      SecurityGroups: [{ ...groups[0], Tags: [{ Key: STACK_NAME_TAG, Value: 'network' }] }],
      Tags: [
        { Key: STACK_NAME_TAG, ResourceId: INSTANCE, ResourceType: 'instance', Value: 'web-app' },
        { Key: 'Name', ResourceId: INSTANCE, ResourceType: 'instance', Value: 'web-1' },
        { Key: STACK_NAME_TAG, ResourceId: 'i-0a0000000000000b2', ResourceType: 'instance', Value: 'other' },
      ],
    });
    const answer = await simulator.describeTags({
      Filters: [
        { Name: 'resource-id', Values: [INSTANCE, 'sg-0a0000000000000d1'] },
        { Name: 'key', Values: [STACK_NAME_TAG] },
      ],
      MaxResults: 1000,
    });
    expect(answer.Tags).toEqual([
      { Key: STACK_NAME_TAG, ResourceId: 'sg-0a0000000000000d1', ResourceType: 'security-group', Value: 'network' },
      { Key: STACK_NAME_TAG, ResourceId: INSTANCE, ResourceType: 'instance', Value: 'web-app' },
    ]);
    // MaxResults is 5-1000 (API_DescribeTags), and an unknown filter is refused, as EC2 does.
    await expect(simulator.describeTags({ MaxResults: 4 })).rejects.toMatchObject({ name: 'InvalidParameterValue' });
    await expect(simulator.describeTags({ Filters: [{ Name: 'owner', Values: ['x'] }] })).rejects.toMatchObject({
      name: 'InvalidParameterValue',
    });
  });
});
