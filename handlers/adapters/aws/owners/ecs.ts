/**
 * ECS services over the SDK: UpdateService with the service's whole awsvpcConfiguration and the new groups, then
 * DescribeServices until the PRIMARY deployment completes (rolloutState COMPLETED, running = desired); a FAILED rollout
 * (deployment circuit breaker) fails the move for good
 * (https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_UpdateService.html,
 * https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_Deployment.html). A task interface names only its
 * attachment: it is found among the clusters' running tasks (DescribeTasks `attachments`).
 */
import {
  DescribeServicesCommand,
  DescribeTasksCommand,
  ECSClient,
  ListClustersCommand,
  ListServicesCommand,
  ListTasksCommand,
  type Service,
  type Task,
  UpdateServiceCommand,
} from '@aws-sdk/client-ecs';
import { ResourceBusyError } from '../../../core/errors.ts';
import {
  ecsServiceId,
  externallyDeployedBlock,
  parseEcsServiceId,
  standaloneTaskBlock,
} from '../../../core/owners/ecs.ts';
import type { ResourceRef, ResourceState } from '../../../core/resources.ts';
import type { OwnerAdapter } from '../../../ports.ts';
import { ResourceMoveFailedError } from '../../owner-services.ts';
import { explainingSend } from '../sdk-errors.ts';
import { type CapturedRecords, type CaptureScope, namesGroupOf, slices } from './capture-scope.ts';
import type { SdkOwnerConfig } from './config.ts';

const STACK_TAG = 'aws:cloudformation:stack-name';

function chunks<T>(items: T[], size: number): T[][] {
  const out: T[][] = [];
  for (let at = 0; at < items.length; at += size) out.push(items.slice(at, at + size));
  return out;
}

function attachmentIds(task: Task): string[] {
  return (task.attachments ?? []).filter((a) => a.type === 'ElasticNetworkInterface' && a.id).map((a) => a.id ?? '');
}

export class SdkEcsOwner implements OwnerAdapter {
  private readonly send: ECSClient['send'];
  /** The groups this adapter last asked each service for: the deployment to wait for is the one that has them. */
  private readonly requested = new Map<string, string[]>();
  /** Running tasks by attachment id, read once per adapter (one Discover or Re-check). */
  private tasksByAttachment: Promise<Map<string, Task>> | undefined;

  constructor(client: ECSClient) {
    this.send = explainingSend(client, 'JSON');
  }

  async findUsing(vpcId: string, groupId: string): Promise<ResourceState[]> {
    // A security group belongs to one VPC, so a service naming it runs there (awsvpcConfiguration names subnets only).
    const found: ResourceState[] = [];
    for (const cluster of await this.clusters()) {
      const arns: string[] = [];
      let nextToken: string | undefined;
      do {
        const page = await this.send(new ListServicesCommand({ cluster, nextToken, maxResults: 100 }));
        arns.push(...(page.serviceArns ?? []));
        nextToken = page.nextToken;
      } while (nextToken);
      // DescribeServices takes up to 10 services per call.
      for (const batch of chunks(arns, 10)) {
        const { services } = await this.send(
          new DescribeServicesCommand({ cluster, services: batch, include: ['TAGS'] }),
        );
        for (const service of services ?? []) {
          const groups = service.networkConfiguration?.awsvpcConfiguration?.securityGroups ?? [];
          if (service.status !== 'ACTIVE' || !groups.includes(groupId)) continue;
          found.push({ ...(await this.stateOf(service)), vpcId });
        }
      }
    }
    return found;
  }

  async resolveMember(attachment: string): Promise<ResourceState | undefined> {
    this.tasksByAttachment ??= this.readTasks();
    const task = (await this.tasksByAttachment).get(attachment);
    if (!task?.taskArn || !task.clusterArn) return undefined;
    if (task.group?.startsWith('service:'))
      return this.describe({ kind: 'ecs-service', id: ecsServiceId(task.clusterArn, task.group.slice(8)) });
    return {
      kind: 'ecs-task',
      id: task.taskArn,
      groups: [],
      members: attachmentIds(task),
      blocked: standaloneTaskBlock({
        taskArn: task.taskArn,
        ...(task.group ? { group: task.group } : {}),
        ...(task.startedBy ? { startedBy: task.startedBy } : {}),
      }),
    };
  }

