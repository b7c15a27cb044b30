/**
 * Amazon ECS: a task with `awsvpc` networking (every Fargate task, and EC2-launched tasks in that mode) gets a
 * requester-managed interface described `arn:aws:ecs:<region>:<account>:attachment/<attachment-id>`: the task's
 * ElasticNetworkInterface attachment, which names neither the task nor its service
 * (https://docs.aws.amazon.com/AmazonECS/latest/developerguide/task-networking-awsvpc.html,
 * https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_Attachment.html). Discover resolves the attachment to
 * its task through DescribeTasks. A task's groups cannot change; its service's can: UpdateService
 * networkConfiguration.awsvpcConfiguration.securityGroups (the whole awsvpcConfiguration, subnets and assignPublicIp
 * kept) starts a deployment that replaces every task, so the new tasks' interfaces are on the new groups
 * (https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_UpdateService.html). A task started by a service
 * (`group` "service:<name>") follows its service; a task started on its own (RunTask) blocks the plan with the fix.
 * A service keeps its groups with no task running (scaled to zero) and puts its next task on them: `listedInVpc`.
 */
import { quote } from '../untrusted.ts';
import { defineOwner } from './types.ts';

const SERVICES = { service: 'ecs', resource: 'service/*' };
const TASKS = { service: 'ecs', resource: 'task/*' };

/** `arn:<partition>:ecs:<region>:<account>:attachment/<id>`: the description ECS gives a task's interface. */
const ATTACHMENT = /^arn:aws[a-z-]*:ecs:[a-z0-9-]+:\d{12}:attachment\/([0-9a-f-]{8,})$/;

/** The task attachment an ECS interface belongs to, from its description; undefined for any other interface. */
export function ecsAttachmentOf(description: string): string | undefined {
  return ATTACHMENT.exec(description)?.[1];
}

/** A service's id in the plan: `<cluster name>/<service name>` (both letters, digits, hyphens, underscores). */
export function ecsServiceId(cluster: string, service: string): string {
  return `${cluster.replace(/^.*:cluster\//, '')}/${service}`;
}

/** The cluster and service names of an `ecs-service` id. */
export function parseEcsServiceId(id: string): { cluster: string; service: string } {
  const at = id.indexOf('/');
  return at < 0 ? { cluster: 'default', service: id } : { cluster: id.slice(0, at), service: id.slice(at + 1) };
}

export const ecs = defineOwner({
  service: 'ecs',
  title: 'Amazon ECS',
  ownerKinds: { 'ecs-task': 'ECS task' },
  resources: {
    'ecs-service': {
      label: 'ECS service',
      moveAction: 'ecs:UpdateService',
      // DescribeServices to read its network configuration, UpdateService, then DescribeServices until the deployment
      // reached steady state (at least one; a rolling deployment takes minutes, read every few seconds).
      callsPerMove: 3,
      moveNotice:
        'UpdateService starts a new deployment: ECS replaces every running task of the service with one on the new groups (as for a new task definition), and the move waits until the deployment completes (rolloutState COMPLETED, running tasks = desired). A deployment that fails (deployment circuit breaker) fails the move and the run rolls back.',
    },
    // Never moved: a standalone task blocks the plan (its resource state says why). The action is the one that would
    // apply to its service, were it in one.
    'ecs-task': { label: 'ECS task', moveAction: 'ecs:UpdateService', callsPerMove: 3 },
  },
  listedInVpc: true,
  recognise(eni) {
    const attachment = ecsAttachmentOf(eni.Description ?? '');
    if (attachment === undefined) return undefined;
    return {
      kind: 'ecs-task',
      label: `ECS task (attachment ${attachment})`,
      mover: 'service',
      lookup: { service: 'ecs', member: attachment },
    };
  },
  // A service's members are its running tasks' attachments; a standalone task's, its own.
  followsLookup: (resource, lookup) => lookup.member !== undefined && (resource.members ?? []).includes(lookup.member),
  // ServiceNotActiveException: the service is being deleted or inactive (UpdateService, above). ECS refuses no update
  // as busy: a new UpdateService supersedes a deployment in progress.
  errors: {
    notFound: ['ClusterNotFoundException', 'ServiceNotFoundException', 'ServiceNotActiveException'],
    busy: [],
  },
  iam: {
    // ListClusters, ListServices and ListTasks take no resource type (the cluster is a condition key).
    readOnAny: ['ecs:ListClusters', 'ecs:ListServices', 'ecs:ListTasks'],
    reads: [
      { sid: 'ReadEcsServices', actions: ['ecs:DescribeServices'], resources: [SERVICES] },
      { sid: 'ReadEcsTasks', actions: ['ecs:DescribeTasks'], resources: [TASKS] },
    ],
    moveOnAny: [],
    // UpdateService on services of this account only. Its request keys (ecs:task-definition, ecs:capacity-provider,
    // …) are not used: whether ECS sets them from the service when the request leaves them out is not documented, and
    // a Null condition on them could then refuse every move (docs/threat-model.md: the step cannot narrow it further).
    moves: [{ sid: 'MoveEcsServices', actions: ['ecs:UpdateService'], resources: [SERVICES] }],
  },
  // ECS throttles per account and Region with token buckets per group of actions
  // (https://docs.aws.amazon.com/AmazonECS/latest/APIReference/request-throttling.html); the numbers for the service
  // write actions were not at hand: assumed, a burst of 10 and 1 per second, well under any bucket that page lists.
  rateLimit: {
    key: 'ecs:services',
    capacity: 10,
    refillPerSecond: 1,
    source:
      'assumed: https://docs.aws.amazon.com/AmazonECS/latest/APIReference/request-throttling.html (service write bucket not read)',
    documented: false,
  },
});

/** The plan's reason for an interface of a task no service started (RunTask): the task's groups cannot change. */
export function standaloneTaskBlock(task: { taskArn: string; group?: string; startedBy?: string }): string {
  const by = task.startedBy ? ` (started by ${quote(task.startedBy)})` : '';
  const group = task.group ? `, task group ${quote(task.group)}` : '';
  return `ECS task ${task.taskArn}${by}${group} was started on its own (RunTask), not by a service, and uses the default group: ECS cannot change a running task's security groups. Stop it and run it again with another group (RunTask networkConfiguration.awsvpcConfiguration.securityGroups), or run it as a service, then run again.`;
}

/** The plan's reason for a service whose deployments another controller makes (CodeDeploy blue/green, external). */
export function externallyDeployedBlock(id: string, controller: string): string {
  return `ECS service ${id} uses the ${controller} deployment controller: UpdateService cannot change its network configuration (https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_UpdateService.html). ${controller === 'CODE_DEPLOY' ? 'Create a CodeDeploy deployment whose task set names another security group' : 'Create a task set (CreateTaskSet) that names another security group and make it primary'}, then run again.`;
}
