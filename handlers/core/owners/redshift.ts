/**
 * Amazon Redshift: a provisioned cluster owns interfaces described "RedshiftNetworkInterface" that do not name it, so
 * Discover finds every cluster of the VPC on the group (DescribeClusters) and the interface follows them all. A
 * cluster moves with ModifyCluster VpcSecurityGroupIds, applied at once
 * (https://docs.aws.amazon.com/redshift/latest/APIReference/API_ModifyCluster.html); while it is `modifying` it
 * refuses another change (InvalidClusterStateFault), and the change is done when the cluster is `available` with its
 * groups `active`.
 */
import { defineOwner } from './types.ts';

const CLUSTERS = { service: 'redshift', resource: 'cluster:*' };

export const redshift = defineOwner({
  service: 'redshift',
  title: 'Amazon Redshift',
  ownerKinds: { redshift: 'Redshift cluster' },
  // DescribeClusters, ModifyCluster, DescribeClusters until available.
  resources: {
    'redshift-cluster': { label: 'Redshift cluster', moveAction: 'redshift:ModifyCluster', callsPerMove: 3 },
  },
  recognise(eni) {
    if (eni.Description !== 'RedshiftNetworkInterface' && eni.RequesterId !== 'amazon-redshift') return undefined;
    return { kind: 'redshift', label: 'Redshift cluster', mover: 'service', lookup: { service: 'redshift' } };
  },
  followsLookup: () => true,
  errors: {
    notFound: ['ClusterNotFound', 'ClusterNotFoundFault'],
    busy: ['InvalidClusterState', 'InvalidClusterStateFault'],
  },
  iam: {
    readOnAny: [],
    reads: [{ sid: 'ReadRedshiftClusters', actions: ['redshift:DescribeClusters'], resources: [CLUSTERS] }],
    moveOnAny: [],
    moves: [{ sid: 'MoveRedshiftClusters', actions: ['redshift:ModifyCluster'], resources: [CLUSTERS] }],
  },
  // Redshift publishes no API rate for ModifyCluster (https://docs.aws.amazon.com/redshift/latest/mgmt/amazon-redshift-limits.html
  // lists object quotas only): assumed, a burst of 5 and 1 per second.
  rateLimit: {
    key: 'redshift:api',
    capacity: 5,
    refillPerSecond: 1,
    source:
      'assumed: no published API rate (https://docs.aws.amazon.com/redshift/latest/mgmt/amazon-redshift-limits.html)',
    documented: false,
  },
});
