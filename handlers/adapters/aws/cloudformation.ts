/**
 * StacksPort over the AWS SDK v3 CloudFormation client: DescribeStacks by name, the times as ISO strings; SDK errors
 * keep CloudFormation's code as their `name` (`ValidationError` for a stack that does not exist) and name the
 * operation and HTTP status in their message (sdk-errors.ts).
 * https://docs.aws.amazon.com/AWSCloudFormation/latest/APIReference/API_DescribeStacks.html
 */
import { type CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import type { StackDescription } from '../../core/stacks.ts';
import type { StacksPort } from '../../ports.ts';
import { explainingSend } from './sdk-errors.ts';

export class SdkStacks implements StacksPort {
  private readonly send: CloudFormationClient['send'];

  constructor(client: CloudFormationClient) {
    this.send = explainingSend(client, 'XML');
  }

  async describeStacks(input: { StackName: string }): Promise<{ Stacks?: StackDescription[] }> {
    const output = await this.send(new DescribeStacksCommand({ StackName: input.StackName }));
    return {
      Stacks: (output.Stacks ?? []).map((stack) => ({
        ...(stack.StackName ? { StackName: stack.StackName } : {}),
        ...(stack.StackStatus ? { StackStatus: stack.StackStatus } : {}),
        ...(stack.CreationTime ? { CreationTime: stack.CreationTime.toISOString() } : {}),
        ...(stack.LastUpdatedTime ? { LastUpdatedTime: stack.LastUpdatedTime.toISOString() } : {}),
      })),
    };
  }
}
