/**
 * Amazon RDS: DB instances and clusters own interfaces described "RDSNetworkInterface" (requester `amazon-rds`) that
 * do not name their instance, so Discover finds every DB instance and cluster of the VPC on the group and the
 * interface follows them all. A cluster member's groups are the cluster's. They move with ModifyDBInstance /
 * ModifyDBCluster VpcSecurityGroupIds, ApplyImmediately
 * (https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_ModifyDBInstance.html,
 * https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_ModifyDBCluster.html).
 */
import { defineOwner } from './types.ts';

const DB_INSTANCES = { service: 'rds', resource: 'db:*' };
const DB_CLUSTERS = { service: 'rds', resource: 'cluster:*' };

export const rds = defineOwner({
  service: 'rds',
  title: 'Amazon RDS',
  ownerKinds: { rds: 'RDS database' },
  // Describe, Modify, Describe until the groups are active: one RDS bucket for every call.
  resources: {
    'rds-instance': { label: 'RDS DB instance', moveAction: 'rds:ModifyDBInstance', callsPerMove: 3 },
    'rds-cluster': { label: 'RDS DB cluster', moveAction: 'rds:ModifyDBCluster', callsPerMove: 3 },
  },
  recognise(eni) {
    if (eni.Description !== 'RDSNetworkInterface' && eni.RequesterId !== 'amazon-rds') return undefined;
    // The description does not name the instance: Discover finds the VPC's DB instances and clusters on the group.
    return { kind: 'rds', label: 'RDS database', mover: 'service', lookup: { service: 'rds' } };
  },
  followsLookup: () => true,
  // Invalid*StateFault: the instance or cluster is not available (being modified, backed up, …), per the pages above.
  errors: {
    notFound: ['DBInstanceNotFound', 'DBInstanceNotFoundFault', 'DBClusterNotFoundFault'],
    busy: ['InvalidDBInstanceStateFault', 'InvalidDBClusterStateFault'],
  },
  iam: {
    readOnAny: [],
    reads: [
      {
        sid: 'ReadDatabases',
        actions: ['rds:DescribeDBInstances', 'rds:DescribeDBClusters'],
        resources: [DB_INSTANCES, DB_CLUSTERS],
      },
    ],
    moveOnAny: [],
    moves: [
      {
        sid: 'MoveDbInstances',
        actions: ['rds:ModifyDBInstance'],
        resources: [DB_INSTANCES],
        // ModifyDBInstance has one request key, rds:ManageMasterUserPassword; its others describe the instance as it
        // is (https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonrds.html). IfExists: a
        // request that does not mention it passes whether RDS leaves the key out or sets it false.
        conditions: { BoolIfExists: { 'rds:ManageMasterUserPassword': 'false' } },
      },
      {
        sid: 'MoveDbClusters',
        actions: ['rds:ModifyDBCluster'],
        resources: [DB_CLUSTERS],
        // ModifyDBCluster's request keys also carry the class, storage size and IOPS a request asks for.
        conditions: {
          BoolIfExists: { 'rds:ManageMasterUserPassword': 'false' },
          Null: { 'rds:DatabaseClass': 'true', 'rds:Piops': 'true', 'rds:StorageSize': 'true' },
        },
      },
    ],
  },
  // "By default, you can make up to 300 requests in a burst and a sustained 12 requests per second", per account and
  // Region, whatever the operation (https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/rds-api-throttling.html).
  rateLimit: {
    key: 'rds:api',
    capacity: 300,
    refillPerSecond: 12,
    source: 'https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/rds-api-throttling.html',
    documented: true,
  },
});
