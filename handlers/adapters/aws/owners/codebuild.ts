/**
 * CodeBuild projects over the SDK: UpdateProject with the project's whole vpcConfig (VPC and subnets kept, the new
 * groups); the next build uses it, so there is nothing to wait for.
 */
import {
  BatchGetProjectsCommand,
  CodeBuildClient,
  ListProjectsCommand,
  type Project,
  UpdateProjectCommand,
} from '@aws-sdk/client-codebuild';
import type { ResourceRef, ResourceState } from '../../../core/resources.ts';
import type { OwnerAdapter } from '../../../ports.ts';
import { explainingSend } from '../sdk-errors.ts';
import { type CapturedRecords, type CaptureScope, slices } from './capture-scope.ts';
import type { SdkOwnerConfig } from './config.ts';

const STACK_TAG = 'aws:cloudformation:stack-name';

function stateOf(project: Project): ResourceState {
  const stack = project.tags?.find((tag) => tag.key === STACK_TAG)?.value;
  return {
    kind: 'codebuild-project',
    id: project.name ?? '',
    groups: project.vpcConfig?.securityGroupIds ?? [],
    ...(project.vpcConfig?.vpcId ? { vpcId: project.vpcConfig.vpcId } : {}),
    ...(stack ? { stack } : {}),
  };
}

export class SdkCodeBuildOwner implements OwnerAdapter {
  private readonly send: CodeBuildClient['send'];

  constructor(client: CodeBuildClient) {
    this.send = explainingSend(client, 'JSON');
  }

  async findUsing(vpcId: string, groupId: string): Promise<ResourceState[]> {
    const names: string[] = [];
    let nextToken: string | undefined;
    do {
      const page = await this.send(new ListProjectsCommand({ nextToken }));
      names.push(...(page.projects ?? []));
      nextToken = page.nextToken;
    } while (nextToken);
    const found: ResourceState[] = [];
    // BatchGetProjects takes up to 100 names per call.
    for (let at = 0; at < names.length; at += 100) {
      const { projects } = await this.send(new BatchGetProjectsCommand({ names: names.slice(at, at + 100) }));
      for (const project of projects ?? []) {
        const state = stateOf(project);
        if (state.vpcId === vpcId && state.groups.includes(groupId)) found.push(state);
      }
    }
    return found;
  }

  async describe({ id }: ResourceRef): Promise<ResourceState | undefined> {
    const project = await this.project(id);
    return project ? stateOf(project) : undefined;
  }

  async setGroups({ id }: ResourceRef, groups: string[]): Promise<void> {
    const vpc = (await this.project(id))?.vpcConfig;
    // vpcConfig is replaced as a whole: keep the VPC and the subnets.
    await this.send(
      new UpdateProjectCommand({
        name: id,
        vpcConfig: { vpcId: vpc?.vpcId, subnets: vpc?.subnets ?? [], securityGroupIds: groups },
      }),
    );
  }

  async settled(): Promise<boolean> {
    return true;
  }

  private async project(name: string): Promise<Project | undefined> {
    // A missing project is listed in projectsNotFound, not an error.
    return (await this.send(new BatchGetProjectsCommand({ names: [name] }))).projects?.[0];
  }
}

export const sdkCodeBuildOwner = (config: SdkOwnerConfig): OwnerAdapter =>
  new SdkCodeBuildOwner(new CodeBuildClient(config));

/**
 * `projects` for `capture`: ListProjects (paged), BatchGetProjects 100 names a call, those whose VPC configuration is
 * the VPC. https://docs.aws.amazon.com/codebuild/latest/APIReference/API_BatchGetProjects.html
 */
export async function captureCodeBuild(config: SdkOwnerConfig, scope: CaptureScope): Promise<CapturedRecords> {
  const send = explainingSend(new CodeBuildClient(config), 'JSON');
  const names: string[] = [];
  let nextToken: string | undefined;
  do {
    const page = await send(new ListProjectsCommand({ nextToken }));
    names.push(...(page.projects ?? []));
    nextToken = page.nextToken;
  } while (nextToken);
  const found: Record<string, unknown>[] = [];
  for (const batch of slices(names, 100)) {
    const { projects } = await send(new BatchGetProjectsCommand({ names: batch }));
    for (const project of projects ?? []) if (project.vpcConfig?.vpcId === scope.vpcId) found.push({ ...project });
  }
  return { projects: found };
}
