/**
 * Local CloudFormation, as far as the re-check reads it: the state file's `Stacks` (`aws cloudformation
 * describe-stacks` output), checked when the model is made and read live (a test may change a stack during the
 * approval wait). DescribeStacks by name answers the stack, or — for a name no stack has — `ValidationError` "Stack
 * with id <name> does not exist", as the API does
 * (https://docs.aws.amazon.com/AWSCloudFormation/latest/APIReference/API_DescribeStacks.html). A record whose status
 * is `DELETE_COMPLETE` is a deleted stack: by name, it is not found either.
 */
import * as z from 'zod';
import { Ec2ApiError, InvalidInputError } from '../../core/errors.ts';
import type { StackDescription } from '../../core/stacks.ts';
import type { StacksPort } from '../../ports.ts';
import type { Ec2Simulator } from './ec2-simulator.ts';

const isoTime = z.string().refine((text) => Number.isFinite(Date.parse(text)), 'must be an ISO 8601 time');

const stacksSchema = z.array(
  z.looseObject({
    StackName: z.string().min(1, 'must not be empty').max(128, 'must be at most 128 characters'),
    StackId: z.string().optional(),
    StackStatus: z.string().min(1, 'must not be empty'),
    CreationTime: isoTime,
    LastUpdatedTime: isoTime.optional(),
  }),
);

export class StacksSimulator implements StacksPort {
  constructor(private readonly simulator: Ec2Simulator) {
    const parsed = stacksSchema.optional().safeParse(simulator.serviceRecords().Stacks);
    if (!parsed.success)
      throw new InvalidInputError(
        parsed.error.issues.map((issue) => `Stacks.${issue.path.map(String).join('.')}: ${issue.message}`),
      );
  }

  async describeStacks(input: { StackName: string }): Promise<{ Stacks?: StackDescription[] }> {
    const records = this.simulator.serviceRecords().Stacks;
    const stack = (Array.isArray(records) ? (records as StackDescription[]) : []).find(
      (record) => record.StackName === input.StackName && record.StackStatus !== 'DELETE_COMPLETE',
    );
    if (!stack) throw new Ec2ApiError('ValidationError', `Stack with id ${input.StackName} does not exist`);
    return { Stacks: [structuredClone(stack)] };
  }
}
