/**
 * Who owns a network interface, read from the fields EC2 returns (InterfaceType, RequesterManaged, RequesterId,
 * Description, Attachment), and whether this workflow can move it to another security group.
 * https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/requester-managed-eni.html lists the requester-managed kinds.
 */
import type { NetworkInterface } from './ec2-shapes.ts';

export type OwnerKind =
  | 'ec2-instance'
  | 'detached-interface'
  | 'lambda'
  | 'rds'
  | 'load-balancer'
  | 'vpc-endpoint'
  | 'nat-gateway'
  | 'efs'
  | 'elasticache'
  | 'ecs-task'
  | 'other-managed';

export interface InterfaceOwner {
  kind: OwnerKind;
  /** Human-readable: "EC2 instance i-0abc", "Lambda function my-fn", "load balancer app/web/50dc…". */
  label: string;
  /** How the interface moves; undefined when nothing this version supports can move it. */
  mover?: 'ec2-modify-network-interface';
}

export function classifyInterface(eni: NetworkInterface): InterfaceOwner {
  const description = eni.Description ?? '';
  const type = eni.InterfaceType ?? 'interface';
  const requester = eni.RequesterId ?? '';
  if (!eni.RequesterManaged && (type === 'interface' || type === 'efa' || type === 'trunk')) {
    const instanceId = eni.Attachment?.InstanceId;
    return instanceId
      ? { kind: 'ec2-instance', label: `EC2 instance ${instanceId}`, mover: 'ec2-modify-network-interface' }
      : {
          kind: 'detached-interface',
          label: `network interface not attached to an instance${description ? ` ("${description}")` : ''}`,
          mover: 'ec2-modify-network-interface',
        };
  }
  if (type === 'lambda' || description.startsWith('AWS Lambda VPC ENI')) {
    const name = description.replace(/^AWS Lambda VPC ENI-?/, '').replace(/-[0-9a-f-]{36}$/, '');
    return { kind: 'lambda', label: `Lambda function ${name || '(unknown)'}` };
  }
  if (description === 'RDSNetworkInterface' || requester === 'amazon-rds') {
    return { kind: 'rds', label: 'RDS database' };
  }
  if (description.startsWith('ELB ') || requester === 'amazon-elb' || type.includes('load_balancer')) {
    return { kind: 'load-balancer', label: `load balancer ${description.replace(/^ELB /, '') || '(unknown)'}` };
  }
  if (type === 'vpc_endpoint' || description.startsWith('VPC Endpoint Interface')) {
    return {
      kind: 'vpc-endpoint',
      label: `VPC endpoint ${description.replace(/^VPC Endpoint Interface /, '')}`.trim(),
    };
  }
  if (type === 'nat_gateway' || type === 'natGateway' || description.startsWith('Interface for NAT Gateway')) {
    return {
      kind: 'nat-gateway',
      label: `NAT gateway ${description.replace(/^Interface for NAT Gateway /, '')}`.trim(),
    };
  }
  if (description.startsWith('EFS mount target')) {
    return { kind: 'efs', label: description };
  }
  if (description.startsWith('ElastiCache') || requester === 'amazon-elasticache') {
    return { kind: 'elasticache', label: `ElastiCache ${description.replace(/^ElastiCache /, '')}`.trim() };
  }
  if (description.startsWith('arn:aws') && description.includes(':ecs:')) {
    return { kind: 'ecs-task', label: `ECS task ${description}` };
  }
  return {
    kind: 'other-managed',
    label: `interface managed by ${requester || 'another service'} (type ${type}${description ? `, "${description}"` : ''})`,
  };
}
