/**
 * Ec2Port over the AWS SDK v3 EC2 client: each method sends the matching command and answers its output. SDK errors
 * pass through unchanged; their `name` is the EC2 error code (`InvalidGroup.NotFound`, …), which is what
 * `errorCode()` in core/errors.ts reads.
 */
import {
  AuthorizeSecurityGroupEgressCommand,
  AuthorizeSecurityGroupIngressCommand,
  CreateSecurityGroupCommand,
  DeleteSecurityGroupCommand,
  DescribeManagedPrefixListsCommand,
  DescribeNetworkInterfacesCommand,
  DescribeSecurityGroupReferencesCommand,
  DescribeSecurityGroupsCommand,
  DescribeStaleSecurityGroupsCommand,
  DescribeVpcsCommand,
  type EC2Client,
  ModifyNetworkInterfaceAttributeCommand,
  RevokeSecurityGroupEgressCommand,
  RevokeSecurityGroupIngressCommand,
  UpdateSecurityGroupRuleDescriptionsEgressCommand,
  UpdateSecurityGroupRuleDescriptionsIngressCommand,
} from '@aws-sdk/client-ec2';
import type { Ec2Port } from '../../ports.ts';

type Input<K extends keyof Ec2Port> = Parameters<Ec2Port[K]>[0];
type Output<K extends keyof Ec2Port> = ReturnType<Ec2Port[K]>;

export class SdkEc2 implements Ec2Port {
  constructor(private readonly client: EC2Client) {}

  describeSecurityGroups(input: Input<'describeSecurityGroups'>): Output<'describeSecurityGroups'> {
    return this.client.send(new DescribeSecurityGroupsCommand(input));
  }

  describeNetworkInterfaces(input: Input<'describeNetworkInterfaces'>): Output<'describeNetworkInterfaces'> {
    return this.client.send(new DescribeNetworkInterfacesCommand(input));
  }

  describeVpcs(input: Input<'describeVpcs'>): Output<'describeVpcs'> {
    return this.client.send(new DescribeVpcsCommand(input));
  }

  describeSecurityGroupReferences(
    input: Input<'describeSecurityGroupReferences'>,
  ): Output<'describeSecurityGroupReferences'> {
    return this.client.send(new DescribeSecurityGroupReferencesCommand(input));
  }

  describeManagedPrefixLists(input: Input<'describeManagedPrefixLists'>): Output<'describeManagedPrefixLists'> {
    return this.client.send(new DescribeManagedPrefixListsCommand(input));
  }

  describeStaleSecurityGroups(input: Input<'describeStaleSecurityGroups'>): Output<'describeStaleSecurityGroups'> {
    return this.client.send(new DescribeStaleSecurityGroupsCommand(input));
  }

  createSecurityGroup(input: Input<'createSecurityGroup'>): Output<'createSecurityGroup'> {
    return this.client.send(new CreateSecurityGroupCommand(input));
  }

  deleteSecurityGroup(input: Input<'deleteSecurityGroup'>): Output<'deleteSecurityGroup'> {
    return this.client.send(new DeleteSecurityGroupCommand(input));
  }

  authorizeSecurityGroupIngress(
    input: Input<'authorizeSecurityGroupIngress'>,
  ): Output<'authorizeSecurityGroupIngress'> {
    return this.client.send(new AuthorizeSecurityGroupIngressCommand(input));
  }

  authorizeSecurityGroupEgress(input: Input<'authorizeSecurityGroupEgress'>): Output<'authorizeSecurityGroupEgress'> {
    return this.client.send(new AuthorizeSecurityGroupEgressCommand(input));
  }

  revokeSecurityGroupIngress(input: Input<'revokeSecurityGroupIngress'>): Output<'revokeSecurityGroupIngress'> {
    return this.client.send(new RevokeSecurityGroupIngressCommand(input));
  }

  revokeSecurityGroupEgress(input: Input<'revokeSecurityGroupEgress'>): Output<'revokeSecurityGroupEgress'> {
    return this.client.send(new RevokeSecurityGroupEgressCommand(input));
  }

  updateSecurityGroupRuleDescriptionsIngress(
    input: Input<'updateSecurityGroupRuleDescriptionsIngress'>,
  ): Output<'updateSecurityGroupRuleDescriptionsIngress'> {
    return this.client.send(new UpdateSecurityGroupRuleDescriptionsIngressCommand(input));
  }

  updateSecurityGroupRuleDescriptionsEgress(
    input: Input<'updateSecurityGroupRuleDescriptionsEgress'>,
  ): Output<'updateSecurityGroupRuleDescriptionsEgress'> {
    return this.client.send(new UpdateSecurityGroupRuleDescriptionsEgressCommand(input));
  }

  modifyNetworkInterfaceAttribute(
    input: Input<'modifyNetworkInterfaceAttribute'>,
  ): Output<'modifyNetworkInterfaceAttribute'> {
    return this.client.send(new ModifyNetworkInterfaceAttributeCommand(input));
  }
}
