/**
 * Batch compute environments over the SDK: UpdateComputeEnvironment computeResources.securityGroupIds, then
 * DescribeComputeEnvironments until the status leaves UPDATING; INVALID fails the move for good (statusReason says
 * why). Environments whose groups Batch does not update in place carry the reason (core/owners/batch.ts).
 */
import {
  BatchClient,
  type ComputeEnvironmentDetail,
  DescribeComputeEnvironmentsCommand,
  UpdateComputeEnvironmentCommand,
} from '@aws-sdk/client-batch';
import { batchEnvironmentBlock } from '../../../core/owners/batch.ts';
import type { ResourceRef, ResourceState } from '../../../core/resources.ts';
import type { OwnerAdapter } from '../../../ports.ts';
import { ResourceMoveFailedError } from '../../owner-services.ts';
import { explainingSend } from '../sdk-errors.ts';
import { type CapturedRecords, type CaptureScope, namesGroupOf } from './capture-scope.ts';
import type { SdkOwnerConfig } from './config.ts';

const STACK_TAG = 'aws:cloudformation:stack-name';

function stateOf(environment: ComputeEnvironmentDetail, vpcId?: string): ResourceState {
  const name = environment.computeEnvironmentName ?? '';
  const blocked = batchEnvironmentBlock({ ...environment, computeEnvironmentName: name });
  const stack = environment.tags?.[STACK_TAG];
  return {
    kind: 'batch-compute-environment',
    id: name,
    groups: environment.computeResources?.securityGroupIds ?? [],
    ...(vpcId ? { vpcId } : {}),
    ...(stack ? { stack } : {}),
    ...(blocked ? { blocked } : {}),
  };
}

export class SdkBatchOwner implements OwnerAdapter {
  private readonly send: BatchClient['send'];

  constructor(client: BatchClient) {
    this.send = explainingSend(client, 'JSON');
  }

  async findUsing(vpcId: string, groupId: string): Promise<ResourceState[]> {
    // A group belongs to one VPC: an environment naming it launches there (computeResources names subnets only).
    const found: ResourceState[] = [];
    let nextToken: string | undefined;
    do {
      const page = await this.send(new DescribeComputeEnvironmentsCommand({ nextToken, maxResults: 100 }));
      for (const environment of page.computeEnvironments ?? [])
        if ((environment.computeResources?.securityGroupIds ?? []).includes(groupId))
          found.push(stateOf(environment, vpcId));
      nextToken = page.nextToken;
    } while (nextToken);
    return found;
  }

  async describe({ id }: ResourceRef): Promise<ResourceState | undefined> {
    const environment = await this.environment(id);
    return environment ? stateOf(environment) : undefined;
  }

  async setGroups({ id }: ResourceRef, groups: string[]): Promise<void> {
    await this.send(
      new UpdateComputeEnvironmentCommand({ computeEnvironment: id, computeResources: { securityGroupIds: groups } }),
    );
  }

  async settled({ id }: ResourceRef): Promise<boolean> {
    const environment = await this.environment(id);
    if (environment?.status === 'INVALID')
      throw new ResourceMoveFailedError(
        `Batch compute environment ${id} is INVALID after the update: ${environment.statusReason ?? 'no reason given'}`,
      );
    return environment?.status !== 'UPDATING';
  }

  private async environment(name: string): Promise<ComputeEnvironmentDetail | undefined> {
    // A missing environment is an empty list, not an error.
    return (await this.send(new DescribeComputeEnvironmentsCommand({ computeEnvironments: [name] })))
      .computeEnvironments?.[0];
  }
}

export const sdkBatchOwner = (config: SdkOwnerConfig): OwnerAdapter => new SdkBatchOwner(new BatchClient(config));

/**
 * `computeEnvironments` for `capture`: DescribeComputeEnvironments, 100 a page, those naming a group of the VPC (an
 * environment names its subnets and groups, not its VPC).
 * https://docs.aws.amazon.com/batch/latest/APIReference/API_DescribeComputeEnvironments.html
 */
export async function captureBatch(config: SdkOwnerConfig, scope: CaptureScope): Promise<CapturedRecords> {
  const send = explainingSend(new BatchClient(config), 'JSON');
  const found: Record<string, unknown>[] = [];
  let nextToken: string | undefined;
  do {
    const page = await send(new DescribeComputeEnvironmentsCommand({ nextToken, maxResults: 100 }));
    for (const environment of page.computeEnvironments ?? [])
      if (namesGroupOf(scope, environment.computeResources?.securityGroupIds)) found.push({ ...environment });
    nextToken = page.nextToken;
  } while (nextToken);
  return { computeEnvironments: found };
}
