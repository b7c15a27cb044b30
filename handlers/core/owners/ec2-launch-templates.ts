/**
 * EC2 launch templates: a launch source. A template's versions are immutable and each names groups
 * (`LaunchTemplateData.SecurityGroupIds`, `NetworkInterfaces[].Groups`); whatever launches from it — an Auto Scaling
 * group, `$Default`, `$Latest` — puts new instances on them, so a template whose in-use version names the default
 * group puts instances back on it after the strip (https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/ec2-launch-templates.html).
 *
 * The move creates a new version from each in-use version that names the group, with the group swapped
 * (CreateLaunchTemplateVersion SourceVersion, https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_CreateLaunchTemplateVersion.html),
 * makes the new version the default when its source was (ModifyLaunchTemplate,
 * https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_ModifyLaunchTemplate.html) and re-pins the Auto Scaling
 * groups that pinned the source (UpdateAutoScalingGroup,
 * https://docs.aws.amazon.com/autoscaling/ec2/APIReference/API_UpdateAutoScalingGroup.html). The move back restores the
 * default version and the pins exactly and deletes the versions the move created (DeleteLaunchTemplateVersions,
 * https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DeleteLaunchTemplateVersions.html).
 *
 * Each created version's description names the remediation and its source, so a re-run after a crash finds it instead
 * of creating another (I5). The decisions are the pure functions below; the adapters (AWS and local) only make the calls.
 */
import { bucketOf } from '../rate-limits.ts';
import { quote } from '../untrusted.ts';
import { type DescribedResource, defineOwner, SETTLED_IN_THE_CALL } from './types.ts';

/** A template version's group-bearing data, in the DescribeLaunchTemplateVersions shape. */
export interface TemplateData {
  SecurityGroupIds?: string[];
  SecurityGroups?: string[];
  NetworkInterfaces?: { Groups?: string[]; [field: string]: unknown }[];
  [field: string]: unknown;
}

export interface TemplateVersion {
  number: number;
  description?: string;
  data: TemplateData;
}

/** An Auto Scaling group that launches from the template, and the version it names (`$Default`, `$Latest`, "3"). */
export interface TemplateUser {
  name: string;
  version: string;
}

/**
 * A launcher outside Auto Scaling that names the template and a version: an EC2 Fleet (DescribeFleets
 * `LaunchTemplateConfigs[].LaunchTemplateSpecification`), a Spot Fleet request (DescribeSpotFleetRequests
 * `SpotFleetRequestConfig.LaunchTemplateConfigs`) or an EKS managed node group (DescribeNodegroup `launchTemplate`).
 * Only the ones that still launch: fleets of type `maintain` or `request` that are not deleted or cancelled.
 */
export type PinningLauncher =
  | { kind: 'eks-nodegroup'; cluster: string; nodegroup: string; version: string }
  | { kind: 'ec2-fleet'; id: string; type: 'maintain' | 'request'; version: string }
  | { kind: 'spot-fleet'; id: string; type: 'maintain' | 'request'; version: string };

/** A template as the move reads it: its default and latest version numbers, its versions, the groups using it. */
export interface TemplateView {
  id: string;
  name?: string;
  defaultVersion: number;
  latestVersion: number;
  versions: TemplateVersion[];
  users: TemplateUser[];
  /** Fleets and EKS node groups launching from the template: they make their version in use, and are never moved. */
  launchers?: PinningLauncher[];
}

/**
 * What an exact move back puts back (ResourceState.config of a launch template). `$Latest` is not kept: it moves back
 * by deleting the versions the move made.
 */
export interface TemplateConfig {
  [field: string]: unknown;
  /** The template's name (untrusted text), for the plan's words. */
  name?: string;
  defaultVersion: number;
  /** Auto Scaling group name → the version it names. */
  users: Record<string, string>;
}

