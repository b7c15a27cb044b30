/**
 * Amazon EFS: a mount target owns one interface described "EFS mount target for fs-… (fsmt-…)" and moves with
 * ModifyMountTargetSecurityGroups, which replaces the whole list (at most 5)
 * (https://docs.aws.amazon.com/efs/latest/ug/API_ModifyMountTargetSecurityGroups.html).
 */
import { defineOwner } from './types.ts';

const FILE_SYSTEMS = { service: 'elasticfilesystem', resource: 'file-system/*' };

export const efs = defineOwner({
  service: 'efs',
  title: 'Amazon EFS',
  ownerKinds: { efs: 'EFS mount target' },
  resources: {
    'efs-mount-target': {
      label: 'EFS mount target',
      moveAction: 'elasticfilesystem:ModifyMountTargetSecurityGroups',
      // DescribeMountTargets, DescribeMountTargetSecurityGroups, ModifyMountTargetSecurityGroups (applied at once).
      callsPerMove: 3,
    },
  },
  recognise(eni) {
    const description = eni.Description ?? '';
    if (!description.startsWith('EFS mount target')) return undefined;
    const mountTargetId = /fsmt-[0-9a-f]+/.exec(description)?.[0];
    return {
      kind: 'efs',
      label: description,
      ...(mountTargetId
        ? { mover: 'service' as const, resource: { kind: 'efs-mount-target' as const, id: mountTargetId } }
        : {}),
    };
  },
  // IncorrectMountTargetState: the mount target is not `available` yet (or is being deleted), per the page above.
  errors: { notFound: ['MountTargetNotFound'], busy: ['IncorrectMountTargetState'] },
  iam: {
    readOnAny: [],
    reads: [
      {
        sid: 'ReadMountTargets',
        actions: ['elasticfilesystem:DescribeMountTargets', 'elasticfilesystem:DescribeMountTargetSecurityGroups'],
        resources: [FILE_SYSTEMS],
      },
    ],
    moveOnAny: [],
    // ModifyMountTargetSecurityGroups changes nothing but the groups; EFS defines no request key for it. It also needs
    // ec2:ModifyNetworkInterfaceAttribute on the mount target's interface, which the EC2 `move-interfaces` grant has.
    moves: [
      {
        sid: 'MoveMountTargets',
        actions: ['elasticfilesystem:ModifyMountTargetSecurityGroups'],
        resources: [FILE_SYSTEMS],
      },
    ],
  },
  // EFS publishes no request rates for its management API (its throttled requests answer ThrottlingException):
  // paced as EC2's mutating bucket, as before the registry (docs/decisions.md).
  rateLimit: {
    key: 'elasticfilesystem:api',
    capacity: 50,
    refillPerSecond: 5,
    source: 'assumed: EC2 mutating bucket (EFS publishes no API request rates)',
    documented: false,
  },
});
