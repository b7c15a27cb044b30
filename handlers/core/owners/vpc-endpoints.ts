/**
 * VPC endpoints (an EC2 API): an interface endpoint owns interfaces described "VPC Endpoint Interface vpce-…" (type
 * `vpc_endpoint`) and moves with ModifyVpcEndpoint AddSecurityGroupIds / RemoveSecurityGroupIds
 * (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_ModifyVpcEndpoint.html). Gateway Load Balancer
 * endpoints take no security groups.
 */
import { bucketOf } from '../rate-limits.ts';
import { defineOwner } from './types.ts';

const modifyVpcEndpoint = bucketOf('ModifyVpcEndpoint');

export const vpcEndpoints = defineOwner({
  service: 'vpc-endpoints',
  title: 'VPC endpoints',
  ownerKinds: { 'vpc-endpoint': 'VPC endpoint' },
  resources: {
    'vpc-endpoint': {
      label: 'VPC endpoint',
      moveAction: 'ec2:ModifyVpcEndpoint',
      // EC2's buckets are per action: of a move's calls only ModifyVpcEndpoint draws from this one.
      callsPerMove: 1,
    },
  },
  recognise(eni) {
    const description = eni.Description ?? '';
    const type = eni.InterfaceType ?? 'interface';
    const name = description.replace(/^VPC Endpoint Interface /, '');
    if (type === 'gateway_load_balancer_endpoint') {
      return {
        kind: 'vpc-endpoint',
        label: `Gateway Load Balancer endpoint ${name}`.trim(),
        unmovable: 'Gateway Load Balancer endpoints take no security groups',
      };
    }
    if (type !== 'vpc_endpoint' && !description.startsWith('VPC Endpoint Interface')) return undefined;
    const endpointId = /vpce-[0-9a-f]+/.exec(description)?.[0];
    return {
      kind: 'vpc-endpoint',
      label: `VPC endpoint ${name}`.trim(),
      ...(endpointId ? { mover: 'service' as const, resource: { kind: 'vpc-endpoint' as const, id: endpointId } } : {}),
    };
  },
  errors: { notFound: ['InvalidVpcEndpointId.NotFound'], busy: [] },
  iam: {
    readOnAny: ['ec2:DescribeVpcEndpoints'],
    reads: [],
    moveOnAny: [],
    moves: [
      // ModifyVpcEndpoint is authorized against the endpoint and each group it adds or removes: the groups must be
      // in this account's VPCs (ec2:Vpc); the endpoint type has no ec2:Vpc key, so it stays limited by its ARN only.
      {
        sid: 'MoveInterfaceEndpoints',
        actions: ['ec2:ModifyVpcEndpoint'],
        resources: [{ service: 'ec2', resource: 'vpc-endpoint/*' }],
      },
      {
        sid: 'MoveInterfaceEndpointsToGroupsOfThisAccountsVpcs',
        actions: ['ec2:ModifyVpcEndpoint'],
        resources: [{ service: 'ec2', resource: 'security-group/*' }],
        conditions: { ArnLike: { 'ec2:Vpc': { service: 'ec2', resource: 'vpc/*' } } },
      },
    ],
  },
  // ModifyVpcEndpoint is one of EC2's uncategorized actions, with its own bucket: a burst of 4 and a refill of 0.3 per
  // second (https://docs.aws.amazon.com/ec2/latest/devguide/ec2-api-throttling.html, handlers/core/rate-limits.ts).
  rateLimit: {
    key: modifyVpcEndpoint.key,
    capacity: modifyVpcEndpoint.limits.capacity,
    refillPerSecond: modifyVpcEndpoint.limits.refillPerSecond,
    source: 'https://docs.aws.amazon.com/ec2/latest/devguide/ec2-api-throttling.html',
    documented: true,
  },
});