/** A user's version string as the API takes it: absent means `$Default`. */
export function userVersion(version: string | undefined): string {
  return version === undefined || version === '' ? '$Default' : version;
}

/** The groups a version names: its own list and its network interfaces' lists. */
export function groupsOfData(data: TemplateData): string[] {
  return [
    ...new Set([
      ...(data.SecurityGroupIds ?? []),
      ...(data.SecurityGroups ?? []),
      ...(data.NetworkInterfaces ?? []).flatMap((eni) => eni.Groups ?? []),
    ]),
  ];
}

/** The version's group-bearing fields with `from` swapped for `to` (the rest is inherited from the source version). */
export function swappedData(data: TemplateData, from: string, to: string): TemplateData {
  const swap = (ids: string[]) => [...new Set(ids.map((id) => (id === from ? to : id)))];
  return {
    ...(data.SecurityGroupIds ? { SecurityGroupIds: swap(data.SecurityGroupIds) } : {}),
    ...(data.SecurityGroups ? { SecurityGroups: swap(data.SecurityGroups) } : {}),
    // A new version's NetworkInterfaces replace the source's list as a whole: every interface, groups swapped.
    ...(data.NetworkInterfaces
      ? {
          NetworkInterfaces: data.NetworkInterfaces.map((eni) =>
            eni.Groups ? { ...eni, Groups: swap(eni.Groups) } : eni,
          ),
        }
      : {}),
  };
}

const DESCRIPTION_PREFIX = 'default-sg-remediation ';

/** The description of the version this remediation makes from `source` (at most 255 characters, as the API allows). */
export function createdDescription(remediationId: string, source: number, from: string, to: string): string {
  return `${DESCRIPTION_PREFIX}${remediationId}: version ${source} with ${from} replaced by ${to}`.slice(0, 255);
}

/** The source version of a version this remediation made, from its description; undefined for any other. */
export function createdFrom(version: TemplateVersion, remediationId: string): number | undefined {
  const match = /^: version (\d+) with /.exec(
    (version.description ?? '').startsWith(`${DESCRIPTION_PREFIX}${remediationId}`)
      ? (version.description ?? '').slice(`${DESCRIPTION_PREFIX}${remediationId}`.length)
      : '',
  );
  return match ? Number(match[1]) : undefined;
}

/** The version a user launches from now: `$Default`, `$Latest` or its number. */
function resolve(view: TemplateView, version: string): number | undefined {
  if (version === '$Default') return view.defaultVersion;
  if (version === '$Latest') return view.latestVersion;
  return /^\d+$/.test(version) ? Number(version) : undefined;
}

/** The versions anything launches from: the default, the latest and every pinned one. */
export function inUseVersions(view: TemplateView): number[] {
  const numbers = new Set([view.defaultVersion, view.latestVersion]);
  for (const user of [...view.users, ...(view.launchers ?? [])]) {
    const number = resolve(view, user.version);
    if (number !== undefined) numbers.add(number);
  }
  return [...numbers].sort((a, b) => a - b);
}

/** The groups the template launches onto, over its in-use versions (ResourceState.groups of a template). */
export function templateGroups(view: TemplateView): string[] {
  const byNumber = new Map(view.versions.map((version) => [version.number, version]));
  return [...new Set(inUseVersions(view).flatMap((number) => groupsOfData(byNumber.get(number)?.data ?? {})))];
}

export function templateConfig(view: TemplateView): TemplateConfig {
  return {
    ...(view.name ? { name: view.name } : {}),
    defaultVersion: view.defaultVersion,
    users: Object.fromEntries(view.users.map((user) => [user.name, user.version])),
  };
}

/** A template as a resource: its in-use groups and what a move back restores. */
export function templateState(view: TemplateView): DescribedResource & { kind: 'launch-template' } {
  return { kind: 'launch-template', id: view.id, groups: templateGroups(view), config: templateConfig(view) };
}

