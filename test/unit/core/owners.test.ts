import { describe, expect, it } from 'vitest';
import type { NetworkInterface } from '../../../handlers/core/ec2-shapes.ts';
import { classifyInterface, type OwnerKind } from '../../../handlers/core/owners.ts';

const UUID = '38de40f4-3262-4417-a2ee-7aa4d5b88f6f';

const managed = (fields: NetworkInterface): NetworkInterface => ({
  InterfaceType: 'interface',
  RequesterManaged: true,
  ...fields,
});

const cases: [string, NetworkInterface, OwnerKind, string][] = [
  [
    'EC2 instance',
    { InterfaceType: 'interface', RequesterManaged: false, Attachment: { InstanceId: 'i-0abc', DeviceIndex: 0 } },
    'ec2-instance',
    'EC2 instance i-0abc',
  ],
  [
    'EC2 instance, EFA interface',
    { InterfaceType: 'efa', RequesterManaged: false, Attachment: { InstanceId: 'i-0efa' } },
    'ec2-instance',
    'EC2 instance i-0efa',
  ],
  [
    'EC2 instance, trunk interface',
    { InterfaceType: 'trunk', Attachment: { InstanceId: 'i-0tr' } },
    'ec2-instance',
    'EC2 instance i-0tr',
  ],
  ['EC2 instance, no InterfaceType', { Attachment: { InstanceId: 'i-0def' } }, 'ec2-instance', 'EC2 instance i-0def'],
  [
    'detached interface',
    { InterfaceType: 'interface', RequesterManaged: false, Description: 'spare', Status: 'available' },
    'detached-interface',
    'network interface not attached to an instance ("spare")',
  ],
  [
    'detached interface without description',
    { InterfaceType: 'interface', RequesterManaged: false, Description: '' },
    'detached-interface',
    'network interface not attached to an instance',
  ],
  [
    'Lambda by InterfaceType',
    managed({
      InterfaceType: 'lambda',
      RequesterId: 'AROAEXAMPLE:lambda',
      Description: `AWS Lambda VPC ENI-my-function-${UUID}`,
    }),
    'lambda',
    'Lambda function my-function',
  ],
  [
    'Lambda by InterfaceType, no description',
    managed({ InterfaceType: 'lambda', Description: '' }),
    'lambda',
    'Lambda function (unknown)',
  ],
  [
    'Lambda by description (older interfaces typed "interface")',
    managed({ RequesterId: 'AROAEXAMPLE:orders', Description: `AWS Lambda VPC ENI-orders-api-${UUID}` }),
    'lambda',
    'Lambda function orders-api',
  ],
  ['RDS by description', managed({ Description: 'RDSNetworkInterface' }), 'rds', 'RDS database'],
  ['RDS by requester id', managed({ RequesterId: 'amazon-rds', Description: '' }), 'rds', 'RDS database'],
  [
    'ELB by requester id',
    managed({ RequesterId: 'amazon-elb', Description: '' }),
    'load-balancer',
    'load balancer (unknown)',
  ],
  [
    'ELB by description',
    managed({ RequesterId: '210987654321', Description: 'ELB app/web/50dc6c495c0c9188' }),
    'load-balancer',
    'load balancer app/web/50dc6c495c0c9188',
  ],
  [
    'NLB by InterfaceType',
    managed({ InterfaceType: 'network_load_balancer', Description: 'ELB net/nlb/0123' }),
    'load-balancer',
    'load balancer net/nlb/0123',
  ],
  [
    'VPC endpoint',
    managed({ InterfaceType: 'vpc_endpoint', Description: 'VPC Endpoint Interface vpce-0abc123' }),
    'vpc-endpoint',
    'VPC endpoint vpce-0abc123',
  ],
  [
    'VPC endpoint by description',
    managed({ Description: 'VPC Endpoint Interface vpce-0def' }),
    'vpc-endpoint',
    'VPC endpoint vpce-0def',
  ],
  [
    'NAT gateway (nat_gateway)',
    managed({ InterfaceType: 'nat_gateway', Description: 'Interface for NAT Gateway nat-0abc' }),
    'nat-gateway',
    'NAT gateway nat-0abc',
  ],
  [
    'NAT gateway (natGateway)',
    managed({ InterfaceType: 'natGateway', Description: 'Interface for NAT Gateway nat-0def' }),
    'nat-gateway',
    'NAT gateway nat-0def',
  ],
  [
    'NAT gateway by InterfaceType natGateway alone',
    managed({ InterfaceType: 'natGateway', Description: '' }),
    'nat-gateway',
    'NAT gateway',
  ],
  [
    'NAT gateway by InterfaceType nat_gateway alone',
    managed({ InterfaceType: 'nat_gateway' }),
    'nat-gateway',
    'NAT gateway',
  ],
  [
    'NAT gateway by description alone',
    managed({ Description: 'Interface for NAT Gateway nat-0aaa' }),
    'nat-gateway',
    'NAT gateway nat-0aaa',
  ],
  [
    'EFS mount target',
    managed({ Description: 'EFS mount target for fs-0abc (fsmt-0def)' }),
    'efs',
    'EFS mount target for fs-0abc (fsmt-0def)',
  ],
  [
    'ElastiCache by description',
    managed({ Description: 'ElastiCache sessions-0001-001' }),
    'elasticache',
    'ElastiCache sessions-0001-001',
  ],
  [
    'ElastiCache by requester id',
    managed({ RequesterId: 'amazon-elasticache', Description: '' }),
    'elasticache',
    'ElastiCache',
  ],
  [
    'ECS task',
    managed({ Description: 'arn:aws:ecs:us-east-1:111122223333:attachment/0a1b2c3d-4e5f-6a7b-8c9d-0e1f2a3b4c5d' }),
    'ecs-task',
    'ECS task (attachment 0a1b2c3d-4e5f-6a7b-8c9d-0e1f2a3b4c5d)',
  ],
  [
    'EKS control plane',
    managed({ Description: 'Amazon EKS prod-cluster' }),
    'eks-cluster',
    'EKS cluster "prod-cluster"',
  ],
  [
    'OpenSearch domain',
    managed({ Description: 'ES search-logs' }),
    'opensearch-domain',
    'OpenSearch domain "search-logs"',
  ],
  [
    'SageMaker Studio domain',
    managed({ Description: '[DO NOT DELETE] ENI managed by SageMaker for Studio Domain(d-abc123xyz) - 0a1b' }),
    'sagemaker-domain',
    'SageMaker domain "d-abc123xyz"',
  ],
  [
    'unknown managed',
    managed({ InterfaceType: 'future_service_managed', RequesterId: 'AIDAEXAMPLE', Description: 'something else' }),
    'other-managed',
    'interface managed by AIDAEXAMPLE (type future_service_managed, "something else")',
  ],
  [
    'unknown managed, no requester or description',
    managed({ InterfaceType: 'future_service_managed' }),
    'other-managed',
    'interface managed by another service (type future_service_managed)',
  ],
  [
    'requester-managed "interface" attached to an instance (not ours to move)',
    managed({ RequesterId: 'AIDAEXAMPLE', Attachment: { InstanceId: 'i-0managed' } }),
    'other-managed',
    'interface managed by AIDAEXAMPLE (type interface)',
  ],
];

