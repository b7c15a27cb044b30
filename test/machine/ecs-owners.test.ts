/**
 * ECS on the default group, end to end on the real state machine definitions: a Fargate service whose two tasks'
 * interfaces (requester-managed, described `arn:aws:ecs:<region>:<account>:attachment/<id>`) are on the default group,
 * a service scaled to zero configured with it (no task, no interface: its next task would land there), and a task
 * started on its own (RunTask), whose groups no API can change. Records in `aws ecs describe-services` /
 * `describe-tasks` shapes (docs/simulator-fidelity.md).
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { ServiceSimulator } from '../../handlers/adapters/local/service-simulator.ts';
import type { Ec2State, NetworkInterface } from '../../handlers/core/ec2-shapes.ts';
import {
  createSession,
  disposeAll,
  eniGroups,
  newGroups,
  normalizeState,
  remediateState,
  scenarioState,
  stepsOf,
} from '../support/harness.ts';

afterEach(disposeAll);

const ACCOUNT = '111122223333';
const CLUSTER = `arn:aws:ecs:us-east-1:${ACCOUNT}:cluster/prod`;
const SUBNETS = ['subnet-0a1b2c3d4e5f60718', 'subnet-0a1b2c3d4e5f60719'];
const WEB_GROUP = 'sg-0c5aafc3d843c98bd';

interface EcsService {
  serviceName: string;
  clusterArn: string;
  status: string;
  desiredCount: number;
  runningCount: number;
  deploymentController?: { type: string };
  deploymentConfiguration: { deploymentCircuitBreaker: { enable: boolean; rollback: boolean } };
  networkConfiguration: {
    awsvpcConfiguration: { subnets: string[]; securityGroups: string[]; assignPublicIp: string };
  };
  deployments: { id: string; status: string; rolloutState: string; networkConfiguration?: unknown }[];
}
interface EcsTask {
  taskArn: string;
  clusterArn: string;
  group: string;
  startedBy?: string;
  lastStatus: string;
  attachments: { id: string; type: string; status: string; details: { name: string; value: string }[] }[];
}
type WithEcs = Ec2State & { services: EcsService[]; tasks: EcsTask[] };

function service(name: string, groups: string[], desiredCount: number): EcsService {
  const networkConfiguration = {
    awsvpcConfiguration: { subnets: SUBNETS, securityGroups: groups, assignPublicIp: 'DISABLED' },
  };
  return {
    serviceName: name,
    clusterArn: CLUSTER,
    status: 'ACTIVE',
    desiredCount,
    runningCount: desiredCount,
    deploymentConfiguration: { deploymentCircuitBreaker: { enable: true, rollback: true } },
    networkConfiguration,
    deployments: [{ id: 'ecs-svc/1', status: 'PRIMARY', rolloutState: 'COMPLETED', networkConfiguration }],
  };
}

/** A task with its interface: the task record and the EC2 interface its attachment names. */
function task(
  index: number,
  vpcId: string,
  groups: string[],
  startedBy: { group: string; startedBy?: string },
): { task: EcsTask; eni: NetworkInterface } {
  const attachment = `0a1b2c3d-4e5f-4a7b-8c9d-0e1f2a3b4c${String(index).padStart(2, '0')}`;
  const eniId = `eni-0ec5000000000e0${String(index).padStart(2, '0')}`;
  return {
    task: {
      taskArn: `arn:aws:ecs:us-east-1:${ACCOUNT}:task/prod/0f1e2d3c4b5a69788796a5b4c3d2e1f${index}`,
      clusterArn: CLUSTER,
      lastStatus: 'RUNNING',
      ...startedBy,
      attachments: [
        {
          id: attachment,
          type: 'ElasticNetworkInterface',
          status: 'ATTACHED',
          details: [
            { name: 'subnetId', value: SUBNETS[0] ?? '' },
            { name: 'networkInterfaceId', value: eniId },
            { name: 'privateIPv4Address', value: `10.0.1.${40 + index}` },
          ],
        },
      ],
    },
    eni: {
      NetworkInterfaceId: eniId,
      VpcId: vpcId,
      SubnetId: SUBNETS[0],
      AvailabilityZone: 'us-east-1a',
      Description: `arn:aws:ecs:us-east-1:${ACCOUNT}:attachment/${attachment}`,
      InterfaceType: 'interface',
      OwnerId: ACCOUNT,
      RequesterManaged: true,
      RequesterId: '578734482556',
      Status: 'in-use',
      PrivateIpAddress: `10.0.1.${40 + index}`,
      PrivateIpAddresses: [{ Primary: true, PrivateIpAddress: `10.0.1.${40 + index}` }],
      Groups: groups.map((GroupId) => ({ GroupId })),
      Attachment: { AttachmentId: `ela-attach-0ec5${index}`, Status: 'attached', InstanceOwnerId: '578734482556' },
      SourceDestCheck: true,
      TagSet: [],
    } as NetworkInterface,
  };
}

