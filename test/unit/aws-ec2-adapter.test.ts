import {
  AuthorizeSecurityGroupEgressCommand,
  AuthorizeSecurityGroupIngressCommand,
  CreateSecurityGroupCommand,
  CreateTagsCommand,
  DeleteSecurityGroupCommand,
  DeleteTagsCommand,
  DescribeFlowLogsCommand,
  DescribeManagedPrefixListsCommand,
  DescribeNetworkInterfacesCommand,
  DescribeSecurityGroupReferencesCommand,
  DescribeSecurityGroupsCommand,
  DescribeStaleSecurityGroupsCommand,
  DescribeTagsCommand,
  EC2Client,
  EC2ServiceException,
  ModifyNetworkInterfaceAttributeCommand,
  RevokeSecurityGroupEgressCommand,
  RevokeSecurityGroupIngressCommand,
  UpdateSecurityGroupRuleDescriptionsEgressCommand,
  UpdateSecurityGroupRuleDescriptionsIngressCommand,
} from '@aws-sdk/client-ec2';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { SdkEc2 } from '../../handlers/adapters/aws/ec2.ts';
import { errorCode } from '../../handlers/core/errors.ts';
import type { Ec2Port } from '../../handlers/ports.ts';

const ec2Mock = mockClient(EC2Client);
const client = new EC2Client({ region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'y' } });
const adapter = new SdkEc2(client);

const GROUP = 'sg-07d2e3f4a5b6c7d8e';
const RULE = [{ IpProtocol: 'tcp', FromPort: 443, ToPort: 443, IpRanges: [{ CidrIp: '10.0.0.0/8' }] }];

beforeEach(() => {
  ec2Mock.reset();
});

afterAll(() => {
  ec2Mock.restore();
});

