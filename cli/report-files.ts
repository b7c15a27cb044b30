/**
 * `plan --all-regions --report DIR`: the audit's CSV and HTML reports (handlers/core/report/) written as
 * DIR/audit.csv and DIR/audit.html. The directory is checked before the audit starts, so a long audit is not lost
 * to a typo; each file is written under a temporary name and renamed into place, so a reader never sees half a
 * report and a failed write leaves the previous one as it was.
 */
import { constants as fsConstants } from 'node:fs';
import { access, mkdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join, resolve, sep } from 'node:path';
import type { AuditResult } from '../handlers/core/audit.ts';
import { InvalidInputError } from '../handlers/core/errors.ts';
import { renderAuditCsv } from '../handlers/core/report/csv.ts';
import { renderAuditHtml } from '../handlers/core/report/html.ts';

export const REPORT_FILES = { csv: 'audit.csv', html: 'audit.html' } as const;

export type ReportPaths = Record<keyof typeof REPORT_FILES, string>;

function cannotWrite(path: string, error: unknown): InvalidInputError {
  const code = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
  return new InvalidInputError([`Cannot write the report ${path} (--report): ${code}.`]);
}

/**
 * `mkdir -p`, one level at a time: Node 20's `mkdir(…, { recursive: true })` never settles for a path under /proc
 * (it retries ENOENT forever), where this fails at once.
 */
async function makeDirectories(path: string): Promise<void> {
  const parts = path.split(sep).filter(Boolean);
  for (let depth = 1; depth <= parts.length; depth++) {
    try {
      await mkdir(`${sep}${parts.slice(0, depth).join(sep)}`);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
  }
}

/** Makes the directory if needed and checks it can be written: before the audit, so nothing is read in vain. */
export async function prepareReportDir(dir: string): Promise<string> {
  const absolute = resolve(dir);
  try {
    await makeDirectories(absolute);
    if (!(await stat(absolute)).isDirectory()) throw new Error('not a directory');
    await access(absolute, fsConstants.W_OK);
  } catch (error) {
    throw cannotWrite(dir, error);
  }
  return absolute;
}

/**
 * Writes both reports: each to a temporary file in the same directory (so the rename is atomic), then both renamed
 * into place. A failure removes the temporary files and names the path (invalid input: exit 2).
 */
export async function writeReports(dir: string, result: AuditResult, generatedAt: Date): Promise<ReportPaths> {
  const paths: ReportPaths = { csv: join(dir, REPORT_FILES.csv), html: join(dir, REPORT_FILES.html) };
  const contents: ReportPaths = {
    csv: renderAuditCsv(result),
    html: renderAuditHtml(result, { generatedAt }),
  };
  const suffix = `.${process.pid}.${Date.now()}.tmp`;
  const kinds = Object.keys(paths) as (keyof ReportPaths)[];
  const temporary = (kind: keyof ReportPaths) => `${paths[kind]}${suffix}`;
  let failedAt = dir;
  try {
    // A name taken by something other than a file fails here, before either report replaces its predecessor.
    for (const kind of kinds) {
      failedAt = paths[kind];
      const existing = await stat(paths[kind]).catch(() => undefined);
      if (existing && !existing.isFile())
        throw new Error(existing.isDirectory() ? 'a directory is in the way' : 'not a regular file');
    }
    for (const kind of kinds) {
      failedAt = paths[kind];
      await writeFile(temporary(kind), contents[kind], { flag: 'wx', mode: 0o644 });
    }
    for (const kind of kinds) {
      failedAt = paths[kind];
      await rename(temporary(kind), paths[kind]);
    }
  } catch (error) {
    await Promise.all(kinds.map((kind) => rm(temporary(kind), { force: true })));
    throw cannotWrite(failedAt, error);
  }
  return paths;
}
