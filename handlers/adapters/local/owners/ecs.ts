/**
 * Local ECS: `services` records (`aws ecs describe-services` output) and `tasks` records (`aws ecs describe-tasks`
 * output). A task's interface is the EC2 interface its ElasticNetworkInterface attachment names (detail
 * `networkInterfaceId`); a task started by a service has `group` "service:<name>" in the service's cluster. UpdateService
 * answers as its API reference says (https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_UpdateService.html)
 * and starts a deployment (a new PRIMARY with rolloutState IN_PROGRESS, the old one ACTIVE); it completes at the next
 * read, or fails when the simulator's `failsToApply` hook says so, as the deployment circuit breaker stops one
 * (https://docs.aws.amazon.com/AmazonECS/latest/developerguide/deployment-circuit-breaker.html). Simplified: the
 * service's tasks are not replaced, their interfaces take the new groups (what the replacement tasks' would have);
 * a service record without `deployments` does not model deployments (the change is in place at once).
 */
import * as z from 'zod';
import {
  ecsServiceId,
  externallyDeployedBlock,
  parseEcsServiceId,
  standaloneTaskBlock,
} from '../../../core/owners/ecs.ts';
import type { ResourceRef, ResourceState } from '../../../core/resources.ts';
import { ResourceMoveFailedError } from '../../owner-services.ts';
import type { Ec2Simulator } from '../ec2-simulator.ts';
import { fail, type LocalOwner, type LocalOwnerModel } from './model.ts';

const networkConfiguration = z.looseObject({
  awsvpcConfiguration: z
    .looseObject({
      subnets: z.array(z.string()).optional(),
      securityGroups: z.array(z.string()).optional(),
      assignPublicIp: z.string().optional(),
    })
    .optional(),
});
const deployment = z.looseObject({
  id: z.string(),
  status: z.string(),
  rolloutState: z.string().optional(),
  rolloutStateReason: z.string().optional(),
  desiredCount: z.number().optional(),
  runningCount: z.number().optional(),
  networkConfiguration: networkConfiguration.optional(),
});
const service = z.looseObject({
  serviceName: z.string().min(1),
  clusterArn: z.string().min(1),
  status: z.string().optional(),
  desiredCount: z.number().optional(),
  runningCount: z.number().optional(),
  deploymentController: z.looseObject({ type: z.string() }).optional(),
  deploymentConfiguration: z
    .looseObject({
      deploymentCircuitBreaker: z.looseObject({ enable: z.boolean(), rollback: z.boolean() }).optional(),
    })
    .optional(),
  networkConfiguration: networkConfiguration.optional(),
  deployments: z.array(deployment).optional(),
});
const task = z.looseObject({
  taskArn: z.string().min(1),
  clusterArn: z.string().min(1),
  group: z.string().optional(),
  startedBy: z.string().optional(),
  lastStatus: z.string().optional(),
  attachments: z
    .array(
      z.looseObject({
        id: z.string(),
        type: z.string().optional(),
        details: z.array(z.looseObject({ name: z.string().optional(), value: z.string().optional() })).optional(),
      }),
    )
    .optional(),
});
const records = z.looseObject({ services: z.array(service).optional(), tasks: z.array(task).optional() });
type Records = z.infer<typeof records>;
type Service = z.infer<typeof service>;
type Task = z.infer<typeof task>;