/** The empty-default scenario plus a service `web` (two tasks) and `reports` (scaled to zero), both on the default group. */
function ecsState(options: { standalone?: boolean; services?: boolean } = {}): {
  state: WithEcs;
  defaultGroup: string;
} {
  const state = scenarioState('empty-default') as WithEcs;
  const group = state.SecurityGroups?.find((g) => g.GroupName === 'default');
  const defaultGroup = group?.GroupId ?? '';
  const vpcId = group?.VpcId ?? '';
  const tasks =
    options.services === false
      ? []
      : [1, 2].map((i) => task(i, vpcId, [defaultGroup], { group: 'service:web', startedBy: 'ecs-svc/1' }));
  if (options.standalone) tasks.push(task(3, vpcId, [defaultGroup], { group: 'family:nightly-migration' }));
  state.services =
    options.services === false
      ? []
      : [service('web', [defaultGroup], 2), service('reports', [WEB_GROUP, defaultGroup], 0)];
  state.tasks = tasks.map((t) => t.task);
  state.NetworkInterfaces = [...(state.NetworkInterfaces ?? []), ...tasks.map((t) => t.eni)];
  return { state, defaultGroup };
}

function serviceGroups(state: Ec2State): Record<string, string[]> {
  return Object.fromEntries(
    (state as WithEcs).services.map((s) => [s.serviceName, s.networkConfiguration.awsvpcConfiguration.securityGroups]),
  );
}

/** The state without the services' deployment history: ECS lists each deployment; the configuration is what returns. */
function withoutDeployments(state: Ec2State): unknown {
  const copy = structuredClone(state) as WithEcs;
  for (const s of copy.services) s.deployments = [];
  return normalizeState(copy);
}