  async describe({ kind, id }: ResourceRef): Promise<ResourceState | undefined> {
    if (kind === 'ecs-task') {
      const cluster = id.replace(/^.*:task\//, '').split('/')[0];
      const { tasks } = await this.send(new DescribeTasksCommand({ cluster, tasks: [id] }));
      const task = tasks?.[0];
      return task?.taskArn ? this.resolveMember(attachmentIds(task)[0] ?? '') : undefined;
    }
    const service = await this.service(id);
    return service ? this.stateOf(service) : undefined;
  }

  async setGroups({ id }: ResourceRef, groups: string[]): Promise<void> {
    const { cluster, service: name } = parseEcsServiceId(id);
    const service = await this.service(id);
    // ECS would accept it and supersede the deployment in progress (someone's release, or the circuit breaker's
    // rollback): wait for that one to end instead, so ours is judged on its own.
    const deploying = service?.deployments?.find((d) => d.status === 'PRIMARY' && d.rolloutState === 'IN_PROGRESS');
    if (deploying)
      throw new ResourceBusyError(
        `ECS service ${id} is in the middle of deployment ${deploying.id ?? ''}; its groups change once it ends.`,
      );
    const awsvpc = service?.networkConfiguration?.awsvpcConfiguration;
    // The request's awsvpcConfiguration replaces the service's: keep its subnets and assignPublicIp.
    this.requested.set(id, [...groups]);
    await this.send(
      new UpdateServiceCommand({
        cluster,
        service: name,
        networkConfiguration: {
          awsvpcConfiguration: {
            subnets: awsvpc?.subnets ?? [],
            securityGroups: groups,
            ...(awsvpc?.assignPublicIp ? { assignPublicIp: awsvpc.assignPublicIp } : {}),
          },
        },
      }),
    );
  }

  async settled({ id }: ResourceRef): Promise<boolean> {
    const service = await this.service(id);
    const primary = service?.deployments?.find((d) => d.status === 'PRIMARY');
    if (!service || !primary) return true;
    if (primary.rolloutState === 'FAILED')
      throw new ResourceMoveFailedError(
        `ECS service ${id}: deployment ${primary.id ?? ''} failed (${primary.rolloutStateReason ?? 'no reason given'}).`,
      );
    // The circuit breaker with rollback makes a deployment of the last completed one PRIMARY: not our groups.
    const asked = this.requested.get(id);
    const deployed = primary.networkConfiguration?.awsvpcConfiguration?.securityGroups;
    if (asked && deployed && [...deployed].sort().join(',') !== [...asked].sort().join(','))
      throw new ResourceMoveFailedError(
        `ECS service ${id}: deployment ${primary.id ?? ''} runs groups ${deployed.join(', ')}, not ${asked.join(', ')}: ECS rolled the new deployment back (${primary.rolloutStateReason ?? 'no reason given'}).`,
      );
    // Steady state: the PRIMARY deployment completed with every desired task running (rolloutState is absent on
    // services older than the rollout states: then one deployment left, running = desired).
    const running = primary.runningCount === primary.desiredCount;
    if (primary.rolloutState) return primary.rolloutState === 'COMPLETED' && running;
    return (service.deployments ?? []).length === 1 && running;
  }

  private async stateOf(service: Service): Promise<ResourceState> {
    const id = ecsServiceId(service.clusterArn ?? '', service.serviceName ?? '');
    const controller = service.deploymentController?.type ?? 'ECS';
    const stack = service.tags?.find((tag) => tag.key === STACK_TAG)?.value;
    return {
      kind: 'ecs-service',
      id,
      groups: service.networkConfiguration?.awsvpcConfiguration?.securityGroups ?? [],
      members: (await this.serviceTasks(service)).flatMap(attachmentIds),
      ...(stack ? { stack } : {}),
      ...(controller !== 'ECS' ? { blocked: externallyDeployedBlock(id, controller) } : {}),
    };
  }

  private async service(id: string): Promise<Service | undefined> {
    const { cluster, service: name } = parseEcsServiceId(id);
    // A missing service is a `failures` entry (reason MISSING), not an error; a deleted one is INACTIVE.
    const { services } = await this.send(new DescribeServicesCommand({ cluster, services: [name], include: ['TAGS'] }));
    const service = services?.[0];
    return service && service.status !== 'INACTIVE' ? service : undefined;
  }

  private async clusters(): Promise<string[]> {
    const arns: string[] = [];
    let nextToken: string | undefined;
    do {
      const page = await this.send(new ListClustersCommand({ nextToken, maxResults: 100 }));
      arns.push(...(page.clusterArns ?? []));
      nextToken = page.nextToken;
    } while (nextToken);
    return arns;
  }

  private async serviceTasks(service: Service): Promise<Task[]> {
    return this.tasks(service.clusterArn ?? '', service.serviceName);
  }

  /** The cluster's running tasks (of one service, when named), described 100 at a time. */
  private async tasks(cluster: string, serviceName?: string): Promise<Task[]> {
    const arns: string[] = [];
    let nextToken: string | undefined;
    do {
      const page = await this.send(
        new ListTasksCommand({ cluster, nextToken, maxResults: 100, ...(serviceName ? { serviceName } : {}) }),
      );
      arns.push(...(page.taskArns ?? []));
      nextToken = page.nextToken;
    } while (nextToken);
    const tasks: Task[] = [];
    for (const batch of chunks(arns, 100))
      tasks.push(...((await this.send(new DescribeTasksCommand({ cluster, tasks: batch }))).tasks ?? []));
    return tasks;
  }

  private async readTasks(): Promise<Map<string, Task>> {
    const byAttachment = new Map<string, Task>();
    for (const cluster of await this.clusters())
      for (const task of await this.tasks(cluster)) for (const id of attachmentIds(task)) byAttachment.set(id, task);
    return byAttachment;
  }
}

export const sdkEcsOwner = (config: SdkOwnerConfig): OwnerAdapter => new SdkEcsOwner(new ECSClient(config));

/**
 * `services` and `tasks` for `capture`: in every cluster (ListClusters), the services naming a group of the VPC
 * (ListServices, DescribeServices 10 a call with their tags) and the running tasks whose interface is in the VPC
 * (ListTasks, DescribeTasks 100 a call). https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_DescribeServices.html
 */
export async function captureEcs(config: SdkOwnerConfig, scope: CaptureScope): Promise<CapturedRecords> {
  const send = explainingSend(new ECSClient(config), 'JSON');
  const list = async (page: (nextToken: string | undefined) => Promise<{ arns?: string[]; nextToken?: string }>) => {
    const arns: string[] = [];
    let nextToken: string | undefined;
    do {
      const answer = await page(nextToken);
      arns.push(...(answer.arns ?? []));
      nextToken = answer.nextToken;
    } while (nextToken);
    return arns;
  };
  const services: Record<string, unknown>[] = [];
  const tasks: Record<string, unknown>[] = [];
  const clusters = await list(async (nextToken) => {
    const page = await send(new ListClustersCommand({ nextToken, maxResults: 100 }));
    return { arns: page.clusterArns ?? [], ...(page.nextToken ? { nextToken: page.nextToken } : {}) };
  });
  for (const cluster of clusters) {
    const serviceArns = await list(async (nextToken) => {
      const page = await send(new ListServicesCommand({ cluster, nextToken, maxResults: 100 }));
      return { arns: page.serviceArns ?? [], ...(page.nextToken ? { nextToken: page.nextToken } : {}) };
    });
    for (const batch of slices(serviceArns, 10)) {
      const page = await send(new DescribeServicesCommand({ cluster, services: batch, include: ['TAGS'] }));
      for (const service of page.services ?? [])
        if (namesGroupOf(scope, service.networkConfiguration?.awsvpcConfiguration?.securityGroups))
          services.push({ ...service });
    }
    const taskArns = await list(async (nextToken) => {
      const page = await send(new ListTasksCommand({ cluster, nextToken, maxResults: 100 }));
      return { arns: page.taskArns ?? [], ...(page.nextToken ? { nextToken: page.nextToken } : {}) };
    });
    for (const batch of slices(taskArns, 100)) {
      const page = await send(new DescribeTasksCommand({ cluster, tasks: batch }));
      for (const task of page.tasks ?? []) {
        const interfaces = (task.attachments ?? []).flatMap((attachment) =>
          (attachment.details ?? []).flatMap((detail) =>
            detail.name === 'networkInterfaceId' && detail.value ? [detail.value] : [],
          ),
        );
        if (interfaces.some((id) => scope.interfaceIds.has(id))) tasks.push({ ...task });
      }
    }
  }
  return { services, tasks };
}