const clusterName = (arn: string) => arn.replace(/^.*:cluster\//, '');

class LocalEcs implements LocalOwnerModel {
  constructor(
    private readonly ec2: Ec2Simulator,
    private readonly records: Records,
  ) {}

  findUsing(vpcId: string, groupId: string): ResourceState[] {
    // A group belongs to one VPC: a service naming it runs there (awsvpcConfiguration names subnets, not the VPC).
    if (this.ec2.groupInfo(groupId)?.vpcId !== vpcId) return [];
    return (this.records.services ?? [])
      .filter((s) => s.status !== 'INACTIVE' && groupsOfService(s).includes(groupId))
      .map((s) => {
        const ref: ResourceRef = { kind: 'ecs-service', id: ecsServiceId(s.clusterArn, s.serviceName) };
        const blocked = this.blockedOf(ref);
        return {
          ...ref,
          vpcId,
          groups: groupsOfService(s),
          members: this.tasksOf(s).flatMap(attachmentIds),
          ...(blocked ? { blocked } : {}),
        };
      });
  }

  resolveMember(attachment: string): ResourceRef | undefined {
    const owner = (this.records.tasks ?? []).find((t) => attachmentIds(t).includes(attachment));
    if (!owner) return undefined;
    const parent = (this.records.services ?? []).find((s) => this.tasksOf(s).includes(owner));
    return parent
      ? { kind: 'ecs-service', id: ecsServiceId(parent.clusterArn, parent.serviceName) }
      : { kind: 'ecs-task', id: owner.taskArn };
  }

  groupsOf(ref: ResourceRef): string[] | undefined {
    if (ref.kind === 'ecs-task') {
      const record = this.task(ref.id);
      if (!record) return undefined;
      const summaries = this.ec2.interfaceSummaries();
      return interfaceIds(record).flatMap((id) => summaries.find((eni) => eni.id === id)?.groupIds ?? []);
    }
    const record = this.service(ref.id);
    return record ? groupsOfService(record) : undefined;
  }

  membersOf(ref: ResourceRef): string[] | undefined {
    if (ref.kind === 'ecs-task') return attachmentIds(this.task(ref.id));
    const record = this.service(ref.id);
    return record ? this.tasksOf(record).flatMap(attachmentIds) : undefined;
  }

  interfacesOf(ref: ResourceRef): string[] {
    if (ref.kind === 'ecs-task') return interfaceIds(this.task(ref.id));
    const record = this.service(ref.id);
    return record ? this.tasksOf(record).flatMap(interfaceIds) : [];
  }

  vpcOf(ref: ResourceRef): string | undefined {
    const groups = this.groupsOf(ref) ?? [];
    return groups.map((id) => this.ec2.groupInfo(id)?.vpcId).find(Boolean);
  }

  blockedOf(ref: ResourceRef): string | undefined {
    if (ref.kind === 'ecs-task') {
      const record = this.task(ref.id);
      return record
        ? standaloneTaskBlock({
            taskArn: record.taskArn,
            ...(record.group ? { group: record.group } : {}),
            ...(record.startedBy ? { startedBy: record.startedBy } : {}),
          })
        : undefined;
    }
    const controller = this.service(ref.id)?.deploymentController?.type ?? 'ECS';
    return controller === 'ECS' ? undefined : externallyDeployedBlock(ref.id, controller);
  }

  setGroups(ref: ResourceRef, groups: string[], unknown: string[]): void {
    if (ref.kind === 'ecs-task')
      fail('InvalidParameterException', 'A running task cannot change its network configuration.');
    const record = this.service(ref.id);
    if (!record) fail('ServiceNotFoundException', 'Service not found.');
    if (record.status !== undefined && record.status !== 'ACTIVE')
      fail('ServiceNotActiveException', 'Service was not ACTIVE.');
    const controller = record.deploymentController?.type ?? 'ECS';
    if (controller !== 'ECS')
      fail(
        'InvalidParameterException',
        `Unable to update network parameters on services with a ${controller} deployment controller.`,
      );
    const awsvpc = record.networkConfiguration?.awsvpcConfiguration;
    if (!awsvpc)
      fail('InvalidParameterException', 'Network Configuration is not valid for the given networkMode of this task.');
    if (groups.length > 5) fail('InvalidParameterException', 'A maximum of 5 security groups are allowed.');
    if (unknown.length > 0)
      fail(
        'InvalidParameterException',
        `Error retrieving security group information for [${unknown.join(', ')}]: The security group '${unknown[0]}' does not exist`,
      );
    // The whole awsvpcConfiguration is the request's: subnets and assignPublicIp as they were, the new groups.
    const next = { awsvpcConfiguration: { ...awsvpc, securityGroups: [...groups] } };
    record.networkConfiguration = { ...record.networkConfiguration, ...next };
    // A record without `deployments` does not model them: the change is in place at once.
    if (!record.deployments) return;
    const deployments = (record.deployments ?? []).map((d) =>
      d.status === 'PRIMARY' ? { ...d, status: 'ACTIVE' } : d,
    );
    record.deployments = [
      {
        id: `ecs-svc/${nextDeploymentNumber(record)}`,
        status: 'PRIMARY',
        rolloutState: 'IN_PROGRESS',
        desiredCount: record.desiredCount ?? 0,
        runningCount: 0,
        networkConfiguration: next,
      },
      ...deployments,
    ];
  }

  settled(ref: ResourceRef, failing: boolean): boolean {
    const record = ref.kind === 'ecs-service' ? this.service(ref.id) : undefined;
    const primary = record?.deployments?.find((d) => d.status === 'PRIMARY');
    if (!record || !primary) return true;
    if (primary.rolloutState === 'FAILED' || (primary.rolloutState === 'IN_PROGRESS' && failing)) {
      this.failDeployment(record, primary);
      throw new ResourceMoveFailedError(
        `ECS service ${ref.id}: deployment ${primary.id} failed (${primary.rolloutStateReason ?? 'no reason given'}).`,
      );
    }
    if (primary.rolloutState === 'IN_PROGRESS') {
      // Steady state: the new tasks running, the old deployments drained and gone from the list.
      primary.rolloutState = 'COMPLETED';
      primary.rolloutStateReason = 'ECS deployment completed.';
      primary.runningCount = primary.desiredCount ?? 0;
      record.runningCount = record.desiredCount ?? 0;
      record.deployments = [primary];
    }
    return true;
  }

  /**
   * The circuit breaker stops the deployment: its tasks never became healthy, so the old tasks (the ACTIVE
   * deployment's, on the old groups) are what still runs. With `rollback`, ECS starts a deployment of the last one
   * that completed: it becomes PRIMARY and the service's network configuration is that one's again
   * (https://docs.aws.amazon.com/AmazonECS/latest/developerguide/deployment-circuit-breaker.html).
   */
  private failDeployment(record: Service, primary: NonNullable<Service['deployments']>[number]): void {
    if (primary.rolloutState === 'FAILED') return;
    primary.rolloutState = 'FAILED';
    primary.rolloutStateReason =
      'ECS deployment circuit breaker: tasks failed to start (simulated by the failsToApply hook).';
    const previous = record.deployments?.find((d) => d.status === 'ACTIVE');
    const oldConfiguration = previous?.networkConfiguration;
    const oldGroups = oldConfiguration?.awsvpcConfiguration?.securityGroups;
    if (!previous || !oldConfiguration || !oldGroups) return;
    this.ec2.setServiceInterfaceGroups(this.tasksOf(record).flatMap(interfaceIds), oldGroups);
    if (!record.deploymentConfiguration?.deploymentCircuitBreaker?.rollback) return;
    primary.status = 'ACTIVE';
    record.deployments = [
      {
        id: `ecs-svc/${nextDeploymentNumber(record)}`,
        status: 'PRIMARY',
        rolloutState: 'IN_PROGRESS',
        rolloutStateReason: `ECS deployment circuit breaker: rolling back to deploymentId ${previous.id}.`,
        desiredCount: record.desiredCount ?? 0,
        runningCount: 0,
        networkConfiguration: oldConfiguration,
      },
      ...(record.deployments ?? []).filter((d) => d !== previous),
    ];
    record.networkConfiguration = { ...record.networkConfiguration, ...oldConfiguration };
  }

  private service(id: string): Service | undefined {
    const { cluster, service: name } = parseEcsServiceId(id);
    return (this.records.services ?? []).find((s) => s.serviceName === name && clusterName(s.clusterArn) === cluster);
  }

  private task(arn: string): Task | undefined {
    return (this.records.tasks ?? []).find((t) => t.taskArn === arn);
  }

  private tasksOf(record: Service): Task[] {
    return (this.records.tasks ?? []).filter(
      (t) =>
        t.group === `service:${record.serviceName}` && clusterName(t.clusterArn) === clusterName(record.clusterArn),
    );
  }
}

function nextDeploymentNumber(record: Service): number {
  return Math.max(0, ...(record.deployments ?? []).map((d) => Number(d.id.replace(/^\D*/, '')) || 0)) + 1;
}

function groupsOfService(record: Service): string[] {
  return [...(record.networkConfiguration?.awsvpcConfiguration?.securityGroups ?? [])];
}

function attachmentIds(record: Task | undefined): string[] {
  return (record?.attachments ?? []).filter((a) => a.type === 'ElasticNetworkInterface').map((a) => a.id);
}

function interfaceIds(record: Task | undefined): string[] {
  return (record?.attachments ?? [])
    .filter((a) => a.type === 'ElasticNetworkInterface')
    .flatMap((a) => (a.details ?? []).filter((d) => d.name === 'networkInterfaceId').map((d) => d.value ?? ''))
    .filter(Boolean);
}

export const localEcs: LocalOwner<Records> = {
  records,
  model: (ec2, live) => new LocalEcs(ec2, live),
};
