/**
 * Auto Scaling groups that launch from a launch configuration: a launch source. A launch configuration cannot be
 * changed ("After you create a launch configuration, you can't modify it",
 * https://docs.aws.amazon.com/autoscaling/ec2/userguide/launch-configurations.html), so the move makes a copy naming
 * the copy group (CreateLaunchConfiguration, https://docs.aws.amazon.com/autoscaling/ec2/APIReference/API_CreateLaunchConfiguration.html)
 * under a name derived from the original's and the remediation's, and switches the group to it (UpdateAutoScalingGroup
 * LaunchConfigurationName, https://docs.aws.amazon.com/autoscaling/ec2/APIReference/API_UpdateAutoScalingGroup.html).
 * The move back switches the group back and deletes the copy once no group uses it (DeleteLaunchConfiguration,
 * https://docs.aws.amazon.com/autoscaling/ec2/APIReference/API_DeleteLaunchConfiguration.html).
 *
 * The resource is the Auto Scaling group (a launch configuration no group uses launches nothing). Pure.
 */
import { quote } from '../untrusted.ts';
import { type DescribedResource, defineOwner, SETTLED_IN_THE_CALL } from './types.ts';

/** What an exact move back puts back (ResourceState.config of such a group). */
export interface LaunchConfigurationUse {
  [field: string]: unknown;
  launchConfigurationName: string;
}

/** Launch configuration names are at most 255 characters (CreateLaunchConfiguration). */
const NAME_MAX = 255;

/**
 * The copy's name: the original's, then the remediation's id (cut from the original's end when too long), so a re-run
 * finds the copy it made (AlreadyExists) instead of making another, and people see where it came from.
 */
export function copyName(original: string, remediationId: string): string {
  const suffix = `-${remediationId}`;
  return `${original.slice(0, NAME_MAX - suffix.length)}${suffix}`;
}

/** Whether `name` is the copy this remediation made of some configuration. */
export function isCopyName(name: string, remediationId: string): boolean {
  return name.endsWith(`-${remediationId}`);
}

/** "Auto Scaling group "web" (launch configuration "web-lc") → a copy naming the copy group" for the plan and the email. */
export function describeConfigurationMove(resource: DescribedResource): string {
  const use = resource.config as LaunchConfigurationUse | undefined;
  const head = `Auto Scaling group ${quote(resource.id)}`;
  if (!use) return head;
  return `${head} on launch configuration ${quote(use.launchConfigurationName)} (immutable): a copy of it naming the copy group, and the group switched to the copy; new instances only, the running ones keep their interfaces`;
}

export const autoscalingLaunchConfigurations = defineOwner({
  service: 'autoscaling-launch-configurations',
  title: 'Auto Scaling launch configurations',
  ownerKinds: {},
  resources: {
    'launch-configuration-group': {
      label: 'Auto Scaling group on a launch configuration',
      moveAction: 'autoscaling:UpdateAutoScalingGroup',
      // DescribeAutoScalingGroups, DescribeLaunchConfigurations, CreateLaunchConfiguration, UpdateAutoScalingGroup,
      // then DescribeAutoScalingGroups to see it applied: one shared Auto Scaling bucket.
      callsPerMove: 5,
      settleSeconds: SETTLED_IN_THE_CALL,
    },
  },
  listedInVpc: true,
  describeMove: describeConfigurationMove,
  // ResourceContention: "You already have a pending update to an Amazon EC2 Auto Scaling resource"; ScalingActivityInProgress:
  // the group is scaling (https://docs.aws.amazon.com/autoscaling/ec2/APIReference/API_UpdateAutoScalingGroup.html).
  // A group that is gone is left out of DescribeAutoScalingGroups (UpdateAutoScalingGroup answers ValidationError, which
  // also means a bad request): the adapter names it AutoScalingGroupNotFound, its own code for that.
  errors: {
    notFound: ['AutoScalingGroupNotFound'],
    busy: [
      'ResourceContention',
      'ResourceContentionFault',
      'ScalingActivityInProgress',
      'ScalingActivityInProgressFault',
    ],
  },
  iam: {
    readOnAny: ['autoscaling:DescribeAutoScalingGroups', 'autoscaling:DescribeLaunchConfigurations'],
    reads: [],
    moveOnAny: [],
    // https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonec2autoscaling.html: the actions
    // act on this account's groups and launch configurations; autoscaling:LaunchConfigurationName narrows the switch to
    // configurations this workflow names (the original, or a copy ending in a remediation id, which always starts "rem-"
    // or is a UUID: the condition allows any name, the resource pattern the account).
    moves: [
      {
        sid: 'CopyAndDeleteLaunchConfigurations',
        actions: ['autoscaling:CreateLaunchConfiguration', 'autoscaling:DeleteLaunchConfiguration'],
        resources: [{ service: 'autoscaling', resource: 'launchConfiguration:*:launchConfigurationName/*' }],
      },
      {
        sid: 'SwitchAutoScalingGroupsBetweenLaunchConfigurations',
        actions: ['autoscaling:UpdateAutoScalingGroup'],
        resources: [{ service: 'autoscaling', resource: 'autoScalingGroup:*:autoScalingGroupName/*' }],
        conditions: { Null: { 'autoscaling:LaunchConfigurationName': 'false' } },
      },
    ],
  },
  // Amazon EC2 Auto Scaling has one API throttle bucket for all its calls, per account and Region
  // (https://repost.aws/knowledge-center/autoscaling-api-calls-throttled); its size is not published. Assumed: a burst
  // of 10 and 2 per second, well under what the console and tools call.
  rateLimit: {
    key: 'autoscaling:api',
    capacity: 10,
    refillPerSecond: 2,
    source:
      'assumed: Amazon EC2 Auto Scaling publishes one shared bucket per account and Region but not its size (https://repost.aws/knowledge-center/autoscaling-api-calls-throttled)',
    documented: false,
  },
});