describe('classifyInterface', () => {
  it.each(cases)('%s', (_name, eni, kind, label) => {
    const owner = classifyInterface(eni);
    expect(owner.kind).toBe(kind);
    expect(owner.label).toBe(label);
  });

  it.each(cases)('EC2 moves instances and detached interfaces, services move named owners: %s', (name, eni, kind) => {
    const owner = classifyInterface(eni);
    if (kind === 'ec2-instance' || kind === 'detached-interface') {
      expect(owner.mover).toBe('ec2-modify-network-interface');
    } else if (
      ['nat-gateway', 'other-managed', 'eks-cluster', 'opensearch-domain', 'sagemaker-domain'].includes(kind) ||
      name === 'ElastiCache by requester id' ||
      name === 'ELB by requester id'
    ) {
      // Nothing names an owner that a service could move.
      expect(owner.mover).toBeUndefined();
    } else {
      expect(owner.mover).toBe('service');
    }
  });

  it('covers every owner kind in the table', () => {
    const kinds = new Set(cases.map(([, , kind]) => kind));
    expect([...kinds].sort()).toStrictEqual(
      [
        'ec2-instance',
        'detached-interface',
        'lambda',
        'rds',
        'load-balancer',
        'vpc-endpoint',
        'nat-gateway',
        'efs',
        'elasticache',
        'ecs-task',
        'eks-cluster',
        'opensearch-domain',
        'sagemaker-domain',
        'other-managed',
      ].sort(),
    );
  });
});

