/**
 * The mark of a stripped default group (CIS 5.4: "DO NOT USE. DO NOT ADD RULES" where the console shows the group's
 * name, the `Name` tag) and what a rollback writes back: only the keys the strip wrote, only while they hold its values.
 */
import { describe, expect, it } from 'vitest';
import {
  isMarked,
  MARK_TEXT,
  markTags,
  markValue,
  missingMark,
  STATUS_TAG,
  strippedBy,
  unmark,
} from '../../../handlers/core/marker.ts';

const ID = 'rem-2024_05-01';
const mark = markTags(ID);

describe('the mark', () => {
  it('is the CIS 5.4 text as the Name, and the status tag naming the remediation', () => {
    expect(mark).toEqual([
      { Key: 'Name', Value: 'DO NOT USE. DO NOT ADD RULES' },
      {
        Key: 'default-sg-remediation:status',
        Value: `DO NOT USE. DO NOT ADD RULES. Stripped by default-sg-remediation ${ID}`,
      },
    ]);
    expect(strippedBy(markValue(ID))).toBe(ID);
    expect(isMarked(mark)).toBe(true);
  });

  it('keeps to the tag characters every AWS service accepts, within EC2’s lengths, for the longest remediation id', () => {
    const longest = markTags('r'.repeat(80));
    for (const tag of longest) {
      expect(tag.Key).toMatch(/^[\p{L}\p{N} +\-=._:/@]{1,127}$/u);
      expect(tag.Value).toMatch(/^[\p{L}\p{N} +\-=._:/@]{0,256}$/u);
    }
  });

  it('a status value the strip does not write names no remediation', () => {
    expect(strippedBy('stripped by hand')).toBeUndefined();
    expect(strippedBy(`${markValue(ID)} and more`)).toBeUndefined();
    expect(isMarked([{ Key: 'Name', Value: MARK_TEXT }])).toBe(false);
  });

  it('is written whole when any of it is missing (one request the IAM grant allows), and not again (I5)', () => {
    expect(missingMark(undefined, ID)).toEqual(mark);
    expect(missingMark([{ Key: 'Name', Value: MARK_TEXT }], ID)).toEqual(mark);
    expect(missingMark([...mark, { Key: 'team', Value: 'web' }], ID)).toEqual([]);
    // Another remediation's mark is replaced by this one's.
    expect(missingMark(markTags('rem-older'), ID)).toEqual(mark);
  });
});

describe('unmark: back to the snapshot, for the mark’s keys only', () => {
  it('deletes what the strip added (with its value, so DeleteTags spares a newer one) and restores what it replaced', () => {
    const before = [
      { Key: 'Name', Value: 'legacy default' },
      { Key: 'team', Value: 'web' },
    ];
    const live = [{ Key: 'team', Value: 'web' }, ...mark];
    expect(unmark(live, before, ID)).toEqual({
      restore: [{ Key: 'Name', Value: 'legacy default' }],
      remove: [mark[1]],
      foreign: [],
    });
  });

  it('nothing to do when the live tags are the snapshot’s (a rejected run, a re-run)', () => {
    expect(unmark(undefined, undefined, ID)).toEqual({ restore: [], remove: [], foreign: [] });
    expect(unmark([{ Key: 'Name', Value: 'x' }], [{ Key: 'Name', Value: 'x' }], ID)).toEqual({
      restore: [],
      remove: [],
      foreign: [],
    });
  });

  it('a key someone changed after the strip is left as it is, and said', () => {
    const live = [
      { Key: 'Name', Value: 'renamed by hand' },
      { Key: STATUS_TAG, Value: markValue(ID) },
    ];
    expect(unmark(live, [], ID)).toEqual({ restore: [], remove: [mark[1]], foreign: ['Name'] });
    expect(unmark([], [], ID)).toEqual({ restore: [], remove: [], foreign: [] });
    expect(unmark([mark[0] as (typeof mark)[0]], [{ Key: 'Name', Value: 'old' }], 'rem-other')).toEqual({
      restore: [{ Key: 'Name', Value: 'old' }],
      remove: [],
      foreign: [],
    });
  });

  it('a group stripped twice: rolling back the second run puts the first run’s mark back', () => {
    const first = markTags('rem-first');
    expect(unmark(mark, first, ID)).toEqual({ restore: [first[1]], remove: [], foreign: [] });
  });
});