describe('an ECS service whose tasks use the default group, and one scaled to zero configured with it', () => {
  it('moves both services to the copy (a deployment each, waited for), the tasks follow; rollback restores them exactly', async () => {
    const { state, defaultGroup } = ecsState();
    const run = await remediateState(state);
    expect(run.result.status, JSON.stringify(run.result)).toBe('SUCCEEDED');
    expect(run.result.output?.outcome).toBe('remediated');
    const copy = newGroups(run.before, run.after)[0]?.GroupId ?? '';
    expect(copy).toMatch(/^sg-/);

    // The default group swapped in place; subnets and assignPublicIp kept.
    expect(serviceGroups(run.after)).toEqual({ web: [copy], reports: [WEB_GROUP, copy] });
    const web = (run.after as WithEcs).services[0];
    expect(web?.networkConfiguration.awsvpcConfiguration).toEqual({
      subnets: SUBNETS,
      securityGroups: [copy],
      assignPublicIp: 'DISABLED',
    });
    // Each move started a deployment and waited for it to complete.
    expect(web?.deployments).toEqual([
      expect.objectContaining({ status: 'PRIMARY', rolloutState: 'COMPLETED', runningCount: 2 }),
    ]);
    expect(web?.deployments[0]?.id).not.toBe('ecs-svc/1');
    // The tasks' interfaces are on the copy; the default group has no rules left.
    expect(eniGroups(run.after, 'eni-0ec5000000000e001')).toEqual([copy]);
    expect(eniGroups(run.after, 'eni-0ec5000000000e002')).toEqual([copy]);
    const stripped = run.after.SecurityGroups?.find((g) => g.GroupId === defaultGroup);
    expect(stripped?.IpPermissions ?? []).toEqual([]);
    expect(stripped?.IpPermissionsEgress ?? []).toEqual([]);

    // The approver is told that each move is a deployment.
    const notice = run.notifications.map((n) => n.message).join('\n');
    expect(notice).toContain('ECS service prod/web');
    expect(notice).toContain('ECS service prod/reports');
    expect(notice).toMatch(/UpdateService starts a new deployment/);

    const rollback = await run.rollback();
    expect(rollback.result.output?.outcome).toBe('rolled-back');
    expect(serviceGroups(rollback.after)).toEqual(serviceGroups(run.before));
    expect(withoutDeployments(rollback.after)).toEqual(withoutDeployments(run.before));
  });

  it('a deployment stopped by its circuit breaker fails the move for good: the run rolls back to the exact original', async () => {
    const { state, defaultGroup } = ecsState();
    const session = createSession(state);
    const services = session.deps.services.bind(session.deps);
    let failed = 0;
    session.deps.services = (target) => {
      const port = services(target) as ServiceSimulator;
      port.setHooks({
        // The first deployment of `web` (onto the copy) never gets healthy tasks; later ones (the rollback's) do.
        failsToApply(ref) {
          if (ref.id !== 'prod/web' || failed > 0) return false;
          failed++;
          return true;
        },
      });
      return port;
    };
    const result = await session.remediate();
    expect(failed).toBe(1);
    // Failed for good (not retried as busy), and the rollback it started put everything back.
    expect(result.status).toBe('FAILED');
    expect(result.error).toBe('MoveFailed');
    expect(result.cause).toMatch(/ResourceMoveFailed.*prod\/web.*circuit breaker/);
    expect(result.children?.[0]?.output?.outcome).toBe('rolled-back');
    expect(stepsOf(session.trace)).not.toContain('Strip the default group');
    const after = session.simulator.toState();
    expect(newGroups(session.original, after)).toEqual([]);
    expect(serviceGroups(after)).toEqual({ web: [defaultGroup], reports: [WEB_GROUP, defaultGroup] });
    expect(withoutDeployments(after)).toEqual(withoutDeployments(session.original));
  });
});

describe('an ECS service that joins the default group during the approval wait', () => {
  it('is drift: nothing stripped, the run rolls back', async () => {
    const { state, defaultGroup } = ecsState({ services: false });
    state.services = [service('web', [WEB_GROUP, defaultGroup], 0)];
    const run = await remediateState(state, {
      onApproval(simulator) {
        // Someone deploys a new service on the default group while the approver reads the email.
        (simulator.serviceRecords() as { services: EcsService[] }).services.push(service('late', [defaultGroup], 0));
      },
    });
    expect(run.result.status).toBe('FAILED');
    expect(run.result.error).toBe('DriftDetected');
    expect(run.result.cause).toMatch(/ECS service prod\/late/);
    expect(stepsOf(run.session.trace)).not.toContain('Strip the default group');
    expect(newGroups(run.before, run.after)).toEqual([]);
    expect(serviceGroups(run.after)).toEqual({ web: [WEB_GROUP, defaultGroup], late: [defaultGroup] });
  });
});

describe('a task started on its own (RunTask) on the default group', () => {
  it('blocks the plan naming the task and the fix, with nothing changed', async () => {
    const { state } = ecsState({ standalone: true, services: false });
    const run = await remediateState(state);
    expect(run.result.output?.outcome).toBe('blocked');
    const reasons = JSON.stringify(run.result.output);
    expect(reasons).toContain(`task/prod/0f1e2d3c4b5a69788796a5b4c3d2e1f3`);
    expect(reasons).toMatch(/started on its own \(RunTask\)/);
    expect(reasons).toMatch(/run it again with another group/);
    expect(normalizeState(run.after)).toEqual(normalizeState(run.before));
  });
});
