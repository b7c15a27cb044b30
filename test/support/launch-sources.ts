/**
 * The launch-sources scenario (issue 11), shared by test/machine/launch-sources.test.ts and the fault sweep: the
 * empty-default VPC (web, app and db tiers, nothing on the default group) plus "web-lt", whose only version names the
 * default group, used by web-asg through `$Default` and pinned by batch-asg; and legacy-asg on a launch configuration
 * naming it. Records in the describe output shapes (docs/simulator-fidelity.md).
 */
import type { Ec2State } from '../../handlers/core/ec2-shapes.ts';
import { scenarioState } from './harness.ts';
import {
  autoScalingGroup,
  type LaunchRecords,
  launchConfiguration,
  launchTemplate as templateRecords,
} from './owner-records.ts';

export type { LaunchRecords } from './owner-records.ts';

export const TEMPLATE = 'lt-0a1b2c3d4e5f60718';
export const SUBNET = 'subnet-01527a1435ee3b01b';

export type WithLaunch = Ec2State & LaunchRecords;

/**
 * The empty-default VPC (web, app and db tiers, nothing on the default group) plus: "web-lt" whose only version names
 * the default group, used by web-asg through `$Default` and pinned by batch-asg; and legacy-asg on a launch
 * configuration naming it.
 */
export function launchState(): { state: WithLaunch; defaultGroup: string } {
  const state = scenarioState('empty-default') as WithLaunch;
  const defaultGroup = state.SecurityGroups.find((group) => group.GroupName === 'default')?.GroupId ?? '';
  const { template, version } = templateRecords(TEMPLATE, 'web-lt', [defaultGroup]);
  const webLt = { id: TEMPLATE, name: 'web-lt' };
  state.LaunchTemplates = [template];
  state.LaunchTemplateVersions = [version];
  state.AutoScalingGroups = [
    autoScalingGroup('web-asg', SUBNET, { template: webLt, version: '$Default' }),
    autoScalingGroup('batch-asg', SUBNET, { template: webLt, version: '1' }),
    autoScalingGroup('legacy-asg', SUBNET, { configuration: 'legacy-lc' }),
  ];
  state.LaunchConfigurations = [launchConfiguration('legacy-lc', [defaultGroup])];
  return { state, defaultGroup };
}
