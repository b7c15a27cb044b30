/**
 * A real account for `capture`, played by the simulator: every SDK command `capture` sends (through the real adapters)
 * is answered, via aws-sdk-client-mock, with what the local simulator answers for the same state — the EC2 describes
 * by the EC2 simulator itself, launch templates by the local launch-source API, quotas and stacks by their simulators,
 * and the other services from the state's records (already in their describe shapes), filtered as each API filters.
 * Lists come in pages of at most PAGE, so every paging loop of `capture` turns.
 */
import {
  AutoScalingClient,
  DescribeAutoScalingGroupsCommand,
  DescribeLaunchConfigurationsCommand,
} from '@aws-sdk/client-auto-scaling';
import { BatchClient, DescribeComputeEnvironmentsCommand } from '@aws-sdk/client-batch';
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { BatchGetProjectsCommand, CodeBuildClient, ListProjectsCommand } from '@aws-sdk/client-codebuild';
import {
  DatabaseMigrationServiceClient,
  DescribeReplicationInstancesCommand,
} from '@aws-sdk/client-database-migration-service';
import {
  DescribeFleetsCommand,
  DescribeLaunchTemplatesCommand,
  DescribeLaunchTemplateVersionsCommand,
  DescribeManagedPrefixListsCommand,
  DescribeNetworkInterfacesCommand,
  DescribeSecurityGroupReferencesCommand,
  DescribeSecurityGroupsCommand,
  DescribeSpotFleetRequestsCommand,
  DescribeTagsCommand,
  DescribeVpcEndpointsCommand,
  DescribeVpcPeeringConnectionsCommand,
  DescribeVpcsCommand,
  EC2Client,
} from '@aws-sdk/client-ec2';
import {
  DescribeServicesCommand,
  DescribeTasksCommand,
  ECSClient,
  ListClustersCommand as ListEcsClustersCommand,
  ListServicesCommand,
  ListTasksCommand,
} from '@aws-sdk/client-ecs';
import {
  DescribeFileSystemsCommand,
  DescribeMountTargetSecurityGroupsCommand,
  DescribeMountTargetsCommand,
  EFSClient,
} from '@aws-sdk/client-efs';
import { DescribeNodegroupCommand, EKSClient, ListClustersCommand, ListNodegroupsCommand } from '@aws-sdk/client-eks';
import { DescribeLoadBalancersCommand, ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import {
  DescribeCacheClustersCommand,
  DescribeReplicationGroupsCommand,
  ElastiCacheClient,
} from '@aws-sdk/client-elasticache';
import { LambdaClient, ListFunctionsCommand, ListTagsCommand } from '@aws-sdk/client-lambda';
import { DescribeDBClustersCommand, DescribeDBInstancesCommand, RDSClient } from '@aws-sdk/client-rds';
import { DescribeClustersCommand, RedshiftClient } from '@aws-sdk/client-redshift';
import { GetServiceQuotaCommand, ServiceQuotasClient } from '@aws-sdk/client-service-quotas';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { type AwsStub, mockClient } from 'aws-sdk-client-mock';
import { Ec2Simulator } from '../../handlers/adapters/local/ec2-simulator.ts';
import { LocalLaunchSourceApi } from '../../handlers/adapters/local/owners/launch-sources.ts';
import { ServiceQuotasSimulator } from '../../handlers/adapters/local/service-quotas-simulator.ts';
import { StacksSimulator } from '../../handlers/adapters/local/stacks-simulator.ts';

/** The most any list answers at once here (the services' own limits are higher). */
export const PAGE = 2;

// biome-ignore lint/suspicious/noExplicitAny: records in each service's describe shape, read field by field.
type AnyRecord = Record<string, any>;

/** One page from `token` (an offset), at most `max` and PAGE long. */
function page<T>(items: readonly T[], token: string | undefined, max?: number): { items: T[]; next?: string } {
  const start = token ? Number(token) : 0;
  const end = start + Math.min(max ?? PAGE, PAGE);
  return { items: items.slice(start, end), ...(end < items.length ? { next: String(end) } : {}) };
}

function filterValues(filters: { Name?: string; Values?: string[] }[] | undefined, name: string): string[] | undefined {
  return filters?.find((filter) => filter.Name === name)?.Values;
}

export interface SimulatedAccount {
  simulator: Ec2Simulator;
  /** Calls per command name, as sent by `capture`. */
  calls(): Record<string, number>;
  restore(): void;
}

// biome-ignore lint/suspicious/noExplicitAny: the mocks of many clients share one bookkeeping list.
const stubs: AwsStub<any, any, any>[] = [];

/** Every client `capture` builds answers from `state`; `fail` makes one command reject (a service refusing). */
export function simulatedAccount(
  state: unknown,
  options: { fail?: { command: string; error: Error } } = {},
): SimulatedAccount {
  const simulator = Ec2Simulator.fromState(structuredClone(state));
  const records = simulator.serviceRecords() as AnyRecord;
  const list = (key: string): AnyRecord[] => (Array.isArray(records[key]) ? (records[key] as AnyRecord[]) : []);
  const launch = new LocalLaunchSourceApi(simulator, records as never);
  const quotas = new ServiceQuotasSimulator(simulator);
  const stacks = new StacksSimulator(simulator);
  const counts: Record<string, number> = {};
  const arnPrefix = (service: string) => `arn:aws:${service}:${simulator.region}:${simulator.accountId}`;

  const mock = <C>(client: C) => {
    // biome-ignore lint/suspicious/noExplicitAny: aws-sdk-client-mock's types per client.
    const stub = mockClient(client as any);
    stubs.push(stub);
    return {
      // biome-ignore lint/suspicious/noExplicitAny: each command's input and output shapes are its own.
      on(command: any, answer: (input: any) => unknown) {
        const name = String(command.name).replace(/Command$/, '');
        stub.on(command).callsFake(async (input: unknown) => {
          counts[name] = (counts[name] ?? 0) + 1;
          if (options.fail?.command === name) throw options.fail.error;
          return answer(input);
        });
        return this;
      },
    };
  };

  mock(STSClient).on(GetCallerIdentityCommand, () => ({ Account: simulator.accountId }));

  const ec2Page = (max: number | undefined, floor: number) => (max === undefined ? undefined : Math.max(floor, PAGE));
  mock(EC2Client)
    .on(DescribeSecurityGroupsCommand, (input) =>
      simulator.describeSecurityGroups({ ...input, MaxResults: ec2Page(input.MaxResults, 5) }),
    )
    .on(DescribeNetworkInterfacesCommand, (input) =>
      simulator.describeNetworkInterfaces({ ...input, MaxResults: ec2Page(input.MaxResults, 5) }),
    )
    .on(DescribeVpcsCommand, (input) => simulator.describeVpcs(input))
    .on(DescribeTagsCommand, (input) => simulator.describeTags({ ...input, MaxResults: ec2Page(input.MaxResults, 5) }))
    .on(DescribeManagedPrefixListsCommand, (input) =>
      simulator.describeManagedPrefixLists({ ...input, MaxResults: ec2Page(input.MaxResults, 1) }),
    )
    .on(DescribeSecurityGroupReferencesCommand, (input) => simulator.describeSecurityGroupReferences(input))
    .on(DescribeVpcPeeringConnectionsCommand, (input) => {
      const requester = filterValues(input.Filters, 'requester-vpc-info.vpc-id');
      const accepter = filterValues(input.Filters, 'accepter-vpc-info.vpc-id');
      const found = list('VpcPeeringConnections').filter(
        (pcx) =>
          (!requester || requester.includes(pcx.RequesterVpcInfo?.VpcId)) &&
          (!accepter || accepter.includes(pcx.AccepterVpcInfo?.VpcId)),
      );
      const { items, next } = page(found, input.NextToken, input.MaxResults);
      return { VpcPeeringConnections: items, NextToken: next };
    })
    .on(DescribeVpcEndpointsCommand, (input) => {
      const vpcs = filterValues(input.Filters, 'vpc-id');
      const { items, next } = page(
        list('VpcEndpoints').filter((endpoint) => !vpcs || vpcs.includes(endpoint.VpcId)),
        input.NextToken,
        input.MaxResults,
      );
      return { VpcEndpoints: items, NextToken: next };
    })
    .on(DescribeLaunchTemplatesCommand, async (input) => {
      if (input.LaunchTemplateIds)
        return { LaunchTemplates: await launch.describeLaunchTemplates(input.LaunchTemplateIds) };
      const { items, next } = page(await launch.describeLaunchTemplates(), input.NextToken, input.MaxResults);
      return { LaunchTemplates: items, NextToken: next };
    })
    .on(DescribeLaunchTemplateVersionsCommand, async (input) => {
      const versions = await launch.describeLaunchTemplateVersions(input.LaunchTemplateId, input.Versions);
      if (input.Versions) return { LaunchTemplateVersions: versions };
      const { items, next } = page(versions, input.NextToken, input.MaxResults);
      return { LaunchTemplateVersions: items, NextToken: next };
    })
    .on(DescribeFleetsCommand, (input) => {
      const { items, next } = page(list('Fleets'), input.NextToken, input.MaxResults);
      return { Fleets: items, NextToken: next };
    })
    .on(DescribeSpotFleetRequestsCommand, (input) => {
      const { items, next } = page(list('SpotFleetRequestConfigs'), input.NextToken, input.MaxResults);
      return { SpotFleetRequestConfigs: items, NextToken: next };
    });

  mock(AutoScalingClient)
    .on(DescribeAutoScalingGroupsCommand, (input) => {
      const found = list('AutoScalingGroups').filter(
        (group) => !input.AutoScalingGroupNames || input.AutoScalingGroupNames.includes(group.AutoScalingGroupName),
      );
      const { items, next } = page(found, input.NextToken, input.MaxRecords);
      return { AutoScalingGroups: items, NextToken: next };
    })
    .on(DescribeLaunchConfigurationsCommand, (input) => {
      const found = list('LaunchConfigurations').filter(
        (lc) => !input.LaunchConfigurationNames || input.LaunchConfigurationNames.includes(lc.LaunchConfigurationName),
      );
      const { items, next } = page(found, input.NextToken, input.MaxRecords);
      return { LaunchConfigurations: items, NextToken: next };
    });

  const nodegroups = list('nodegroups');
  mock(EKSClient)
    .on(ListClustersCommand, (input) => {
      const { items, next } = page(
        [...new Set(nodegroups.map((n) => n.clusterName))],
        input.nextToken,
        input.maxResults,
      );
      return { clusters: items, nextToken: next };
    })
    .on(ListNodegroupsCommand, (input) => {
      const names = nodegroups.filter((n) => n.clusterName === input.clusterName).map((n) => n.nodegroupName);
      const { items, next } = page(names, input.nextToken, input.maxResults);
      return { nodegroups: items, nextToken: next };
    })
    .on(DescribeNodegroupCommand, (input) => ({
      nodegroup: nodegroups.find((n) => n.clusterName === input.clusterName && n.nodegroupName === input.nodegroupName),
    }));

  // ListFunctions answers every version with its ARN and no tags; ListTags answers the function's tags.
  const functionArn = (fn: AnyRecord) =>
    fn.FunctionArn ??
    `${arnPrefix('lambda')}:function:${fn.FunctionName}${fn.Version && fn.Version !== '$LATEST' ? `:${fn.Version}` : ''}`;
  mock(LambdaClient)
    .on(ListFunctionsCommand, (input) => {
      const all = list('Functions').map(({ Tags: _tags, ...fn }) => ({ ...fn, FunctionArn: functionArn(fn) }));
      const { items, next } = page(all, input.Marker, input.MaxItems);
      return { Functions: items, NextMarker: next };
    })
    .on(ListTagsCommand, (input) => ({
      Tags: list('Functions').find((fn) => functionArn(fn) === input.Resource)?.Tags ?? {},
    }));

  mock(RDSClient)
    .on(DescribeDBInstancesCommand, (input) => {
      const { items, next } = page(list('DBInstances'), input.Marker, input.MaxRecords);
      return { DBInstances: items, Marker: next };
    })
    .on(DescribeDBClustersCommand, (input) => {
      const { items, next } = page(list('DBClusters'), input.Marker, input.MaxRecords);
      return { DBClusters: items, Marker: next };
    });

  mock(ElasticLoadBalancingV2Client).on(DescribeLoadBalancersCommand, (input) => {
    const { items, next } = page(list('LoadBalancers'), input.Marker, input.PageSize);
    return { LoadBalancers: items, NextMarker: next };
  });

  // DescribeMountTargets answers no groups: DescribeMountTargetSecurityGroups does.
  const mountTargets = list('MountTargets');
  mock(EFSClient)
    .on(DescribeFileSystemsCommand, (input) => {
      const ids = [...new Set(mountTargets.map((target) => target.FileSystemId))];
      const { items, next } = page(
        ids.map((FileSystemId) => ({ FileSystemId })),
        input.Marker,
        input.MaxItems,
      );
      return { FileSystems: items, NextMarker: next };
    })
    .on(DescribeMountTargetsCommand, (input) => {
      const found = mountTargets
        .filter((target) => target.FileSystemId === input.FileSystemId)
        .map(({ SecurityGroups: _groups, ...target }) => target);
      const { items, next } = page(found, input.Marker, input.MaxItems);
      return { MountTargets: items, NextMarker: next };
    })
    .on(DescribeMountTargetSecurityGroupsCommand, (input) => ({
      SecurityGroups: mountTargets.find((target) => target.MountTargetId === input.MountTargetId)?.SecurityGroups ?? [],
    }));

  mock(ElastiCacheClient)
    .on(DescribeCacheClustersCommand, (input) => {
      const { items, next } = page(list('CacheClusters'), input.Marker, input.MaxRecords);
      return { CacheClusters: items, Marker: next };
    })
    .on(DescribeReplicationGroupsCommand, (input) => {
      const { items, next } = page(list('ReplicationGroups'), input.Marker, input.MaxRecords);
      return { ReplicationGroups: items, Marker: next };
    });

  const serviceArn = (service: AnyRecord) =>
    service.serviceArn ?? `${String(service.clusterArn).replace(':cluster/', ':service/')}/${service.serviceName}`;
  const ecsServices = list('services');
  const ecsTasks = list('tasks');
  mock(ECSClient)
    .on(ListEcsClustersCommand, (input) => {
      const arns = [...new Set([...ecsServices, ...ecsTasks].map((record) => record.clusterArn as string))];
      const { items, next } = page(arns, input.nextToken, input.maxResults);
      return { clusterArns: items, nextToken: next };
    })
    .on(ListServicesCommand, (input) => {
      const arns = ecsServices.filter((s) => s.clusterArn === input.cluster).map(serviceArn);
      const { items, next } = page(arns, input.nextToken, input.maxResults);
      return { serviceArns: items, nextToken: next };
    })
    .on(DescribeServicesCommand, (input) => ({
      services: ecsServices.filter((s) => s.clusterArn === input.cluster && input.services.includes(serviceArn(s))),
    }))
    .on(ListTasksCommand, (input) => {
      const arns = ecsTasks.filter((t) => t.clusterArn === input.cluster).map((t) => t.taskArn as string);
      const { items, next } = page(arns, input.nextToken, input.maxResults);
      return { taskArns: items, nextToken: next };
    })
    .on(DescribeTasksCommand, (input) => ({
      tasks: ecsTasks.filter((t) => t.clusterArn === input.cluster && input.tasks.includes(t.taskArn)),
    }));

  mock(RedshiftClient).on(DescribeClustersCommand, (input) => {
    const { items, next } = page(list('Clusters'), input.Marker, input.MaxRecords);
    return { Clusters: items, Marker: next };
  });
  mock(DatabaseMigrationServiceClient).on(DescribeReplicationInstancesCommand, (input) => {
    const { items, next } = page(list('ReplicationInstances'), input.Marker, input.MaxRecords);
    return { ReplicationInstances: items, Marker: next };
  });
  mock(CodeBuildClient)
    .on(ListProjectsCommand, (input) => {
      const { items, next } = page(
        list('projects').map((p) => p.name as string),
        input.nextToken,
      );
      return { projects: items, nextToken: next };
    })
    .on(BatchGetProjectsCommand, (input) => ({
      projects: list('projects').filter((p) => input.names.includes(p.name)),
    }));
  mock(BatchClient).on(DescribeComputeEnvironmentsCommand, (input) => {
    const { items, next } = page(list('computeEnvironments'), input.nextToken, input.maxResults);
    return { computeEnvironments: items, nextToken: next };
  });

  mock(ServiceQuotasClient).on(GetServiceQuotaCommand, (input) => quotas.getServiceQuota(input));
  // The SDK answers times as Dates.
  mock(CloudFormationClient).on(DescribeStacksCommand, async (input) => ({
    Stacks: ((await stacks.describeStacks(input)).Stacks ?? []).map((stack) => ({
      ...stack,
      ...(stack.CreationTime ? { CreationTime: new Date(stack.CreationTime) } : {}),
      ...(stack.LastUpdatedTime ? { LastUpdatedTime: new Date(stack.LastUpdatedTime) } : {}),
    })),
  }));

  return {
    simulator,
    calls: () => ({ ...counts }),
    restore: () => {
      for (const stub of stubs.splice(0)) stub.restore();
    },
  };
}
