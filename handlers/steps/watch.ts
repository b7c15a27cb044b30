/**
 * The watcher (deployed behind the `watch` switch, infra/constructs/watcher.ts): an EventBridge rule hands it the
 * CloudTrail record of every successful EC2 call that adds a rule to a group or puts a group on an interface
 * (infra/patterns.ts WATCH_PATTERN). It reads the groups the call touched in the call's account and region, and for
 * each default group that carries the strip's mark (core/marker.ts) publishes a notice naming the call and its caller
 * and offering the remediation again (core/watch.ts). Calls made by this deployment's own roles are the workflow's
 * (a rollback moving interfaces back, a new run adding twins) and are not reported.
 */
import * as z from 'zod';
import {
  type CloudTrailCall,
  groupsTouched,
  isOwnCall,
  isRuleCall,
  isWatchedCall,
  type OwnRoles,
  type StrippedGroup,
  strippedGroups,
  watchNotice,
} from '../core/watch.ts';
import type { Ec2Port } from '../ports.ts';
import { parseInput } from './common.ts';
import type { Deps } from './deps.ts';
import { describeGroups, readGroups } from './ec2-ops.ts';
import { REMEDIATION_TAG } from './migrate.ts';

const accountId = z.string().regex(/^\d{12}$/);
const region = z.string().regex(/^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d{1,2}$/);
const short = (max: number) => z.string().max(max);

const identitySchema = z.looseObject({
  type: short(64).optional(),
  arn: short(2048).optional(),
  accountId: short(64).optional(),
  principalId: short(512).optional(),
  userName: short(512).optional(),
  invokedBy: short(256).optional(),
  sessionContext: z
    .looseObject({
      sessionIssuer: z
        .looseObject({
          type: short(64).optional(),
          arn: short(2048).optional(),
          userName: short(512).optional(),
          accountId: short(64).optional(),
        })
        .optional(),
    })
    .optional(),
});

/**
 * An "AWS API Call via CloudTrail" event of EC2 (https://docs.aws.amazon.com/eventbridge/latest/ref/events-ref-ec2.html):
 * the envelope's account and region, and the CloudTrail record as `detail`.
 */
const eventSchema = z.object({
  source: z.literal('aws.ec2'),
  'detail-type': z.literal('AWS API Call via CloudTrail'),
  account: accountId,
  region,
  detail: z.looseObject({
    eventSource: z.literal('ec2.amazonaws.com'),
    eventName: short(128),
    eventTime: short(64).optional(),
    eventID: short(128).optional(),
    awsRegion: region,
    recipientAccountId: accountId.optional(),
    sourceIPAddress: short(512).optional(),
    userAgent: short(2048).optional(),
    errorCode: short(256).optional(),
    userIdentity: identitySchema.optional(),
    requestParameters: z.unknown().optional(),
    responseElements: z.unknown().optional(),
  }),
});

/** This deployment's role names, from the watcher function's environment (infra/remediation-stack.ts sets them). */
export function ownRolesFromEnv(env: NodeJS.ProcessEnv): OwnRoles {
  return {
    ...(env.REMEDIATION_ACCOUNT_ID ? { remediationAccountId: env.REMEDIATION_ACCOUNT_ID } : {}),
    ...(env.MEMBER_ROLE_PREFIX ? { memberRolePrefix: env.MEMBER_ROLE_PREFIX } : {}),
  };
}

/** The copy the remediation made of the group (found by its remediation tag, as the rollback finds it), if any. */
async function findCopy(
  ec2: Ec2Port,
  group: StrippedGroup,
): Promise<{ groupId: string; groupName?: string } | undefined> {
  if (!group.vpcId) return undefined;
  const [copy] = await describeGroups(ec2, [
    { Name: 'vpc-id', Values: [group.vpcId] },
    { Name: `tag:${REMEDIATION_TAG}`, Values: [group.remediationId] },
  ]);
  return copy?.GroupId
    ? { groupId: copy.GroupId, ...(copy.GroupName ? { groupName: copy.GroupName } : {}) }
    : undefined;
}

export interface WatchOutput {
  notified: string[];
  /** Why nothing was sent, when nothing was. */
  ignored?: string;
}

/** "Watch the stripped default groups": one CloudTrail record in, a notice per stripped default group it touched. */
export async function watch(raw: unknown, deps: Deps, own: OwnRoles = {}): Promise<WatchOutput> {
  const event = parseInput(eventSchema, raw);
  const call = event.detail as CloudTrailCall;
  if (call.errorCode) return { notified: [], ignored: `the call failed (${call.errorCode})` };
  if (!isWatchedCall(call.eventName)) return { notified: [], ignored: `${call.eventName} is not watched` };
  if (isOwnCall(call.userIdentity, own)) return { notified: [], ignored: "made by this deployment's own role" };
  const touched = groupsTouched(call);
  if (touched.length === 0) return { notified: [], ignored: 'the call names no security group' };
  const target = { accountId: call.recipientAccountId ?? event.account, region: call.awsRegion };
  const ec2 = deps.ec2(target);
  const groups = await readGroups(ec2, touched);
  const stripped = strippedGroups([...groups.values()]);
  if (stripped.length === 0) return { notified: [], ignored: 'no stripped default group among the groups it touched' };
  for (const group of stripped) {
    const copy = isRuleCall(call.eventName) ? undefined : await findCopy(ec2, group);
    await deps.notifier.publish(watchNotice(call, target.accountId, group, copy));
    deps.log.warn('stripped default group changed', {
      groupId: group.groupId,
      remediationId: group.remediationId,
      eventName: call.eventName,
      eventID: call.eventID,
    });
  }
  return { notified: stripped.map((group) => group.groupId) };
}
