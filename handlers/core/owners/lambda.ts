/**
 * AWS Lambda: functions attached to a VPC own Hyperplane interfaces ("AWS Lambda VPC ENI-<function>-<uuid>",
 * InterfaceType `lambda`) shared by every function with the same subnets and groups
 * (https://docs.aws.amazon.com/lambda/latest/dg/configuration-vpc.html), so Discover also looks for every function
 * of the VPC on the group. A function moves with UpdateFunctionConfiguration VpcConfig
 * (https://docs.aws.amazon.com/lambda/latest/api/API_UpdateFunctionConfiguration.html).
 */
import { defineOwner } from './types.ts';

const FUNCTIONS = { service: 'lambda', resource: 'function:*' };

export const lambda = defineOwner({
  service: 'lambda',
  title: 'AWS Lambda',
  ownerKinds: { lambda: 'Lambda function' },
  resources: {
    'lambda-function': {
      label: 'Lambda function',
      moveAction: 'lambda:UpdateFunctionConfiguration',
      // GetFunctionConfiguration to read it, again to keep its subnets, UpdateFunctionConfiguration, then
      // GetFunctionConfiguration until LastUpdateStatus leaves InProgress: all control-plane calls.
      callsPerMove: 4,
      // "If your function connects to a VPC, this process can take a minute" (UpdateFunctionConfiguration, above):
      // twice that.
      settleSeconds: 120,
    },
  },
  // A function keeps its VPC settings while it has no interface (idle, or Inactive after weeks without invocation) and
  // gets one on the next invocation (https://docs.aws.amazon.com/lambda/latest/dg/functions-states.html).
  listedInVpc: true,
  recognise(eni) {
    const description = eni.Description ?? '';
    if (eni.InterfaceType !== 'lambda' && !description.startsWith('AWS Lambda VPC ENI')) return undefined;
    const name = description.replace(/^AWS Lambda VPC ENI-?/, '').replace(/-[0-9a-f-]{36}$/, '');
    return {
      kind: 'lambda',
      label: `Lambda function ${name || '(unknown)'}`,
      mover: 'service',
      lookup: { service: 'lambda' },
      ...(name ? { resource: { kind: 'lambda-function', id: name } } : {}),
    };
  },
  // ResourceConflictException: "an update is in progress for resource" (UpdateFunctionConfiguration, above).
  errors: { notFound: ['ResourceNotFoundException'], busy: ['ResourceConflictException'] },
  iam: {
    readOnAny: ['lambda:ListFunctions'],
    reads: [
      // ListTags: the stack tag of each function on the default group (core/stacks.ts).
      {
        sid: 'ReadFunctionConfigurations',
        actions: ['lambda:GetFunctionConfiguration', 'lambda:ListTags'],
        resources: [FUNCTIONS],
      },
    ],
    // Changing a function's VpcConfig also needs the caller's ec2:DescribeSecurityGroups, DescribeSubnets and
    // DescribeVpcs (https://docs.aws.amazon.com/lambda/latest/dg/configuration-vpc.html#configuration-vpc-permissions).
    moveOnAny: ['ec2:DescribeSecurityGroups', 'ec2:DescribeSubnets', 'ec2:DescribeVpcs'],
    moves: [
      {
        sid: 'MoveFunctionsByTheirVpcGroupsOnly',
        actions: ['lambda:UpdateFunctionConfiguration'],
        resources: [FUNCTIONS],
        // lambda:Layer holds the layer versions a request names, lambda:VpcIds / SubnetIds / SecurityGroupIds its VPC
        // settings (https://docs.aws.amazon.com/lambda/latest/dg/lambda-api-permissions-ref.html,
        // https://docs.aws.amazon.com/lambda/latest/dg/configuration-vpc.html#vpc-conditions,
        // https://docs.aws.amazon.com/lambda/latest/dg/permissions-user-layer.html): the request must name no layer and
        // must keep the function in a VPC with subnets and groups (a move never detaches it).
        conditions: {
          Null: {
            'lambda:Layer': 'true',
            'lambda:SecurityGroupIds': 'false',
            'lambda:SubnetIds': 'false',
            'lambda:VpcIds': 'false',
          },
        },
      },
    ],
  },
  // "Control plane API requests (excludes invocation, GetFunction, and GetPolicy requests): 15 requests per second
  // across all control plane APIs", per account and Region, not raisable
  // (https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html#api-requests). No burst is published:
  // one second's worth.
  rateLimit: {
    key: 'lambda:control-plane',
    capacity: 15,
    refillPerSecond: 15,
    source: 'https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html#api-requests',
    documented: true,
  },
});