describe('classifyInterface: the owning resource', () => {
  const where = { accountId: '111122223333', region: 'eu-west-1' };

  it('a Lambda interface names its function and asks for the VPC lookup (shared interfaces)', () => {
    const owner = classifyInterface(
      managed({ InterfaceType: 'lambda', Description: `AWS Lambda VPC ENI-orders-api-${UUID}` }),
      where,
    );
    expect(owner.resource).toEqual({ kind: 'lambda-function', id: 'orders-api' });
    expect(owner.lookup).toEqual({ service: 'lambda' });
  });

  it('an EKS, OpenSearch or SageMaker interface is named with the change to make through its own API', () => {
    const owner = classifyInterface(managed({ Description: 'Amazon EKS prod-cluster' }), where);
    expect(owner.mover).toBeUndefined();
    expect(owner.fix).toMatch(/update-cluster-config --name "prod-cluster"/);
    // Only requester-managed interfaces: the account's own interface described so is the account's.
    expect(classifyInterface({ ...managed({ Description: 'ES x' }), RequesterManaged: false }, where).kind).toBe(
      'detached-interface',
    );
  });

  it('an ECS task interface names its attachment only: resolved to its task (and service) through DescribeTasks', () => {
    const attachment = '0a1b2c3d-4e5f-6a7b-8c9d-0e1f2a3b4c5d';
    const owner = classifyInterface(
      managed({ Description: `arn:aws:ecs:eu-west-1:111122223333:attachment/${attachment}` }),
      where,
    );
    expect(owner.mover).toBe('service');
    expect(owner.resource).toBeUndefined();
    expect(owner.lookup).toEqual({ service: 'ecs', member: attachment });
    // Text that only looks like it is not taken for an ECS attachment.
    expect(classifyInterface(managed({ Description: 'arn:aws:ecs:task/not-an-attachment' }), where).kind).toBe(
      'other-managed',
    );
  });

  it('an RDS interface names no instance: resolved through DescribeDBInstances', () => {
    const owner = classifyInterface(managed({ Description: 'RDSNetworkInterface', RequesterId: 'amazon-rds' }), where);
    expect(owner.resource).toBeUndefined();
    expect(owner.lookup).toEqual({ service: 'rds' });
  });

  it('an ALB / NLB interface gives the load balancer ARN', () => {
    const owner = classifyInterface(managed({ Description: 'ELB app/web/50dc6c495c0c9188' }), where);
    expect(owner.resource).toEqual({
      kind: 'load-balancer',
      id: 'arn:aws:elasticloadbalancing:eu-west-1:111122223333:loadbalancer/app/web/50dc6c495c0c9188',
    });
    const china = classifyInterface(managed({ Description: 'ELB net/nlb/0123abcd' }), {
      accountId: '111122223333',
      region: 'cn-north-1',
    });
    expect(china.resource?.id).toBe(
      'arn:aws-cn:elasticloadbalancing:cn-north-1:111122223333:loadbalancer/net/nlb/0123abcd',
    );
  });

  it('mount targets, endpoints and ElastiCache nodes by the ids in their descriptions', () => {
    expect(classifyInterface(managed({ Description: 'EFS mount target for fs-0abc (fsmt-0def)' })).resource).toEqual({
      kind: 'efs-mount-target',
      id: 'fsmt-0def',
    });
    expect(classifyInterface(managed({ Description: 'VPC Endpoint Interface vpce-0abc123' })).resource).toEqual({
      kind: 'vpc-endpoint',
      id: 'vpce-0abc123',
    });
    expect(classifyInterface(managed({ Description: 'ElastiCache sessions-0001-001' })).lookup).toEqual({
      service: 'elasticache',
      member: 'sessions-0001-001',
    });
  });

  it('interfaces that can carry no group change say why', () => {
    const gateway = classifyInterface(
      managed({ InterfaceType: 'gateway_load_balancer', Description: 'ELB gwy/fw/0a1b' }),
    );
    expect(gateway.mover).toBeUndefined();
    expect(gateway.unmovable).toMatch(/Gateway Load Balancer has no security groups/);
    const endpoint = classifyInterface(
      managed({ InterfaceType: 'gateway_load_balancer_endpoint', Description: 'VPC Endpoint Interface vpce-0f' }),
    );
    expect(endpoint.mover).toBeUndefined();
    expect(endpoint.unmovable).toMatch(/take no security groups/);
    expect(classifyInterface(managed({ InterfaceType: 'nat_gateway' })).unmovable).toMatch(/NAT gateway/);
    expect(classifyInterface(managed({ Description: 'ELB my-classic-lb' })).mover).toBeUndefined();
  });
});

