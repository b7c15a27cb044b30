/**
 * Ec2Port over the AWS SDK v3 EC2 client: each method sends the matching command and answers its output. SDK errors
 * keep the EC2 error code as their `name` (`InvalidGroup.NotFound`, …), which is what `errorCode()` in core/errors.ts
 * and the Retry/Catch blocks read, and name the operation and HTTP status in their message (sdk-errors.ts).
 */
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
  DescribeVpcsCommand,
  type EC2Client,
  ModifyNetworkInterfaceAttributeCommand,
  RevokeSecurityGroupEgressCommand,
  RevokeSecurityGroupIngressCommand,
  UpdateSecurityGroupRuleDescriptionsEgressCommand,
  UpdateSecurityGroupRuleDescriptionsIngressCommand,
} from '@aws-sdk/client-ec2';
import type { Ec2Port } from '../../ports.ts';
import { explainingSend } from './sdk-errors.ts';

type Input<K extends keyof Ec2Port> = Parameters<Ec2Port[K]>[0];
type Output<K extends keyof Ec2Port> = ReturnType<Ec2Port[K]>;

export class SdkEc2 implements Ec2Port {
  private readonly send: EC2Client['send'];

  constructor(client: EC2Client) {
    this.send = explainingSend(client, 'XML');
  }

  describeSecurityGroups(input: Input<'describeSecurityGroups'>): Output<'describeSecurityGroups'> {
    return this.send(new DescribeSecurityGroupsCommand(input));
  }

  describeNetworkInterfaces(input: Input<'describeNetworkInterfaces'>): Output<'describeNetworkInterfaces'> {
    return this.send(new DescribeNetworkInterfacesCommand(input));
  }

  describeVpcs(input: Input<'describeVpcs'>): Output<'describeVpcs'> {
    return this.send(new DescribeVpcsCommand(input));
  }

  describeSecurityGroupReferences(
    input: Input<'describeSecurityGroupReferences'>,
  ): Output<'describeSecurityGroupReferences'> {
    return this.send(new DescribeSecurityGroupReferencesCommand(input));
  }

  describeManagedPrefixLists(input: Input<'describeManagedPrefixLists'>): Output<'describeManagedPrefixLists'> {
    return this.send(new DescribeManagedPrefixListsCommand(input));
  }

  describeStaleSecurityGroups(input: Input<'describeStaleSecurityGroups'>): Output<'describeStaleSecurityGroups'> {
    return this.send(new DescribeStaleSecurityGroupsCommand(input));
  }

  describeTags(input: Input<'describeTags'>): Output<'describeTags'> {
    return this.send(new DescribeTagsCommand(input));
  }

  describeFlowLogs(input: Input<'describeFlowLogs'>): Output<'describeFlowLogs'> {
    return this.send(new DescribeFlowLogsCommand(input));
  }

  createSecurityGroup(input: Input<'createSecurityGroup'>): Output<'createSecurityGroup'> {
    return this.send(new CreateSecurityGroupCommand(input));
  }

  deleteSecurityGroup(input: Input<'deleteSecurityGroup'>): Output<'deleteSecurityGroup'> {
    return this.send(new DeleteSecurityGroupCommand(input));
  }

  authorizeSecurityGroupIngress(
    input: Input<'authorizeSecurityGroupIngress'>,
  ): Output<'authorizeSecurityGroupIngress'> {
    return this.send(new AuthorizeSecurityGroupIngressCommand(input));
  }

  authorizeSecurityGroupEgress(input: Input<'authorizeSecurityGroupEgress'>): Output<'authorizeSecurityGroupEgress'> {
    return this.send(new AuthorizeSecurityGroupEgressCommand(input));
  }

  revokeSecurityGroupIngress(input: Input<'revokeSecurityGroupIngress'>): Output<'revokeSecurityGroupIngress'> {
    return this.send(new RevokeSecurityGroupIngressCommand(input));
  }

  revokeSecurityGroupEgress(input: Input<'revokeSecurityGroupEgress'>): Output<'revokeSecurityGroupEgress'> {
    return this.send(new RevokeSecurityGroupEgressCommand(input));
  }

  updateSecurityGroupRuleDescriptionsIngress(
    input: Input<'updateSecurityGroupRuleDescriptionsIngress'>,
  ): Output<'updateSecurityGroupRuleDescriptionsIngress'> {
    return this.send(new UpdateSecurityGroupRuleDescriptionsIngressCommand(input));
  }

  updateSecurityGroupRuleDescriptionsEgress(
    input: Input<'updateSecurityGroupRuleDescriptionsEgress'>,
  ): Output<'updateSecurityGroupRuleDescriptionsEgress'> {
    return this.send(new UpdateSecurityGroupRuleDescriptionsEgressCommand(input));
  }

  modifyNetworkInterfaceAttribute(
    input: Input<'modifyNetworkInterfaceAttribute'>,
  ): Output<'modifyNetworkInterfaceAttribute'> {
    return this.send(new ModifyNetworkInterfaceAttributeCommand(input));
  }

  createTags(input: Input<'createTags'>): Output<'createTags'> {
    return this.send(new CreateTagsCommand(input));
  }

  deleteTags(input: Input<'deleteTags'>): Output<'deleteTags'> {
    return this.send(new DeleteTagsCommand(input));
  }
}
