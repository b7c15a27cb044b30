/**
 * The mark a stripped default group carries, and how a rollback takes it off again.
 *
 * CIS AWS Foundations Benchmark 5.4 (remediation, step 6.6, in ../shared/reference/): once the default groups of every
 * VPC are fixed, "edit the name field" and add a text such as "DO NOT USE. DO NOT ADD RULES". A default group's own
 * name is always `default` and cannot change (CreateSecurityGroup reserves it; there is no rename call), so the name
 * the console shows is the `Name` tag: the strip sets it to that text and adds a tag of this project's namespace that
 * says which remediation stripped it — the key the watcher looks for. The tags the group had are in the snapshot
 * (the inventory's default group, as DescribeSecurityGroups answered it), so a rollback puts back exactly those.
 *
 * Tag values keep to the characters every AWS service accepts in tags (letters, digits, spaces and `+ - = . _ : / @`,
 * https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/Using_Tags.html#tag-restrictions), so tag policies and other
 * tools that copy tags do not choke on them.
 */
import type { Tag } from './ec2-shapes.ts';

/** CIS 5.4's words, the value of the `Name` tag of a stripped default group. */
export const MARK_TEXT = 'DO NOT USE. DO NOT ADD RULES';

/** The project's tag on a stripped default group; its value names the remediation (see {@link markValue}). */
export const STATUS_TAG = 'default-sg-remediation:status';

/** The keys the strip writes and a rollback restores: nothing else of the group's tags is touched. */
export const MARK_KEYS = ['Name', STATUS_TAG] as const;

const STRIPPED_BY = 'Stripped by default-sg-remediation';

/** `DO NOT USE. DO NOT ADD RULES. Stripped by default-sg-remediation <id>`. */
export function markValue(remediationId: string): string {
  return `${MARK_TEXT}. ${STRIPPED_BY} ${remediationId}`;
}

/** The remediation a status tag value names; undefined when the value is not one the strip writes. */
export function strippedBy(statusValue: string | undefined): string | undefined {
  const match = /^DO NOT USE\. DO NOT ADD RULES\. Stripped by default-sg-remediation ([A-Za-z0-9_-]{1,80})$/.exec(
    statusValue ?? '',
  );
  return match?.[1];
}

/** The tags the strip of `remediationId` puts on the default group. */
export function markTags(remediationId: string): Required<Tag>[] {
  return [
    { Key: 'Name', Value: MARK_TEXT },
    { Key: STATUS_TAG, Value: markValue(remediationId) },
  ];
}

/** The value of `key` among `tags`; undefined when the key is not there. */
export function tagValue(tags: readonly Tag[] | undefined, key: string): string | undefined {
  return tags?.find((tag) => tag.Key === key)?.Value;
}

/** Whether the group carries the project's status tag (whichever remediation wrote it). */
export function isMarked(tags: readonly Tag[] | undefined): boolean {
  return strippedBy(tagValue(tags, STATUS_TAG)) !== undefined;
}

/**
 * What the strip still has to write (I5): the whole mark (both tags, one request, as the strip's IAM grant requires
 * them) when the group lacks any of it, else nothing.
 */
export function missingMark(live: readonly Tag[] | undefined, remediationId: string): Required<Tag>[] {
  const mark = markTags(remediationId);
  return mark.every((tag) => tagValue(live, tag.Key) === tag.Value) ? [] : mark;
}

export interface Unmark {
  /** Tags to write back: keys whose value before the strip the mark replaced. */
  restore: Required<Tag>[];
  /** Tags to delete, each with the value the strip wrote (DeleteTags then deletes it only while it still has it). */
  remove: Required<Tag>[];
  /** Keys someone else changed since (neither the snapshot's value nor the mark's): left as they are, and said. */
  foreign: string[];
}

/**
 * What puts the mark's keys back as the snapshot had them. Only a key that still holds the value this remediation
 * wrote is changed; a key that already has the snapshot's value needs nothing; any other value was set by someone
 * else after the snapshot and is kept (reported in `foreign`), as foreign rules on the default group are.
 */
export function unmark(
  live: readonly Tag[] | undefined,
  before: readonly Tag[] | undefined,
  remediationId: string,
): Unmark {
  const result: Unmark = { restore: [], remove: [], foreign: [] };
  for (const mark of markTags(remediationId)) {
    const now = tagValue(live, mark.Key);
    const then = tagValue(before, mark.Key);
    if (now === then) continue;
    if (now !== mark.Value) {
      result.foreign.push(mark.Key);
      continue;
    }
    if (then === undefined) result.remove.push(mark);
    else result.restore.push({ Key: mark.Key, Value: then });
  }
  return result;
}
