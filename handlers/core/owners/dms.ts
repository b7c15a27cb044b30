/**
 * AWS Database Migration Service: a replication instance owns interfaces described "DMSNetworkInterface" that do not
 * name it, so Discover finds every replication instance of the VPC on the group and the interface follows them all.
 * It moves with ModifyReplicationInstance VpcSecurityGroupIds, ApplyImmediately
 * (https://docs.aws.amazon.com/dms/latest/APIReference/API_ModifyReplicationInstance.html); while it is not
 * `available` it refuses (InvalidResourceStateFault).
 */
import { defineOwner } from './types.ts';

const REPLICATION_INSTANCES = { service: 'dms', resource: 'rep:*' };

export const dms = defineOwner({
  service: 'dms',
  title: 'AWS DMS',
  ownerKinds: { dms: 'DMS replication instance' },
  // DescribeReplicationInstances, ModifyReplicationInstance, DescribeReplicationInstances until available.
  resources: {
    'dms-replication-instance': {
      label: 'DMS replication instance',
      moveAction: 'dms:ModifyReplicationInstance',
      callsPerMove: 3,
    },
  },
  recognise(eni) {
    if (eni.Description !== 'DMSNetworkInterface') return undefined;
    return { kind: 'dms', label: 'DMS replication instance', mover: 'service', lookup: { service: 'dms' } };
  },
  followsLookup: () => true,
  errors: { notFound: ['ResourceNotFoundFault'], busy: ['InvalidResourceStateFault'] },
  iam: {
    // DescribeReplicationInstances takes no resource type.
    readOnAny: ['dms:DescribeReplicationInstances'],
    reads: [],
    moveOnAny: [],
    moves: [
      {
        sid: 'MoveDmsReplicationInstances',
        actions: ['dms:ModifyReplicationInstance'],
        resources: [REPLICATION_INSTANCES],
      },
    ],
  },
  // DMS publishes no API rate: assumed, a burst of 5 and 1 per second.
  rateLimit: {
    key: 'dms:api',
    capacity: 5,
    refillPerSecond: 1,
    source: 'assumed: no published API rate (https://docs.aws.amazon.com/dms/latest/userguide/CHAP_Limits.html)',
    documented: false,
  },
});
