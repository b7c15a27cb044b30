/**
 * Amazon ElastiCache: each cache node owns an interface described "ElastiCache <CacheClusterId>" (requester
 * `amazon-elasticache`); the node's replication group, or the node itself when it is in none, moves with
 * ModifyReplicationGroup / ModifyCacheCluster SecurityGroupIds, ApplyImmediately
 * (https://docs.aws.amazon.com/AmazonElastiCache/latest/APIReference/API_ModifyReplicationGroup.html,
 * https://docs.aws.amazon.com/AmazonElastiCache/latest/APIReference/API_ModifyCacheCluster.html).
 */
import { defineOwner } from './types.ts';

const CACHE_CLUSTERS = { service: 'elasticache', resource: 'cluster:*' };
const REPLICATION_GROUPS = { service: 'elasticache', resource: 'replicationgroup:*' };

/** ElastiCache keys set from a request's own parameters (elasticache:CacheNodeType, …): a move sets none of them. */
const CACHE_SETTINGS_UNCHANGED = {
  'elasticache:CacheNodeType': 'true',
  'elasticache:CacheParameterGroupName': 'true',
  'elasticache:EngineVersion': 'true',
  'elasticache:SnapshotRetentionLimit': 'true',
};

export const elasticache = defineOwner({
  service: 'elasticache',
  title: 'Amazon ElastiCache',
  ownerKinds: { elasticache: 'ElastiCache' },
  resources: {
    // DescribeReplicationGroups and DescribeCacheClusters to read it, ModifyReplicationGroup, then both again (and one
    // DescribeCacheClusters per node) until the nodes' groups are active.
    'elasticache-replication-group': {
      label: 'ElastiCache replication group',
      moveAction: 'elasticache:ModifyReplicationGroup',
      callsPerMove: 5,
    },
    // DescribeCacheClusters, ModifyCacheCluster, DescribeCacheClusters until active.
    'elasticache-cluster': {
      label: 'ElastiCache cluster',
      moveAction: 'elasticache:ModifyCacheCluster',
      callsPerMove: 3,
    },
  },
  recognise(eni) {
    const description = eni.Description ?? '';
    if (!description.startsWith('ElastiCache') && eni.RequesterId !== 'amazon-elasticache') return undefined;
    const cacheClusterId = description.replace(/^ElastiCache ?/, '').trim();
    return {
      kind: 'elasticache',
      label: `ElastiCache ${cacheClusterId}`.trim(),
      ...(cacheClusterId
        ? { mover: 'service' as const, lookup: { service: 'elasticache' as const, member: cacheClusterId } }
        : {}),
    };
  },
  // The node's own cluster when it is in no replication group, else its replication group.
  followsLookup: (resource, lookup) =>
    lookup.member !== undefined &&
    ((resource.kind === 'elasticache-cluster' && resource.id === lookup.member) ||
      (resource.kind === 'elasticache-replication-group' && (resource.members ?? []).includes(lookup.member))),
  // Invalid*StateFault: the group or cluster is not `available` (being modified, snapshotted, …), per the pages above.
  errors: {
    notFound: ['CacheClusterNotFound', 'CacheClusterNotFoundFault', 'ReplicationGroupNotFoundFault'],
    busy: ['InvalidReplicationGroupStateFault', 'InvalidCacheClusterStateFault'],
  },
  iam: {
    readOnAny: [],
    reads: [
      {
        sid: 'ReadCaches',
        actions: ['elasticache:DescribeCacheClusters', 'elasticache:DescribeReplicationGroups'],
        resources: [CACHE_CLUSTERS, REPLICATION_GROUPS],
      },
    ],
    moveOnAny: [],
    // Keys from the request's parameters (https://docs.aws.amazon.com/AmazonElastiCache/latest/dg/IAM.ConditionKeys.html):
    // no new node type, engine version, parameter group, snapshot retention, shard or replica count, and no new AUTH
    // token (AuthTokenEnabled: a non-empty AuthToken in the request).
    moves: [
      {
        sid: 'MoveReplicationGroups',
        actions: ['elasticache:ModifyReplicationGroup'],
        resources: [REPLICATION_GROUPS],
        conditions: {
          Null: {
            ...CACHE_SETTINGS_UNCHANGED,
            'elasticache:NumNodeGroups': 'true',
            'elasticache:ReplicasPerNodeGroup': 'true',
          },
          BoolIfExists: { 'elasticache:AuthTokenEnabled': 'false' },
        },
      },
      {
        sid: 'MoveCacheClusters',
        actions: ['elasticache:ModifyCacheCluster'],
        resources: [CACHE_CLUSTERS],
        conditions: { Null: CACHE_SETTINGS_UNCHANGED, BoolIfExists: { 'elasticache:AuthTokenEnabled': 'false' } },
      },
    ],
  },
  // ElastiCache publishes no request rates for its API (a throttled call answers APICallRateForCustomerExceededFault,
  // https://docs.aws.amazon.com/botocore/latest/reference/services/elasticache/client/exceptions/APICallRateForCustomerExceededFault.html):
  // paced as EC2's mutating bucket, as before the registry (docs/decisions.md).
  rateLimit: {
    key: 'elasticache:api',
    capacity: 50,
    refillPerSecond: 5,
    source: 'assumed: EC2 mutating bucket (ElastiCache publishes no API request rates)',
    documented: false,
  },
});
