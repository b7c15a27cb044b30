/**
 * Lambda functions over the SDK: UpdateFunctionConfiguration VpcConfig, then GetFunctionConfiguration until
 * LastUpdateStatus leaves InProgress (https://docs.aws.amazon.com/lambda/latest/dg/functions-states.html).
 */
import {
  GetFunctionConfigurationCommand,
  LambdaClient,
  ListFunctionsCommand,
  ListTagsCommand,
  UpdateFunctionConfigurationCommand,
} from '@aws-sdk/client-lambda';
import type { ResourceRef, ResourceState } from '../../../core/resources.ts';
import { stackEntry } from '../../../core/stacks.ts';
import type { OwnerAdapter } from '../../../ports.ts';
import { ResourceMoveFailedError } from '../../owner-services.ts';
import { explainingSend } from '../sdk-errors.ts';
import type { CapturedRecords, CaptureScope } from './capture-scope.ts';
import type { SdkOwnerConfig } from './config.ts';

export class SdkLambdaOwner implements OwnerAdapter {
  private readonly send: LambdaClient['send'];

  constructor(client: LambdaClient) {
    this.send = explainingSend(client, 'JSON');
  }

  async findUsing(vpcId: string, groupId: string): Promise<ResourceState[]> {
    const found: ResourceState[] = [];
    let marker: string | undefined;
    do {
      // ALL: published versions too — they keep the groups they were published with and share the interfaces
      // (https://docs.aws.amazon.com/lambda/latest/api/API_ListFunctions.html).
      const page = await this.send(new ListFunctionsCommand({ Marker: marker, MaxItems: 50, FunctionVersion: 'ALL' }));
      for (const fn of page.Functions ?? []) {
        const groups = fn.VpcConfig?.SecurityGroupIds ?? [];
        if (!fn.FunctionName || fn.VpcConfig?.VpcId !== vpcId || !groups.includes(groupId)) continue;
        const published = fn.Version && fn.Version !== '$LATEST' ? fn.Version : undefined;
        found.push({
          kind: 'lambda-function',
          id: published ? `${fn.FunctionName}:${published}` : fn.FunctionName,
          vpcId,
          groups,
          ...(published ? { publishedVersion: published } : await this.stackOf(fn.FunctionArn)),
        });
      }
      marker = page.NextMarker;
    } while (marker);
    return found;
  }

  /**
   * The function's stack: ListFunctions answers no tags, so one ListTags per function on the default group (few; on
   * the control-plane bucket, docs/decisions.md "Stacks (issue 11)").
   * https://docs.aws.amazon.com/lambda/latest/api/API_ListTags.html
   */
  private async stackOf(functionArn: string | undefined): Promise<{ stack?: string }> {
    if (!functionArn) return {};
    return stackEntry((await this.send(new ListTagsCommand({ Resource: functionArn }))).Tags);
  }

  async describe({ id }: ResourceRef): Promise<ResourceState | undefined> {
    const fn = await this.send(new GetFunctionConfigurationCommand({ FunctionName: id }));
    return {
      kind: 'lambda-function',
      id,
      groups: fn.VpcConfig?.SecurityGroupIds ?? [],
      ...(fn.VpcConfig?.VpcId ? { vpcId: fn.VpcConfig.VpcId } : {}),
    };
  }

  async setGroups({ id }: ResourceRef, groups: string[]): Promise<void> {
    // VpcConfig is replaced as a whole: keep the function's subnets and dual-stack setting.
    const fn = await this.send(new GetFunctionConfigurationCommand({ FunctionName: id }));
    await this.send(
      new UpdateFunctionConfigurationCommand({
        FunctionName: id,
        VpcConfig: {
          SubnetIds: fn.VpcConfig?.SubnetIds ?? [],
          SecurityGroupIds: groups,
          ...(fn.VpcConfig?.Ipv6AllowedForDualStack !== undefined
            ? { Ipv6AllowedForDualStack: fn.VpcConfig.Ipv6AllowedForDualStack }
            : {}),
        },
        ...(fn.RevisionId ? { RevisionId: fn.RevisionId } : {}),
      }),
    );
  }

  async settled({ id }: ResourceRef): Promise<boolean> {
    const fn = await this.send(new GetFunctionConfigurationCommand({ FunctionName: id }));
    if (fn.LastUpdateStatus === 'Failed')
      throw new ResourceMoveFailedError(
        `Lambda function ${id} failed to apply its new configuration: ${fn.LastUpdateStatusReason ?? 'no reason given'}`,
      );
    return fn.LastUpdateStatus !== 'InProgress';
  }
}

export const sdkLambdaOwner = (config: SdkOwnerConfig): OwnerAdapter => new SdkLambdaOwner(new LambdaClient(config));

/**
 * `Functions` for `capture`: ListFunctions (every version, 50 a page) in the VPC, each function's tags from ListTags
 * merged in as the local model reads them (ListFunctions answers none; a published version has no tags of its own).
 * https://docs.aws.amazon.com/lambda/latest/api/API_ListFunctions.html, API_ListTags.html
 */
export async function captureLambda(config: SdkOwnerConfig, scope: CaptureScope): Promise<CapturedRecords> {
  const send = explainingSend(new LambdaClient(config), 'JSON');
  const functions: Record<string, unknown>[] = [];
  let marker: string | undefined;
  do {
    const page = await send(new ListFunctionsCommand({ Marker: marker, MaxItems: 50, FunctionVersion: 'ALL' }));
    for (const fn of page.Functions ?? []) {
      if (fn.VpcConfig?.VpcId !== scope.vpcId) continue;
      const published = fn.Version !== undefined && fn.Version !== '$LATEST';
      const tags =
        !published && fn.FunctionArn
          ? (await send(new ListTagsCommand({ Resource: fn.FunctionArn.replace(/:\$LATEST$/, '') }))).Tags
          : undefined;
      functions.push({ ...fn, ...(tags && Object.keys(tags).length > 0 ? { Tags: tags } : {}) });
    }
    marker = page.NextMarker;
  } while (marker);
  return { Functions: functions };
}