/**
 * Why the template cannot be moved when a fleet or an EKS node group launches from a version of it that names `from`,
 * with the exact change for each (docs/decisions.md "Launch sources (issue 11)"); undefined when none does. Moving a
 * node group to another version replaces every node (UpdateNodegroupVersion,
 * https://docs.aws.amazon.com/eks/latest/APIReference/API_UpdateNodegroupVersion.html); a fleet is the person's call
 * too: ModifyFleet and ModifySpotFleetRequest take new LaunchTemplateConfigs only for `maintain` fleets
 * (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_ModifyFleet.html,
 * https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_ModifySpotFleetRequest.html).
 */
export function pinnedLauncherBlock(view: TemplateView, from: string): string | undefined {
  const byNumber = new Map(view.versions.map((version) => [version.number, version]));
  const naming = (view.launchers ?? []).flatMap((launcher) => {
    const number = resolve(view, launcher.version);
    return number !== undefined && groupsOfData(byNumber.get(number)?.data ?? {}).includes(from)
      ? [{ launcher, number }]
      : [];
  });
  if (naming.length === 0) return undefined;
  const template = `launch template ${view.id}${view.name ? ` (${quote(view.name)})` : ''}`;
  const sources = [...new Set(naming.map((entry) => entry.number))].sort((a, b) => a - b);
  const create = sources
    .map(
      (number) =>
        `aws ec2 create-launch-template-version --launch-template-id ${view.id} --source-version ${number} --launch-template-data '{"SecurityGroupIds":["<another group>"]}'`,
    )
    .join('; ');
  const fixes = naming.map(({ launcher, number }) => launcherFix(view.id, launcher, number));
  return `${template} version(s) ${sources.join(', ')} name ${from} and are launched by ${fixes.join(' ')} Make a version naming another group first (${create}), then run again.`;
}

function launcherFix(templateId: string, launcher: PinningLauncher, number: number): string {
  const spec = `LaunchTemplateSpecification={LaunchTemplateId=${templateId},Version=<new version>}`;
  switch (launcher.kind) {
    case 'eks-nodegroup':
      return `EKS managed node group ${quote(launcher.nodegroup)} of cluster ${quote(launcher.cluster)} (version ${number}): moving it replaces every node, so it is yours to schedule: aws eks update-nodegroup-version --cluster-name ${quote(launcher.cluster)} --nodegroup-name ${quote(launcher.nodegroup)} --launch-template id=${templateId},version=<new version>.`;
    case 'ec2-fleet':
      return launcher.type === 'maintain'
        ? `EC2 Fleet ${launcher.id} (maintain, version ${number}): aws ec2 modify-fleet --fleet-id ${launcher.id} --launch-template-configs '${spec}' with its overrides as they are.`
        : `EC2 Fleet ${launcher.id} (request, version ${number}): ModifyFleet cannot change a request fleet; delete it (aws ec2 delete-fleets --fleet-ids ${launcher.id} --no-terminate-instances) and create it again on the new version.`;
    case 'spot-fleet':
      return launcher.type === 'maintain'
        ? `Spot Fleet request ${launcher.id} (maintain, version ${number}): aws ec2 modify-spot-fleet-request --spot-fleet-request-id ${launcher.id} --launch-template-configs '${spec}' with its overrides as they are.`
        : `Spot Fleet request ${launcher.id} (request, version ${number}): ModifySpotFleetRequest cannot change a request fleet; cancel it (aws ec2 cancel-spot-fleet-requests --spot-fleet-request-ids ${launcher.id} --no-terminate-instances) and request it again on the new version.`;
  }
}

export interface TemplateMove {
  /** Versions to make, in order, each from `source` with the group swapped; the last becomes `$Latest`. */
  create: { source: number; description: string }[];
  /** The source whose new version becomes the default, when the default named the group. */
  defaultFrom?: number;
  /** Auto Scaling groups pinned to a source, moved to its new version. */
  repin: { user: string; source: number }[];
}

