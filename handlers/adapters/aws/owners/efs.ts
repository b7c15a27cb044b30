/** EFS mount targets over the SDK: ModifyMountTargetSecurityGroups replaces the whole list, at once. */
import {
  DescribeFileSystemsCommand,
  DescribeMountTargetSecurityGroupsCommand,
  DescribeMountTargetsCommand,
  EFSClient,
  ModifyMountTargetSecurityGroupsCommand,
} from '@aws-sdk/client-efs';
import type { ResourceRef, ResourceState } from '../../../core/resources.ts';
import type { OwnerAdapter } from '../../../ports.ts';
import { explainingSend } from '../sdk-errors.ts';
import type { CapturedRecords, CaptureScope } from './capture-scope.ts';
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

/**
 * `MountTargets` for `capture`: every file system (DescribeFileSystems, 100 a page), its mount targets in the VPC
 * (DescribeMountTargets, paged) and each one's groups (DescribeMountTargetSecurityGroups), kept on the record as the
 * local model reads them. https://docs.aws.amazon.com/efs/latest/ug/API_DescribeMountTargets.html
 */
export async function captureMountTargets(config: SdkOwnerConfig, scope: CaptureScope): Promise<CapturedRecords> {
  const send = explainingSend(new EFSClient(config), 'JSON');
  const found: Record<string, unknown>[] = [];
  let marker: string | undefined;
  do {
    const page = await send(new DescribeFileSystemsCommand({ Marker: marker, MaxItems: 100 }));
    for (const fileSystem of page.FileSystems ?? []) {
      let targetsMarker: string | undefined;
      do {
        const targets = await send(
          new DescribeMountTargetsCommand({
            FileSystemId: fileSystem.FileSystemId,
            Marker: targetsMarker,
            MaxItems: 100,
          }),
        );
        for (const target of targets.MountTargets ?? []) {
          if (target.VpcId !== scope.vpcId) continue;
          const groups = await send(
            new DescribeMountTargetSecurityGroupsCommand({ MountTargetId: target.MountTargetId }),
          );
          found.push({ ...target, SecurityGroups: groups.SecurityGroups ?? [] });
        }
        targetsMarker = targets.NextMarker;
      } while (targetsMarker);
    }
    marker = page.NextMarker;
  } while (marker);
  return { MountTargets: found };
}
