/**
 * DMS replication instances over the SDK: ModifyReplicationInstance VpcSecurityGroupIds with ApplyImmediately, then
 * DescribeReplicationInstances until the instance is `available` with every group `active`.
 */
import {
  DatabaseMigrationServiceClient,
  DescribeReplicationInstancesCommand,
  ModifyReplicationInstanceCommand,
  type ReplicationInstance,
} from '@aws-sdk/client-database-migration-service';
import type { ResourceRef, ResourceState } from '../../../core/resources.ts';
import type { OwnerAdapter } from '../../../ports.ts';
import { explainingSend } from '../sdk-errors.ts';
import type { CapturedRecords, CaptureScope } from './capture-scope.ts';
import type { SdkOwnerConfig } from './config.ts';

function stateOf(instance: ReplicationInstance): ResourceState {
  const vpcId = instance.ReplicationSubnetGroup?.VpcId;
  return {
    kind: 'dms-replication-instance',
    id: instance.ReplicationInstanceArn ?? '',
    groups: (instance.VpcSecurityGroups ?? []).map((g) => g.VpcSecurityGroupId ?? ''),
    ...(vpcId ? { vpcId } : {}),
  };
}

export class SdkDmsOwner implements OwnerAdapter {
  private readonly send: DatabaseMigrationServiceClient['send'];

  constructor(client: DatabaseMigrationServiceClient) {
    this.send = explainingSend(client, 'JSON');
  }

  async findUsing(vpcId: string, groupId: string): Promise<ResourceState[]> {
    const found: ResourceState[] = [];
    let marker: string | undefined;
    do {
      const page = await this.send(new DescribeReplicationInstancesCommand({ Marker: marker, MaxRecords: 100 }));
      for (const instance of page.ReplicationInstances ?? []) {
        const state = stateOf(instance);
        if (state.vpcId === vpcId && state.groups.includes(groupId)) found.push(state);
      }
      marker = page.Marker;
    } while (marker);
    return found;
  }

  async describe({ id }: ResourceRef): Promise<ResourceState | undefined> {
    const instance = await this.instance(id);
    return instance ? stateOf(instance) : undefined;
  }

  async setGroups({ id }: ResourceRef, groups: string[]): Promise<void> {
    await this.send(
      new ModifyReplicationInstanceCommand({
        ReplicationInstanceArn: id,
        VpcSecurityGroupIds: groups,
        ApplyImmediately: true,
      }),
    );
  }

  async settled({ id }: ResourceRef): Promise<boolean> {
    const instance = await this.instance(id);
    if (!instance) return true;
    return (
      instance.ReplicationInstanceStatus === 'available' &&
      (instance.VpcSecurityGroups ?? []).every((g) => g.Status === undefined || g.Status === 'active')
    );
  }

  private async instance(arn: string): Promise<ReplicationInstance | undefined> {
    const page = await this.send(
      new DescribeReplicationInstancesCommand({ Filters: [{ Name: 'replication-instance-arn', Values: [arn] }] }),
    );
    return page.ReplicationInstances?.[0];
  }
}

export const sdkDmsOwner = (config: SdkOwnerConfig): OwnerAdapter =>
  new SdkDmsOwner(new DatabaseMigrationServiceClient(config));

/**
 * `ReplicationInstances` for `capture`: DescribeReplicationInstances, 100 a page, those whose subnet group is in the
 * VPC. https://docs.aws.amazon.com/dms/latest/APIReference/API_DescribeReplicationInstances.html
 */
export async function captureDms(config: SdkOwnerConfig, scope: CaptureScope): Promise<CapturedRecords> {
  const send = explainingSend(new DatabaseMigrationServiceClient(config), 'JSON');
  const found: Record<string, unknown>[] = [];
  let marker: string | undefined;
  do {
    const page = await send(new DescribeReplicationInstancesCommand({ Marker: marker, MaxRecords: 100 }));
    for (const instance of page.ReplicationInstances ?? [])
      if (instance.ReplicationSubnetGroup?.VpcId === scope.vpcId) found.push({ ...instance });
    marker = page.Marker;
  } while (marker);
  return { ReplicationInstances: found };
}
