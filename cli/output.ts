/**
 * Writing results: atomically (a temporary file, then rename), never over an
 * existing file without --force, and to stdout when no path is given.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { CliError } from './errors.js';

/**
 * Checks, before any work is done, that every output path can be written:
 * its folder exists, it is not a folder, and it does not exist unless `force`.
 */
export function checkOutputs(paths: (string | undefined)[], force: boolean): void {
  const seen = new Set<string>();
  for (const path of paths) {
    if (path === undefined || path === '-') continue;
    if (seen.has(path)) throw new CliError(`${path} is given as two outputs`);
    seen.add(path);
    const folder = dirname(path);
    if (!existsSync(folder) || !statSync(folder).isDirectory()) throw new CliError(`cannot write ${path}: folder ${folder} does not exist`);
    if (existsSync(path)) {
      if (statSync(path).isDirectory()) throw new CliError(`cannot write ${path}: it is a folder`);
      if (!force) throw new CliError(`${path} already exists; use --force to replace it`);
    }
  }
}

/** Writes the whole content to a temporary file beside `path`, then renames it into place. */
export function writeAtomic(path: string, content: string | Uint8Array): void {
  const temporary = join(dirname(path), `.${basename(path)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  try {
    writeFileSync(temporary, content);
    renameSync(temporary, path);
  } catch (error) {
    rmSync(temporary, { force: true });
    throw new CliError(`cannot write ${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`, 1);
  }
}

/** Writes to `path`, or to stdout when it is undefined or "-". */
export function emit(path: string | undefined, content: string | Uint8Array): void {
  if (path === undefined || path === '-') process.stdout.write(content);
  else writeAtomic(path, content);
}

/** Formats rows as CSV with a header; numbers keep full precision (shortest round trip). */
export function toCsv(header: string[], rows: ArrayLike<ArrayLike<number | string>> | (number | string)[][]): string {
  const quote = (v: string) => (/[",\n\r]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v);
  const lines = [header.map(quote).join(',')];
  for (let i = 0; i < rows.length; i++) {
    const row = rows[i];
    const cells: string[] = [];
    for (let j = 0; j < row.length; j++) cells.push(typeof row[j] === 'string' ? quote(row[j] as string) : String(row[j]));
    lines.push(cells.join(','));
  }
  return `${lines.join('\n')}\n`;
}