/**
 * Every InterfaceType of https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_NetworkInterface.html (and the
 * SDK's NetworkInterfaceType): moved, or blocked with what it is and what to do. Descriptions and requesters as those
 * services write them where known.
 */
describe('classifyInterface: every interface type', () => {
  const plannable = (eni: NetworkInterface) =>
    classifyInterface(eni, { accountId: '111122223333', region: 'us-east-1' });

  it.each([
    ['interface', { InterfaceType: 'interface', Attachment: { InstanceId: 'i-0abc' } }],
    ['efa', { InterfaceType: 'efa', Attachment: { InstanceId: 'i-0abc' } }],
    ['efa-only', { InterfaceType: 'efa-only', Attachment: { InstanceId: 'i-0abc' } }],
    ['trunk (attached to a container instance)', { InterfaceType: 'trunk', Attachment: { InstanceId: 'i-0abc' } }],
  ] as [string, NetworkInterface][])('the account’s own %s interface moves through EC2', (_type, eni) => {
    expect(plannable({ RequesterManaged: false, ...eni }).mover).toBe('ec2-modify-network-interface');
  });

  it.each([
    [
      'lambda',
      { InterfaceType: 'lambda', Description: 'AWS Lambda VPC ENI-orders-0a1b2c3d-4e5f-6a7b-8c9d-0e1f2a3b4c5d' },
    ],
    ['load_balancer', { InterfaceType: 'load_balancer', Description: 'ELB app/web/50dc6c495c0c9188' }],
    ['network_load_balancer', { InterfaceType: 'network_load_balancer', Description: 'ELB net/tcp/50dc6c495c0c9188' }],
    ['vpc_endpoint', { InterfaceType: 'vpc_endpoint', Description: 'VPC Endpoint Interface vpce-0a1b2c3d4e5f60718' }],
  ] as [string, NetworkInterface][])('%s moves through its owner service', (_type, eni) => {
    expect(plannable(managed(eni)).mover).toBe('service');
  });

  it.each([
    [
      'natGateway',
      { InterfaceType: 'natGateway', Description: 'Interface for NAT Gateway nat-0aaa' },
      /takes no security groups/,
    ],
    [
      'gateway_load_balancer',
      { InterfaceType: 'gateway_load_balancer', Description: 'ELB gwy/fw/50dc6c495c0c9188' },
      /no security groups/,
    ],
    [
      'gateway_load_balancer_endpoint',
      { InterfaceType: 'gateway_load_balancer_endpoint', Description: 'VPC Endpoint Interface vpce-0a1b2c3d4e5f60718' },
      /take no security groups/,
    ],
    [
      'transit_gateway',
      {
        InterfaceType: 'transit_gateway',
        Description: 'Network Interface for Transit Gateway Attachment tgw-attach-0a1b',
      },
      /transit gateway attachment takes no security groups/,
    ],
  ] as [string, NetworkInterface, RegExp][])('%s is blocked: it takes no security groups', (_type, eni, why) => {
    const owner = plannable(managed(eni));
    expect(owner.mover).toBeUndefined();
    expect(owner.unmovable).toMatch(why);
  });

  it.each([
    ['branch', 'ENI trunking', /aws ecs update-service --network-configuration/],
    ['api_gateway_managed', 'API Gateway VPC link', /aws apigatewayv2 create-vpc-link/],
    ['ec2_instance_connect_endpoint', 'EC2 Instance Connect Endpoint', /aws ec2 modify-instance-connect-endpoint/],
    ['quicksight', 'QuickSight VPC connection', /aws quicksight update-vpc-connection/],
    ['aws_codestar_connections_managed', 'CodeConnections', /aws codestar-connections update-host/],
    ['iot_rules_managed', 'IoT Core rule VPC destination', /aws iot create-topic-rule-destination/],
    ['global_accelerator_managed', 'Global Accelerator', /endpoint/],
    ['evs', 'Elastic VMware Service', /EVS environment/],
  ])('%s is blocked, saying what it is and what to do', (type, what, fix) => {
    const owner = plannable(managed({ InterfaceType: type, RequesterId: '123456789012', Description: 'desc' }));
    expect(owner.mover).toBeUndefined();
    expect(owner.label).toContain(what);
    expect(owner.label).toContain('requester 123456789012, "desc"');
    expect(owner.unmovable).toBeTruthy();
    expect(owner.fix).toMatch(fix);
  });
});