/**
 * The move of a template from `from` to `to`, computed from the template as it is now — also after a crash halfway:
 * versions this remediation made stand for their sources, so the same plan comes out and the adapters make only what
 * is missing. Sources are the in-use versions (as they were before the move) that name `from`; when `$Latest` was
 * not one of them, its version is copied last too, so `$Latest` keeps launching what it launched.
 */
export function planTemplateMove(view: TemplateView, remediationId: string, from: string, to: string): TemplateMove {
  const ours = new Map<number, number>();
  for (const version of view.versions) {
    const source = createdFrom(version, remediationId);
    if (source !== undefined) ours.set(version.number, source);
  }
  const original = (number: number) => ours.get(number) ?? number;
  const theirs = view.versions.filter((version) => !ours.has(version.number)).map((version) => version.number);
  const latest = theirs.length > 0 ? Math.max(...theirs) : view.latestVersion;
  const defaultVersion = original(view.defaultVersion);
  const byNumber = new Map(view.versions.map((version) => [version.number, version]));
  const names = (number: number) => groupsOfData(byNumber.get(number)?.data ?? {}).includes(from);
  const pins = view.users
    .filter((user) => /^\d+$/.test(user.version))
    .map((user) => ({ user: user.name, source: original(Number(user.version)) }));
  const inUse = new Set([defaultVersion, latest, ...pins.map((pin) => pin.source)]);
  const sources = [...inUse].filter(names).sort((a, b) => a - b);
  if (sources.length === 0) return { create: [], repin: [] };
  const ordered = [...sources.filter((source) => source !== latest), latest];
  return {
    create: ordered.map((source) => ({ source, description: createdDescription(remediationId, source, from, to) })),
    ...(sources.includes(defaultVersion) ? { defaultFrom: defaultVersion } : {}),
    repin: pins.filter((pin) => sources.includes(pin.source)),
  };
}

/** The versions this remediation made (what the move back deletes). */
export function createdVersions(view: TemplateView, remediationId: string): number[] {
  return view.versions
    .filter((version) => createdFrom(version, remediationId) !== undefined)
    .map((version) => version.number);
}

/** "launch template lt-… ("web") version 3 (default) → a new version naming the copy, …" for the plan and the email. */
export function describeTemplateMove(resource: DescribedResource, defaultGroupId: string): string {
  const config = resource.config as TemplateConfig | undefined;
  const name = config?.name;
  const head = `launch template ${resource.id}${name ? ` (${quote(name)})` : ''}`;
  if (!config) return head;
  const pinned = Object.entries(config.users).filter(([, version]) => /^\d+$/.test(version));
  const following = Object.entries(config.users).filter(([, version]) => !/^\d+$/.test(version));
  const parts = [
    `${head}: each version in use ($Default is ${config.defaultVersion}) that names ${defaultGroupId} gets a new version naming the copy, and the default moves to it when it was the one`,
  ];
  if (pinned.length > 0)
    parts.push(
      `Auto Scaling group(s) ${pinned.map(([user, version]) => `${quote(user)} (pinned to version ${version})`).join(', ')} moved to the new version`,
    );
  if (following.length > 0)
    parts.push(
      `Auto Scaling group(s) ${following.map(([user, version]) => `${quote(user)} (${version})`).join(', ')} follow it`,
    );
  return parts.join('; ');
}

const createVersion = bucketOf('CreateLaunchTemplateVersion');

