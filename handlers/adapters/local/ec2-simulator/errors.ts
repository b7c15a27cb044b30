/**
 * The EC2 errors the simulator answers, with codes from the EC2 API reference and message text modelled on what EC2
 * sends. Error codes: https://docs.aws.amazon.com/AWSEC2/latest/APIReference/errors-overview.html
 */
import { Ec2ApiError } from '../../../core/errors.ts';

export const ec2Errors = {
  /** https://docs.aws.amazon.com/ec2/latest/devguide/ec2-api-throttling.html */
  requestLimitExceeded: () => new Ec2ApiError('RequestLimitExceeded', 'Request limit exceeded.'),
  missingParameter: (parameter: string) =>
    new Ec2ApiError('MissingParameter', `The request must contain the parameter ${parameter}`),
  invalidParameterValue: (message: string) => new Ec2ApiError('InvalidParameterValue', message),
  invalidParameterCombination: (message: string) => new Ec2ApiError('InvalidParameterCombination', message),
  malformedId: (code: string, id: string, prefix: string) =>
    new Ec2ApiError(code, `Invalid id: "${id}" (expecting "${prefix}-...")`),
  prefixListNotFound: (prefixListId: string) =>
    new Ec2ApiError('InvalidPrefixListID.NotFound', `The prefix list ID '${prefixListId}' does not exist`),
  groupNotFound: (groupId: string) =>
    new Ec2ApiError('InvalidGroup.NotFound', `The security group '${groupId}' does not exist`),
  groupNotInVpc: (groupId: string, vpcId: string) =>
    new Ec2ApiError('InvalidGroup.NotFound', `The security group '${groupId}' does not exist in VPC '${vpcId}'`),
  differentNetworks: () =>
    new Ec2ApiError('InvalidGroup.NotFound', 'You have specified two resources that belong to different networks.'),
  interfaceNotFound: (ids: string[]) =>
    new Ec2ApiError(
      'InvalidNetworkInterfaceID.NotFound',
      ids.length === 1
        ? `The networkInterface ID '${ids[0]}' does not exist`
        : `The networkInterface IDs '${ids.join(', ')}' do not exist`,
    ),
  vpcNotFound: (vpcId: string) => new Ec2ApiError('InvalidVpcID.NotFound', `The vpc ID '${vpcId}' does not exist`),
  noDefaultVpc: () =>
    new Ec2ApiError(
      'VPCIdNotSpecified',
      'No default VPC for this user. GroupName is only supported for EC2-Classic and default VPC.',
    ),
  groupDuplicate: (name: string, vpcId: string) =>
    new Ec2ApiError('InvalidGroup.Duplicate', `The security group '${name}' already exists for VPC '${vpcId}'`),
  groupReserved: () => new Ec2ApiError('InvalidGroup.Reserved', "The security group 'default' is reserved"),
  groupLimit: (vpcId: string) =>
    new Ec2ApiError(
      'SecurityGroupLimitExceeded',
      `The maximum number of security groups for VPC '${vpcId}' has been reached.`,
    ),
  permissionDuplicate: (peer: string) =>
    new Ec2ApiError('InvalidPermission.Duplicate', `the specified rule "${peer}" already exists`),
  permissionNotFound: () =>
    new Ec2ApiError('InvalidPermission.NotFound', 'The specified rule does not exist in this security group.'),
  ruleIdNotFound: (ruleId: string) =>
    new Ec2ApiError(
      'InvalidSecurityGroupRuleId.NotFound',
      `The security group rule ID '${ruleId}' does not exist in this security group.`,
    ),
  cannotDeleteDefault: (groupId: string) =>
    new Ec2ApiError('CannotDelete', `the specified group: "${groupId}" name: "default" cannot be deleted by a user`),
  dependencyViolation: (groupId: string) =>
    new Ec2ApiError('DependencyViolation', `resource ${groupId} has a dependent object`),
  groupsPerInterface: () =>
    new Ec2ApiError(
      'SecurityGroupsPerInterfaceLimitExceeded',
      'The maximum number of security groups per interface has been reached.',
    ),
  rulesPerGroup: () =>
    new Ec2ApiError(
      'RulesPerSecurityGroupLimitExceeded',
      'The maximum number of rules per security group has been reached.',
    ),
  /** errors-overview.html: "The specified ID for the resource you are trying to tag is not valid." */
  invalidTagResource: (id: string) => new Ec2ApiError('InvalidID', `The ID '${id}' is not valid`),
  /** errors-overview.html: TagLimitExceeded, the resource would have more than 50 tags. */
  tagLimit: (id: string) =>
    new Ec2ApiError('TagLimitExceeded', `The maximum number of tags for resource '${id}' has been reached.`),
  requesterManaged: (eniId: string) =>
    new Ec2ApiError(
      'OperationNotPermitted',
      `You are not allowed to modify the attributes of requester-managed network interface '${eniId}'.`,
    ),
};
