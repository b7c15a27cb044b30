/** EFS mount targets over the SDK: ModifyMountTargetSecurityGroups replaces the whole list, at once. */
import {
  DescribeMountTargetSecurityGroupsCommand,
  DescribeMountTargetsCommand,
  EFSClient,
  ModifyMountTargetSecurityGroupsCommand,
} from '@aws-sdk/client-efs';
import type { ResourceRef, ResourceState } from '../../../core/resources.ts';
import type { OwnerAdapter } from '../../../ports.ts';
import { explainingSend } from '../sdk-errors.ts';
import type { SdkOwnerConfig } from './config.ts';

export class SdkMountTargetOwner implements OwnerAdapter {
  private readonly send: EFSClient['send'];

  constructor(client: EFSClient) {
    this.send = explainingSend(client, 'JSON');
  }

  async describe({ id }: ResourceRef): Promise<ResourceState | undefined> {
    const target = (await this.send(new DescribeMountTargetsCommand({ MountTargetId: id }))).MountTargets?.[0];
    if (!target) return undefined;
    const groups = (await this.send(new DescribeMountTargetSecurityGroupsCommand({ MountTargetId: id })))
      .SecurityGroups;
    return { kind: 'efs-mount-target', id, groups: groups ?? [], ...(target.VpcId ? { vpcId: target.VpcId } : {}) };
  }

  async setGroups({ id }: ResourceRef, groups: string[]): Promise<void> {
    await this.send(new ModifyMountTargetSecurityGroupsCommand({ MountTargetId: id, SecurityGroups: groups }));
  }

  async settled(): Promise<boolean> {
    return true;
  }
}

export const sdkMountTargetOwner = (config: SdkOwnerConfig): OwnerAdapter =>
  new SdkMountTargetOwner(new EFSClient(config));