export const ec2LaunchTemplates = defineOwner({
  service: 'ec2-launch-templates',
  title: 'EC2 launch templates',
  ownerKinds: {},
  resources: {
    'launch-template': {
      label: 'launch template',
      moveAction: 'ec2:CreateLaunchTemplateVersion',
      // EC2's buckets are per action: a move draws one CreateLaunchTemplateVersion per in-use version naming the group
      // (one, usually), and one ModifyLaunchTemplate from that action's own mutating bucket.
      callsPerMove: 1,
      settleSeconds: SETTLED_IN_THE_CALL,
    },
  },
  listedInVpc: true,
  describeMove: describeTemplateMove,
  // InvalidLaunchTemplateId.NotFound / InvalidLaunchTemplateName.NotFoundException: the template is gone
  // (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/errors-overview.html). Auto Scaling's
  // ResourceContention ("You already have a pending update to an Auto Scaling resource",
  // https://docs.aws.amazon.com/autoscaling/ec2/APIReference/API_UpdateAutoScalingGroup.html) and ScalingActivityInProgress
  // are busy answers for the re-pin.
  errors: {
    notFound: ['InvalidLaunchTemplateId.NotFound', 'InvalidLaunchTemplateName.NotFoundException'],
    busy: [
      'ResourceContention',
      'ResourceContentionFault',
      'ScalingActivityInProgress',
      'ScalingActivityInProgressFault',
    ],
  },
  iam: {
    readOnAny: [
      'ec2:DescribeLaunchTemplates',
      'ec2:DescribeLaunchTemplateVersions',
      'autoscaling:DescribeAutoScalingGroups',
      // The launchers that pin a version outside Auto Scaling (read only: they block, never move).
      'ec2:DescribeFleets',
      'ec2:DescribeSpotFleetRequests',
      'eks:ListClusters',
    ],
    // https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonelastickubernetesservice.html:
    // ListNodegroups acts on a cluster, DescribeNodegroup on a node group, of this account.
    reads: [
      {
        sid: 'ReadEksNodeGroupLaunchTemplates',
        actions: ['eks:ListNodegroups', 'eks:DescribeNodegroup'],
        resources: [
          { service: 'eks', resource: 'cluster/*' },
          { service: 'eks', resource: 'nodegroup/*' },
        ],
      },
    ],
    moveOnAny: [],
    moves: [
      // https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonec2.html: the three act on the
      // launch-template resource type of this account.
      {
        sid: 'VersionLaunchTemplates',
        actions: ['ec2:CreateLaunchTemplateVersion', 'ec2:ModifyLaunchTemplate', 'ec2:DeleteLaunchTemplateVersions'],
        resources: [{ service: 'ec2', resource: 'launch-template/*' }],
      },
      // https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonec2autoscaling.html:
      // UpdateAutoScalingGroup on this account's groups, and only to name a launch template
      // (autoscaling:LaunchTemplateVersionSpecified is true when the request names a template version). Auto Scaling
      // checks ec2:RunInstances on the template when a group is pointed at one
      // (https://docs.aws.amazon.com/autoscaling/ec2/userguide/ec2-auto-scaling-launch-template-permissions.html).
      {
        sid: 'RepinAutoScalingGroupsToLaunchTemplateVersions',
        actions: ['autoscaling:UpdateAutoScalingGroup'],
        resources: [{ service: 'autoscaling', resource: 'autoScalingGroup:*:autoScalingGroupName/*' }],
        conditions: { Bool: { 'autoscaling:LaunchTemplateVersionSpecified': 'true' } },
      },
      {
        sid: 'LetAutoScalingLaunchFromTheTemplates',
        actions: ['ec2:RunInstances'],
        resources: [{ service: 'ec2', resource: 'launch-template/*' }],
      },
    ],
  },
  // CreateLaunchTemplateVersion is a mutating action: EC2's mutating bucket, 50 / 5 per second
  // (https://docs.aws.amazon.com/ec2/latest/devguide/ec2-api-throttling.html, handlers/core/rate-limits.ts).
  rateLimit: {
    key: createVersion.key,
    capacity: createVersion.limits.capacity,
    refillPerSecond: createVersion.limits.refillPerSecond,
    source: 'https://docs.aws.amazon.com/ec2/latest/devguide/ec2-api-throttling.html',
    documented: true,
  },
});