describe('SdkEc2', () => {
  it('sends DescribeSecurityGroups with the input and answers the output', async () => {
    const output = { SecurityGroups: [{ GroupId: GROUP, GroupName: 'default' }], NextToken: 'next' };
    ec2Mock.on(DescribeSecurityGroupsCommand).resolves(output);
    const input = { Filters: [{ Name: 'vpc-id', Values: ['vpc-07e1f2a3b4c5d6e7f'] }], MaxResults: 50 };
    expect(await adapter.describeSecurityGroups(input)).toMatchObject(output);
    expect(ec2Mock.commandCalls(DescribeSecurityGroupsCommand)).toHaveLength(1);
    expect(ec2Mock.commandCalls(DescribeSecurityGroupsCommand)[0]?.args[0].input).toEqual(input);
  });

  it('sends ModifyNetworkInterfaceAttribute with the groups', async () => {
    ec2Mock.on(ModifyNetworkInterfaceAttributeCommand).resolves({});
    await adapter.modifyNetworkInterfaceAttribute({ NetworkInterfaceId: 'eni-07000000000000011', Groups: [GROUP] });
    expect(ec2Mock.commandCalls(ModifyNetworkInterfaceAttributeCommand)[0]?.args[0].input).toEqual({
      NetworkInterfaceId: 'eni-07000000000000011',
      Groups: [GROUP],
    });
  });

  it('answers CreateSecurityGroup output unchanged', async () => {
    ec2Mock.on(CreateSecurityGroupCommand, { GroupName: 'copy' }).resolves({
      GroupId: 'sg-0123456789abcdef0',
      SecurityGroupArn: 'arn:aws:ec2:us-east-1:111122223333:security-group/sg-0123456789abcdef0',
    });
    const out = await adapter.createSecurityGroup({
      GroupName: 'copy',
      Description: 'copy',
      VpcId: 'vpc-07e1f2a3b4c5d6e7f',
    });
    expect(out.GroupId).toBe('sg-0123456789abcdef0');
  });

  it('lets SDK errors through unchanged, with the EC2 code as name', async () => {
    const error = new EC2ServiceException({
      name: 'InvalidPermission.Duplicate',
      $fault: 'client',
      $metadata: { httpStatusCode: 400 },
      message: 'the specified rule "peer: 10.0.0.0/8, TCP, from port: 443, to port: 443, ALLOW" already exists',
    });
    ec2Mock.on(AuthorizeSecurityGroupIngressCommand).rejects(error);
    const caught = await adapter.authorizeSecurityGroupIngress({ GroupId: GROUP, IpPermissions: RULE }).then(
      () => undefined,
      (reason: unknown) => reason,
    );
    expect(caught).toBe(error);
    expect(errorCode(caught)).toBe('InvalidPermission.Duplicate');
  });

  it('maps every Ec2Port method to its command', async () => {
    const calls: [keyof Ec2Port, unknown, abstract new (...args: never[]) => unknown][] = [
      ['describeSecurityGroups', {}, DescribeSecurityGroupsCommand],
      [
        'describeNetworkInterfaces',
        { NetworkInterfaceIds: ['eni-07000000000000011'] },
        DescribeNetworkInterfacesCommand,
      ],
      ['describeSecurityGroupReferences', { GroupId: [GROUP] }, DescribeSecurityGroupReferencesCommand],
      [
        'describeTags',
        { Filters: [{ Name: 'resource-id', Values: ['i-0123456789abcdef0'] }], MaxResults: 1000 },
        DescribeTagsCommand,
      ],
      [
        'describeFlowLogs',
        { Filter: [{ Name: 'resource-id', Values: ['vpc-07e1f2a3b4c5d6e7f'] }], MaxResults: 1000 },
        DescribeFlowLogsCommand,
      ],
      [
        'describeManagedPrefixLists',
        { Filters: [{ Name: 'prefix-list-id', Values: ['pl-3b927c52'] }], MaxResults: 100 },
        DescribeManagedPrefixListsCommand,
      ],
      [
        'describeStaleSecurityGroups',
        { VpcId: 'vpc-07e1f2a3b4c5d6e7f', MaxResults: 255 },
        DescribeStaleSecurityGroupsCommand,
      ],
      [
        'createSecurityGroup',
        { GroupName: 'n', Description: 'd', VpcId: 'vpc-07e1f2a3b4c5d6e7f' },
        CreateSecurityGroupCommand,
      ],
      ['deleteSecurityGroup', { GroupId: GROUP }, DeleteSecurityGroupCommand],
      ['authorizeSecurityGroupIngress', { GroupId: GROUP, IpPermissions: RULE }, AuthorizeSecurityGroupIngressCommand],
      ['authorizeSecurityGroupEgress', { GroupId: GROUP, IpPermissions: RULE }, AuthorizeSecurityGroupEgressCommand],
      ['revokeSecurityGroupIngress', { GroupId: GROUP, IpPermissions: RULE }, RevokeSecurityGroupIngressCommand],
      [
        'revokeSecurityGroupEgress',
        { GroupId: GROUP, SecurityGroupRuleIds: ['sgr-0123456789abcdef0'] },
        RevokeSecurityGroupEgressCommand,
      ],
      [
        'updateSecurityGroupRuleDescriptionsIngress',
        { GroupId: GROUP, IpPermissions: RULE },
        UpdateSecurityGroupRuleDescriptionsIngressCommand,
      ],
      [
        'updateSecurityGroupRuleDescriptionsEgress',
        { GroupId: GROUP, IpPermissions: RULE },
        UpdateSecurityGroupRuleDescriptionsEgressCommand,
      ],
      [
        'modifyNetworkInterfaceAttribute',
        { NetworkInterfaceId: 'eni-07000000000000011', Groups: [GROUP] },
        ModifyNetworkInterfaceAttributeCommand,
      ],
      [
        'createTags',
        { Resources: [GROUP], Tags: [{ Key: 'Name', Value: 'DO NOT USE. DO NOT ADD RULES' }] },
        CreateTagsCommand,
      ],
      [
        'deleteTags',
        { Resources: [GROUP], Tags: [{ Key: 'Name', Value: 'DO NOT USE. DO NOT ADD RULES' }] },
        DeleteTagsCommand,
      ],
    ];
    ec2Mock.onAnyCommand().resolves({});
    for (const [method, input] of calls) {
      await (adapter[method] as (input: unknown) => Promise<unknown>).call(adapter, input);
    }
    const sent = ec2Mock.calls().map((call) => call.args[0]);
    expect(sent).toHaveLength(calls.length);
    sent.forEach((command, index) => {
      const [, input, type] = calls[index] as (typeof calls)[number];
      expect(command).toBeInstanceOf(type);
      expect(command.input).toEqual(input);
    });
  });
});
