/**
 * Reads a data table for the CLI: CSV/TSV (and other delimited text), JSON,
 * Parquet and Arrow IPC, from a file or stdin. Every problem with the input is
 * a one-line CliError that names the file, and the line (or row) and column at
 * fault.
 *
 * Column rules, the same for every format:
 * - without `columns`, every column except the weights and labels columns is a
 *   candidate feature; a candidate that is not numeric (judged from the first
 *   data row for text formats, from the schema for Parquet and Arrow) is left
 *   out with a note;
 * - with `columns`, exactly those columns are used, in that order, and any cell
 *   in them that is not a number is an error;
 * - a missing value (an empty cell, NaN, NA, N/A, null, None; null or NaN in
 *   binary formats) in a feature is read as NaN, which the library marginalizes;
 *   an infinite value is an error, and so is a missing weight.
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { extname } from 'node:path';
// The format libraries load only when a file needs them: the command starts in a fraction of the time.
import type { Table as ArrowTable } from 'apache-arrow';
import type { FileMetaData, SchemaElement } from 'hyparquet';
import type { Matrix } from '../src/types.js';
import { CliError } from './errors.js';

export interface TableOptions {
  /** Features to use, by header name (or 1-based index as a string like "2"); default: all numeric columns. */
  columns?: string[];
  /** A column holding per-row sample weights (excluded from features). */
  weightsColumn?: string;
  /** A column read as strings and returned in `labels` (excluded from features). */
  labelsColumn?: string;
  /**
   * Where a large file's matrix is allocated, once its line count is known
   * (`rows` is an upper bound; the table's matrix may be a view of its first
   * rows): the command passes the worker pool's `allocateMatrix`, whose
   * workers then read the rows in place. Default: a new Float64Array.
   */
  allocate?: (rows: number, cols: number) => Float64Array;
}

export interface Table {
  /** n × d features, row-major. */
  matrix: Matrix;
  /** Feature names: header names, or "x1", "x2", … without a header. */
  columns: string[];
  weights: Float64Array | null;
  labels: (string | null)[] | null;
  /** Things the user should know, e.g. 'column "species" is not numeric and was left out'. */
  notes: string[];
  /** The path as given, or "stdin". */
  source: string;
}

type Format = 'delimited' | 'json' | 'parquet' | 'arrow';

const SUPPORTED = 'supported formats: CSV, TSV, JSON, Parquet, Arrow';
/** Cell texts taken as missing values (compared lower-cased and trimmed), besides an empty cell. */
const MISSING_TOKENS = new Set(['nan', '-nan', '+nan', 'na', 'n/a', '#n/a', 'null', 'none']);
/** Cell texts of infinite values: an error, since a point at infinity has no density. */
const INFINITE_TOKENS = new Set(['inf', '+inf', '-inf', 'infinity', '+infinity', '-infinity']);
/** Bytes read from each stdin stream, so that reading "-" twice gives the same data. */
const stdinCache = new WeakMap<object, Buffer>();

/**
 * Reads a table of numbers from `path` (`-` for stdin). The format comes from
 * the extension (.csv .tsv .txt, .json, .parquet, .arrow .feather .ipc), or is
 * sniffed from the content for stdin and other extensions.
 */
export async function readTable(
  path: string,
  options: TableOptions = {},
  stdin: NodeJS.ReadableStream = process.stdin,
  streaming: Streaming = STREAMING,
): Promise<Table> {
  const source = path === '-' ? 'stdin' : path;
  if (path !== '-') {
    const table = readLargeDelimited(path, options, streaming);
    if (table !== null) return table;
  }
  const bytes = path === '-' ? await readStdin(stdin) : await readBytes(path);
  if (bytes.length === 0) throw new CliError(`${source} is empty`);
  const format = formatOf(path, bytes);
  switch (format) {
    case 'parquet':
      return readParquet(bytes, source, options);
    case 'arrow':
      return readArrow(bytes, source, options);
    case 'json':
      return readJson(decodeText(bytes, source), source, options);
    case 'delimited':
      return readDelimited(bytes, source, extname(path).toLowerCase() === '.tsv', options);
  }
}

/** When delimited files are read in chunks instead of whole. */
export interface Streaming {
  /** Files of at least this many bytes are read in chunks. */
  fromBytes: number;
  /** Bytes per read. */
  chunkBytes: number;
}

const STREAMING: Streaming = { fromBytes: 32 * 1024 * 1024, chunkBytes: 8 * 1024 * 1024 };

/**
 * A large delimited file without quotes, read in chunks: one pass counts the
 * lines (the matrix is then allocated once, at its final size) and makes
 * sure there are no quotes; a second pass parses the lines chunk by chunk
 * into the matrix. So the file is never in memory whole: reading needs the
 * matrix plus one chunk. Returns null when the file is small, not delimited
 * text, quoted or space-separated, or cannot be opened: the whole-file path
 * then reads it (and reports any error).
 */
export function readLargeDelimited(path: string, options: TableOptions, streaming: Streaming): Table | null {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch {
    return null;
  }
  try {
    const size = fstatSync(fd).size;
    if (size < streaming.fromBytes) return null;
    const readAt = (into: Buffer, at: number, offset: number) => readSync(fd, into, at, into.length - at, offset);
    // The first chunk is read on until it holds the first two non-blank lines (which decide
    // the delimiter and the header) and a third line start, however small the chunks.
    let buf = Buffer.allocUnsafe(Math.max(1, streaming.chunkBytes));
    let filled = readAt(buf, 0, 0);
    while (filled < size && completeLines(buf.subarray(0, filled)) < 3) {
      if (buf.length >= 16 * 1024 * 1024) return null;
      const wider = Buffer.allocUnsafe(buf.length * 2);
      buf.copy(wider, 0, 0, filled);
      buf = wider;
      const got = readAt(buf, filled, filled);
      if (got <= 0) break;
      filled += got;
    }
    const first = buf.subarray(0, filled);
    if (formatOf(path, first) !== 'delimited') return null;
    const start = checkText(first, path);
    // Pass 1: lines, and quotes (which need the whole-file reader).
    let lineCount = 1;
    const scratch = Buffer.allocUnsafe(Math.max(1, streaming.chunkBytes));
    for (let offset = 0; offset < size; ) {
      const chunk = offset === 0 ? first : scratch.subarray(0, readAt(scratch, 0, offset));
      if (chunk.length === 0) break;
      if (chunk.indexOf(0x22 /* " */) >= 0) return null;
      for (let p = chunk.indexOf(0x0a); p >= 0; p = chunk.indexOf(0x0a, p + 1)) lineCount++;
      offset += chunk.length;
    }
    // The first two non-blank lines decide the delimiter; they must lie in the first chunk.
    const firstLines: string[] = [];
    for (let pos = start; pos < filled && firstLines.length < 2; ) {
      const end = first.indexOf(0x0a, pos);
      if (end < 0) return null;
      const text = first.toString('utf8', pos, end).trim();
      if (text !== '') firstLines.push(text);
      pos = end + 1;
    }
    if (firstLines.length < 2) return null;
    const delimiter = extname(path).toLowerCase() === '.tsv' ? '\t' : sniffDelimiter(firstLines[0], firstLines[1], true);
    if (delimiter === ' ') return null;
    // Pass 2: the first records as text (header and column plan), then the fast loop chunk by chunk.
    const records = function* (): Generator<TextRecord> {
      let line = 0;
      for (let pos = start; pos < filled; ) {
        line++;
        const end = first.indexOf(0x0a, pos);
        if (end < 0) return; // a partial line: the fast loop reads on from the one before it
        const text = first.toString('utf8', pos, end);
        pos = end + 1;
        if (isBlank(text)) continue;
        yield [text.replace(/\r$/, '').split(delimiter), line, pos];
      }
    };
    const code = delimiter.charCodeAt(0);
    let offset = filled;
    const fill: Filler = (next, line, sink) => {
      let pos = next;
      for (;;) {
        if (offset >= size) {
          fillBytes(buf, pos, line, sink, code, filled);
          return;
        }
        const lastLine = filled > 0 ? buf.lastIndexOf(0x0a, filled - 1) : -1;
        if (lastLine >= pos) {
          line = fillBytes(buf, pos, line, sink, code, lastLine + 1);
          pos = lastLine + 1;
        }
        // Keep the partial line at the front of a chunk-sized buffer (larger while a line is longer than that).
        const tail = filled - pos;
        const wanted = Math.max(streaming.chunkBytes, 2 * tail + 1);
        if (buf.length < 2 * tail + 1 || buf.length > wanted) {
          const next = Buffer.allocUnsafe(wanted);
          buf.copy(next, 0, pos, filled);
          buf = next;
        } else {
          buf.copyWithin(0, pos, filled);
        }
        filled = tail;
        pos = 0;
        const got = readAt(buf, filled, offset);
        if (got <= 0) offset = size;
        offset += got;
        filled += got;
      }
    };
    return fromRecords(records(), lineCount, path, options, fill);
  } finally {
    closeSync(fd);
  }
}

/** How many non-blank lines end (with a newline) in `bytes`, counting at most 3. */
function completeLines(bytes: Buffer): number {
  let lines = 0;
  for (let pos = 0, end = bytes.indexOf(0x0a); end >= 0 && lines < 3; pos = end + 1, end = bytes.indexOf(0x0a, pos)) {
    for (let i = pos; i < end; i++) {
      const b = bytes[i];
      if (b !== 0x20 && b !== 0x09 && b !== 0x0d) {
        lines++;
        break;
      }
    }
  }
  return lines;
}

// ---------------------------------------------------------------- bytes in

async function readBytes(path: string): Promise<Buffer> {
  try {
    return await readFile(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EISDIR') throw new CliError(`${path} is a directory, not a data file`);
    if (code === 'ENOENT') throw new CliError(`cannot read ${path}: no such file`);
    if (code === 'EACCES' || code === 'EPERM') throw new CliError(`cannot read ${path}: permission denied`);
    if (code === 'ERR_FS_FILE_TOO_LARGE') throw new CliError(`cannot read ${path}: the file is too large`);
    throw new CliError(`cannot read ${path}: ${oneLine((error as Error).message)}`);
  }
}

async function readStdin(stdin: NodeJS.ReadableStream): Promise<Buffer> {
  const cached = stdinCache.get(stdin);
  if (cached) return cached;
  if ((stdin as { isTTY?: boolean }).isTTY) {
    throw new CliError('the data file is "-" (stdin), but stdin is a terminal; pipe data in or give a file path');
  }
  const chunks: Buffer[] = [];
  try {
    for await (const chunk of stdin) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : Buffer.from(chunk));
  } catch (error) {
    throw new CliError(`cannot read stdin: ${oneLine((error as Error).message)}`);
  }
  const bytes = Buffer.concat(chunks);
  stdinCache.set(stdin, bytes);
  return bytes;
}

function formatOf(path: string, bytes: Buffer): Format {
  if (path !== '-') {
    switch (extname(path).toLowerCase()) {
      case '.csv':
      case '.tsv':
      case '.txt':
        return 'delimited';
      case '.json':
        return 'json';
      case '.parquet':
        return 'parquet';
      case '.arrow':
      case '.feather':
      case '.ipc':
        return 'arrow';
    }
  }
  // stdin, or an extension that says nothing: sniff.
  if (startsWith(bytes, 'PAR1')) return 'parquet';
  if (startsWith(bytes, 'ARROW1') || (bytes.length >= 4 && bytes.readUInt32LE(0) === 0xffffffff)) return 'arrow';
  let i = startsWith(bytes, '\uFEFF') ? 3 : 0;
  while (i < bytes.length && (bytes[i] === 0x20 || bytes[i] === 0x09 || bytes[i] === 0x0a || bytes[i] === 0x0d)) i++;
  if (bytes[i] === 0x5b /* [ */ || bytes[i] === 0x7b /* { */) return 'json';
  return 'delimited';
}

function startsWith(bytes: Buffer, magic: string): boolean {
  const m = Buffer.from(magic, 'utf8');
  return bytes.length >= m.length && bytes.subarray(0, m.length).equals(m);
}

/** Refuses UTF-16 and binary files, and files with nothing but whitespace. Returns where the text starts (after a BOM). */
function checkText(bytes: Buffer, source: string): number {
  if ((bytes[0] === 0xff && bytes[1] === 0xfe) || (bytes[0] === 0xfe && bytes[1] === 0xff)) {
    throw new CliError(`${source} is UTF-16 text; save it as UTF-8`);
  }
  if (bytes.subarray(0, 1024).includes(0)) {
    throw new CliError(`${source} is not a text data file (it contains binary bytes); ${SUPPORTED}`);
  }
  const start = bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? 3 : 0;
  let i = start;
  while (i < bytes.length && (bytes[i] === 0x20 || bytes[i] === 0x09 || bytes[i] === 0x0a || bytes[i] === 0x0d)) i++;
  if (i === bytes.length) throw new CliError(`${source} is empty`);
  return start;
}

/** Decodes a text file as UTF-8 (BOM dropped), refusing binary files. */
function decodeText(bytes: Buffer, source: string): string {
  const start = checkText(bytes, source);
  try {
    return bytes.toString('utf8', start);
  } catch {
    throw new CliError(`${source} is too large to read as text (${(bytes.length / 1e6).toFixed(0)} MB); convert it to Parquet or Arrow`);
  }
}

// ---------------------------------------------------------------- cells

function isBlank(cell: string): boolean {
  return cell.trim() === '';
}

function isMissingToken(cell: string): boolean {
  const token = cell.trim().toLowerCase();
  return MISSING_TOKENS.has(token) || INFINITE_TOKENS.has(token);
}

/** A cell read as a missing value (NaN): empty, or NaN, NA, N/A, null, None. */
function isMissingCell(cell: string): boolean {
  return isBlank(cell) || MISSING_TOKENS.has(cell.trim().toLowerCase());
}

/** A finite number written as text (not blank, not NaN or ±Infinity). */
function isNumberText(cell: string): boolean {
  const v = Number(cell);
  return v - v === 0 && !isBlank(cell);
}

/** A cell that reads as text, not a number and not a missing value. */
function isWordText(cell: string): boolean {
  return !isBlank(cell) && !isNumberText(cell) && !isMissingToken(cell);
}

/** Why a text cell is not a usable number. */
function textCellProblem(cell: string): string {
  if (isBlank(cell)) return 'empty cell (a weight cannot be missing)';
  if (isMissingCell(cell)) return `${quote(cell)} is a missing value (a weight cannot be missing)`;
  const v = Number(cell);
  if (INFINITE_TOKENS.has(cell.trim().toLowerCase()) || v === Infinity || v === -Infinity) return `${quote(cell)} is infinite; values must be finite`;
  return `${quote(cell)} is not a number`;
}

/** Why a JSON / Parquet / Arrow value is not a usable number (or null if it is one). */
function valueProblem(value: unknown): string | null {
  if (typeof value === 'number') {
    if (Number.isFinite(value)) return null;
    return Number.isNaN(value) ? 'NaN (a weight cannot be missing)' : `${String(value)} is infinite; values must be finite`;
  }
  if (typeof value === 'bigint') return null;
  if (value === null || value === undefined) return 'null (a weight cannot be missing)';
  if (typeof value === 'string') return `${quote(value)} is not a number`;
  return `${shortJson(value)} is not a number`;
}

/** Quotes a cell for a message, one line and not too long. */
function quote(text: string): string {
  return JSON.stringify(text.length > 40 ? `${text.slice(0, 40)}…` : text);
}

function shortJson(value: unknown): string {
  let text: string;
  try {
    text = JSON.stringify(value, (_key, v: unknown) => (typeof v === 'bigint' ? v.toString() : v)) ?? String(value);
  } catch {
    text = String(value);
  }
  return text.length > 40 ? `${text.slice(0, 40)}…` : text;
}

function oneLine(text: string): string {
  return text.replace(/\s*\n\s*/g, ' ').trim();
}

// ---------------------------------------------------------------- columns

interface Plan {
  /** Indices of the feature columns, in order. */
  features: number[];
  weights: number;
  labels: number;
  notes: string[];
}

/**
 * Chooses feature, weights and labels columns by the options.
 * `numeric(j)` says whether an unselected column can be a feature.
 */
function planColumns(source: string, names: string[], options: TableOptions, numeric: (j: number) => boolean, trailing = -1): Plan {
  const resolve = (name: string, what: string): number => {
    const exact = names.indexOf(name);
    if (exact >= 0) return exact;
    if (/^\d+$/.test(name)) {
      const k = Number(name);
      if (k >= 1 && k <= names.length) return k - 1;
    }
    const list = names.length > 30 ? `${names.slice(0, 30).join(', ')}, … (${names.length} in all)` : names.join(', ');
    throw new CliError(`${source} has no column ${quote(name)}${what}; its columns are: ${list}`);
  };
  const weights = options.weightsColumn === undefined ? -1 : resolve(options.weightsColumn, ' (the weights column)');
  const labels = options.labelsColumn === undefined ? -1 : resolve(options.labelsColumn, ' (the labels column)');
  if (weights >= 0 && weights === labels) {
    throw new CliError(`${source}: column ${quote(names[weights])} cannot be both the weights and the labels column`);
  }
  const notes: string[] = [];
  const features: number[] = [];
  if (options.columns !== undefined) {
    if (options.columns.length === 0) throw new CliError(`${source}: no columns were selected`);
    for (const name of options.columns) {
      const j = resolve(name, '');
      if (j === weights) throw new CliError(`${source}: column ${quote(names[j])} is the weights column and cannot also be a feature`);
      if (j === labels) throw new CliError(`${source}: column ${quote(names[j])} is the labels column and cannot also be a feature`);
      if (features.includes(j)) throw new CliError(`${source}: column ${quote(names[j])} is selected twice`);
      features.push(j);
    }
  } else {
    for (let j = 0; j < names.length; j++) {
      if (j === weights || j === labels) continue;
      if (j === trailing) notes.push(`the last column has no name and no value (a trailing delimiter?) and was left out`);
      else if (numeric(j)) features.push(j);
      else notes.push(`column ${quote(names[j])} is not numeric and was left out`);
    }
    if (features.length === 0) {
      throw new CliError(
        names.length === 0 ? `${source} has no columns` : `${source} has no numeric columns to use (columns: ${names.join(', ')})`,
      );
    }
  }
  return { features, weights, labels, notes };
}

/** Collects rows into the matrix, weights and labels as they are read. */
class Collector {
  readonly d: number;
  rows = 0;
  data: Float64Array;
  weights: Float64Array | null;
  labels: (string | null)[] | null;

  constructor(
    readonly plan: Plan,
    capacity: number,
    allocate?: (rows: number, cols: number) => Float64Array,
  ) {
    this.d = plan.features.length;
    this.data = allocate?.(Math.max(1, capacity), this.d) ?? new Float64Array(Math.max(1, capacity) * this.d);
    this.weights = plan.weights >= 0 ? new Float64Array(Math.max(1, capacity)) : null;
    this.labels = plan.labels >= 0 ? [] : null;
  }

  table(source: string, names: string[]): Table {
    const n = this.rows;
    // The capacity is the line count, so a header and a final newline leave a
    // few rows spare: a view then, not a second copy of the whole matrix.
    const spare = this.data.length - n * this.d;
    const data = spare === 0 ? this.data : spare <= 64 * this.d ? this.data.subarray(0, n * this.d) : this.data.slice(0, n * this.d);
    const weights = this.weights && (this.weights.length === n ? this.weights : this.weights.slice(0, n));
    if (weights) {
      let sum = 0;
      for (let i = 0; i < n; i++) sum += weights[i];
      if (!(sum > 0)) throw new CliError(`${source}: the weights in column ${quote(names[this.plan.weights])} are all 0; at least one must be positive`);
    }
    return {
      matrix: { rows: n, cols: this.d, data },
      columns: this.plan.features.map((j) => names[j]),
      weights,
      labels: this.labels,
      notes: this.plan.notes,
      source,
    };
  }
}

// ---------------------------------------------------------------- delimited text

/**
 * Picks the delimiter from the first line: the most frequent of tab, comma and
 * semicolon; failing those, runs of spaces when the first two lines both have
 * two or more space-separated fields; else comma (a single column).
 */
function sniffDelimiter(firstLine: string, secondLine: string, allowSpaces: boolean): string {
  let best = ',';
  let bestCount = 0;
  for (const candidate of ['\t', ',', ';']) {
    const count = firstLine.split(candidate).length - 1;
    if (count > bestCount) {
      best = candidate;
      bestCount = count;
    }
  }
  const spaced = /\S +\S/;
  if (bestCount === 0 && allowSpaces && spaced.test(firstLine) && spaced.test(secondLine)) return ' ';
  return best;
}

/** One record of delimited text: its fields, its 1-based line, and where the next record starts. */
type TextRecord = [fields: string[], line: number, next: number];
/** Fills in the records after the first ones, from position `next` (after line `line`). */
type Filler = (next: number, line: number, sink: RowSink) => void;

async function readDelimited(bytes: Buffer, source: string, tsv: boolean, options: TableOptions): Promise<Table> {
  const start = checkText(bytes, source);
  const quoted = bytes.indexOf(0x22 /* " */, start) >= 0;
  // The first non-blank lines decide the delimiter.
  const firstLines: string[] = [];
  for (let pos = start; pos < bytes.length && firstLines.length < 2; ) {
    let end = bytes.indexOf(0x0a, pos);
    if (end < 0) end = bytes.length;
    const text = bytes.toString('utf8', pos, end).trim();
    if (text !== '') firstLines.push(text);
    pos = end + 1;
  }
  const delimiter = tsv ? '\t' : sniffDelimiter(firstLines[0], firstLines[1] ?? '', !quoted);

  if (quoted) return readQuoted(decodeText(bytes, source), source, delimiter, options);
  if (delimiter === ' ') return readSpaced(decodeText(bytes, source), source, options);

  // Fast path: no quotes, so every line is one record; cells are parsed from the bytes.
  let lineCount = 1;
  for (let p = bytes.indexOf(0x0a, start); p >= 0; p = bytes.indexOf(0x0a, p + 1)) lineCount++;
  const records = function* (): Generator<TextRecord> {
    let line = 0;
    for (let pos = start; pos < bytes.length; ) {
      line++;
      let end = bytes.indexOf(0x0a, pos);
      if (end < 0) end = bytes.length;
      const text = bytes.toString('utf8', pos, end);
      pos = end + 1;
      if (isBlank(text)) continue;
      yield [text.replace(/\r$/, '').split(delimiter), line, pos];
    }
  };
  const code = delimiter.charCodeAt(0);
  return fromRecords(records(), lineCount, source, options, (next, line, sink) => fillBytes(bytes, next, line, sink, code));
}

/** Whitespace-separated text without quotes (a .txt file of numbers, say). */
function readSpaced(text: string, source: string, options: TableOptions): Table {
  const lines = text.split('\n');
  const records = function* (): Generator<TextRecord> {
    for (let i = 0; i < lines.length; i++) {
      const line = lines[i].trim();
      if (line !== '') yield [line.split(/[ \t]+/), i + 1, i + 1];
    }
  };
  return fromRecords(records(), lines.length, source, options, null);
}

/** Text with quotes somewhere: csv-parse handles them. */
async function readQuoted(text: string, source: string, delimiter: string, options: TableOptions): Promise<Table> {
  const { parse: parseCsv } = await import('csv-parse/sync');
  let parsed: string[][];
  try {
    parsed = parseCsv(text, {
      delimiter,
      relax_column_count: true,
      skip_empty_lines: false,
      record_delimiter: ['\r\n', '\n', '\r'],
    }) as string[][];
  } catch (error) {
    throw new CliError(`${source}: ${oneLine((error as Error).message)}`);
  }
  const records = function* (): Generator<TextRecord> {
    let line = 1;
    for (let r = 0; r < parsed.length; r++) {
      const record = parsed[r];
      const at = line;
      line += 1;
      for (const cell of record) for (let p = cell.indexOf('\n'); p >= 0; p = cell.indexOf('\n', p + 1)) line++;
      if (record.length === 1 && isBlank(record[0])) continue;
      yield [record, at, r + 1];
    }
  };
  return fromRecords(records(), parsed.length, source, options, null);
}

/** What a row filler needs: where rows go, and what error messages name. */
interface RowSink {
  collector: Collector;
  width: number;
  widthFrom: string;
  names: string[];
  source: string;
}

/**
 * Builds the table from records. The first one or two records decide the
 * header and the columns; the rest are filled in by `fastFill` when given
 * (from the second record's `next` position), else one by one.
 */
function fromRecords(
  records: Generator<TextRecord>,
  capacity: number,
  source: string,
  options: TableOptions,
  fastFill: Filler | null,
): Table {
  const first = records.next();
  if (first.done) throw new CliError(`${source} is empty`);
  const [fields1, line1] = first.value;
  const second = records.next();
  const fields2 = second.done ? null : second.value[0];

  const hasHeader = fields2
    ? fields1.some((cell, j) => j < fields2.length && isWordText(cell) && isNumberText(fields2[j]))
    : fields1.some(isWordText);
  if (hasHeader && !fields2) throw new CliError(`${source} has a header but no data rows`);

  const width = fields1.length;
  const names = hasHeader
    ? fields1.map((cell, j) => (isBlank(cell) ? `x${j + 1}` : cell.trim()))
    : fields1.map((_, j) => `x${j + 1}`);
  const firstData = hasHeader ? (fields2 as string[]) : fields1;
  const firstDataLine = hasHeader ? (second.value as TextRecord)[1] : line1;
  const trailing =
    width > 1 && (!hasHeader || isBlank(fields1[width - 1])) && isBlank(firstData[width - 1] ?? '') ? width - 1 : -1;
  const plan = planColumns(source, names, options, (j) => j < firstData.length && !isWordText(firstData[j]), trailing);
  const sink: RowSink = {
    collector: new Collector(plan, capacity, options.allocate),
    width,
    widthFrom: hasHeader ? 'the header' : `line ${line1}`,
    names,
    source,
  };

  addRow(sink, firstData, firstDataLine);
  if (!hasHeader && fields2) addRow(sink, fields2, (second.value as TextRecord)[1]);
  if (fastFill && !second.done) {
    fastFill(second.value[2], second.value[1], sink);
  } else {
    for (let r = records.next(); !r.done; r = records.next()) addRow(sink, r.value[0], r.value[1]);
  }
  return sink.collector.table(source, names);
}

function raggedError(sink: RowSink, fields: number, line: number): CliError {
  return new CliError(
    `${sink.source} line ${line} has ${fields} field${fields === 1 ? '' : 's'} but ${sink.width} were expected (as in ${sink.widthFrom})`,
  );
}

function cellError(sink: RowSink, line: number, j: number, cell: string, weight = false): CliError {
  const what = weight ? 'weights column' : 'column';
  return new CliError(`${sink.source} line ${line}, ${what} ${quote(sink.names[j])}: ${textCellProblem(cell)}`);
}

function addWeight(sink: RowSink, cell: string, line: number, row: number): void {
  const { collector } = sink;
  const j = collector.plan.weights;
  const v = Number(cell);
  if (!(v - v === 0) || isBlank(cell)) throw cellError(sink, line, j, cell, true);
  if (v < 0) throw new CliError(`${sink.source} line ${line}, weights column ${quote(sink.names[j])}: ${quote(cell)} is negative; weights must be ≥ 0`);
  (collector.weights as Float64Array)[row] = v;
}

function addLabel(sink: RowSink, cell: string): void {
  (sink.collector.labels as (string | null)[]).push(isMissingCell(cell) ? null : cell.trim());
}

/** A feature value from a JSON, Parquet or Arrow cell: null and NaN are missing (NaN); null if it is not a number. */
function featureValue(value: unknown): number | null {
  if (typeof value === 'number') return value - value === 0 || value !== value ? value : null;
  if (typeof value === 'bigint') return Number(value);
  if (value === null || value === undefined) return NaN;
  return null;
}

/** Adds one record (any path). */
function addRow(sink: RowSink, fields: string[], line: number): void {
  if (fields.length !== sink.width) throw raggedError(sink, fields.length, line);
  const c = sink.collector;
  const { features, weights, labels } = c.plan;
  const d = c.d;
  const row = c.rows;
  if (row * d + d > c.data.length) grow(c);
  const base = row * d;
  for (let k = 0; k < d; k++) {
    const cell = fields[features[k]];
    let v = +cell;
    if (!(v - v === 0) || (v === 0 && isBlank(cell))) {
      if (!isMissingCell(cell)) throw cellError(sink, line, features[k], cell);
      v = NaN;
    }
    c.data[base + k] = v;
  }
  if (weights >= 0) addWeight(sink, fields[weights], line, row);
  if (labels >= 0) addLabel(sink, fields[labels]);
  c.rows = row + 1;
}

function grow(c: Collector): void {
  const capacity = Math.max(16, 2 * Math.ceil(c.data.length / Math.max(1, c.d)));
  const data = new Float64Array(capacity * c.d);
  data.set(c.data);
  c.data = data;
  if (c.weights) {
    const weights = new Float64Array(capacity);
    weights.set(c.weights);
    c.weights = weights;
  }
}

/** Exact powers of ten for the number parser's fast case. */
const POW10 = Array.from({ length: 23 }, (_, i) => Number(`1e${i}`));

/**
 * Parses bytes [s, e) as a plain decimal number (`-12.5e3` and the like) when
 * the result is exact: at most 2^53 for the digits and a power of ten ≤ 22, so
 * one correctly rounded multiply or divide gives what `Number()` would. Any
 * other text gives NaN, and the caller falls back to `Number()`.
 */
function parseSimpleNumber(buf: Buffer, s: number, e: number): number {
  let i = s;
  let negative = false;
  let ch = buf[i];
  if (ch === 45 /* - */) {
    negative = true;
    i++;
  } else if (ch === 43 /* + */) {
    i++;
  }
  let m = 0;
  let digits = 0;
  let exponent = 0;
  for (; i < e; i++) {
    ch = buf[i] - 48;
    if (ch < 0 || ch > 9) break;
    m = m * 10 + ch;
    digits++;
  }
  if (i < e && buf[i] === 46 /* . */) {
    for (i++; i < e; i++) {
      ch = buf[i] - 48;
      if (ch < 0 || ch > 9) break;
      m = m * 10 + ch;
      digits++;
      exponent--;
    }
  }
  if (digits === 0) return NaN;
  if (i < e) {
    ch = buf[i];
    if (ch !== 101 /* e */ && ch !== 69 /* E */) return NaN;
    i++;
    let negativeExponent = false;
    if (i < e && (buf[i] === 45 || buf[i] === 43)) negativeExponent = buf[i++] === 45;
    let value = 0;
    const first = i;
    for (; i < e; i++) {
      ch = buf[i] - 48;
      if (ch < 0 || ch > 9 || value > 1000) return NaN;
      value = value * 10 + ch;
    }
    if (i === first) return NaN;
    exponent += negativeExponent ? -value : value;
  }
  if (m > 9007199254740991) return NaN;
  let v: number;
  if (exponent === 0) v = m;
  else if (exponent > 0 && exponent <= 22) v = m * POW10[exponent];
  else if (exponent < 0 && exponent >= -22) v = m / POW10[-exponent];
  else return NaN;
  return negative ? -v : v;
}

/**
 * The fast path's loop over the bytes from `pos` on (the line after `line`).
 * The capacity is the line count, so the arrays never need to grow here.
 */
function fillBytes(buf: Buffer, pos: number, line: number, sink: RowSink, delimiter: number, limit = buf.length): number {
  const c = sink.collector;
  const { features, weights, labels } = c.plan;
  const d = c.d;
  const width = sink.width;
  // What each column is for: a feature index ≥ 0, -2 weights, -3 labels, -1 nothing.
  const roles = new Int32Array(width).fill(-1);
  features.forEach((j, k) => (roles[j] = k));
  if (weights >= 0) roles[weights] = -2;
  if (labels >= 0) roles[labels] = -3;
  const data = c.data;
  const n = limit;
  let row = c.rows;
  while (pos < n) {
    line++;
    let lineEnd = buf.indexOf(0x0a, pos);
    if (lineEnd < 0 || lineEnd > n) lineEnd = n;
    let end = lineEnd;
    if (end > pos && buf[end - 1] === 0x0d) end--;
    let q = pos;
    while (q < end && (buf[q] === 0x20 || buf[q] === 0x09)) q++;
    if (q === end) {
      pos = lineEnd + 1; // a blank line
      continue;
    }
    const base = row * d;
    let f = 0;
    for (let s = pos; ; ) {
      let e = s;
      while (e < end && buf[e] !== delimiter) e++;
      if (f < width) {
        const role = roles[f];
        if (role >= 0) {
          let v = parseSimpleNumber(buf, s, e);
          if (v !== v) {
            const cell = buf.toString('utf8', s, e);
            v = +cell;
            if (!(v - v === 0) || (v === 0 && isBlank(cell))) {
              if (!isMissingCell(cell)) throw raggedOr(sink, buf, pos, end, line, delimiter, cellError(sink, line, f, cell));
              v = NaN;
            }
          }
          data[base + role] = v;
        } else if (role === -2) {
          try {
            addWeight(sink, buf.toString('utf8', s, e), line, row);
          } catch (error) {
            throw raggedOr(sink, buf, pos, end, line, delimiter, error as CliError);
          }
        } else if (role === -3) {
          addLabel(sink, buf.toString('utf8', s, e));
        }
      }
      f++;
      if (e >= end) break;
      s = e + 1;
    }
    if (f !== width) throw raggedError(sink, f, line);
    row++;
    pos = lineEnd + 1;
  }
  c.rows = row;
  return line;
}

/** The error for a bad cell, unless its line also has the wrong number of fields: that is reported first. */
function raggedOr(sink: RowSink, buf: Buffer, pos: number, end: number, line: number, delimiter: number, error: CliError): CliError {
  let fields = 1;
  for (let i = pos; i < end; i++) if (buf[i] === delimiter) fields++;
  return fields !== sink.width ? raggedError(sink, fields, line) : error;
}

// ---------------------------------------------------------------- JSON

function readJson(text: string, source: string, options: TableOptions): Table {
  let rows: unknown;
  try {
    rows = JSON.parse(text);
  } catch (error) {
    throw new CliError(`${source} is not valid JSON: ${oneLine((error as Error).message)}`);
  }
  const expected = 'an array of rows: arrays of numbers, or objects with the same keys';
  if (!Array.isArray(rows)) throw new CliError(`${source}: expected ${expected}`);
  if (rows.length === 0) throw new CliError(`${source} has no data rows (an empty array)`);
  const first: unknown = rows[0];
  const arrays = Array.isArray(first);
  if (!arrays && (typeof first !== 'object' || first === null)) throw new CliError(`${source} row 0: expected ${expected}`);
  const keys = arrays ? null : Object.keys(first as object);
  const names = arrays ? (first as unknown[]).map((_, j) => `x${j + 1}`) : (keys as string[]);
  const firstCells: unknown[] = arrays ? (first as unknown[]) : (keys as string[]).map((k) => (first as Record<string, unknown>)[k]);
  const plan = planColumns(source, names, options, (j) => {
    const v = firstCells[j];
    return typeof v === 'number' || v === null;
  });
  const collector = new Collector(plan, rows.length);
  const { features, weights, labels } = plan;
  const d = features.length;
  const cells: unknown[] = new Array(names.length);
  for (let i = 0; i < rows.length; i++) {
    const row: unknown = rows[i];
    if (arrays) {
      if (!Array.isArray(row)) throw new CliError(`${source} row ${i} is not an array like row 0`);
      if (row.length !== names.length) {
        throw new CliError(`${source} row ${i} has ${row.length} value${row.length === 1 ? '' : 's'} but ${names.length} were expected (as in row 0)`);
      }
      for (let j = 0; j < names.length; j++) cells[j] = row[j];
    } else {
      if (typeof row !== 'object' || row === null || Array.isArray(row)) throw new CliError(`${source} row ${i} is not an object like row 0`);
      const record = row as Record<string, unknown>;
      for (let j = 0; j < names.length; j++) {
        if (!Object.prototype.hasOwnProperty.call(record, names[j])) throw new CliError(`${source} row ${i} has no key ${quote(names[j])}`);
        cells[j] = record[names[j]];
      }
      if (Object.keys(record).length !== names.length) {
        const extra = Object.keys(record).find((k) => !names.includes(k)) as string;
        throw new CliError(`${source} row ${i} has a key ${quote(extra)} that row 0 does not have`);
      }
    }
    for (let k = 0; k < d; k++) {
      const v = cells[features[k]];
      const x = featureValue(v);
      if (x === null) {
        throw new CliError(`${source} row ${i}, column ${quote(names[features[k]])}: ${valueProblem(v) ?? `${shortJson(v)} is not a number`}`);
      }
      collector.data[i * d + k] = x;
    }
    if (weights >= 0) (collector.weights as Float64Array)[i] = checkWeight(source, i, names[weights], cells[weights]);
    if (labels >= 0) (collector.labels as (string | null)[]).push(labelOf(cells[labels]));
    collector.rows = i + 1;
  }
  return collector.table(source, names);
}

/** A weight from a JSON, Parquet or Arrow cell. */
function checkWeight(source: string, row: number, name: string, value: unknown): number {
  const problem = valueProblem(value);
  const where = `${source} row ${row}, weights column ${quote(name)}`;
  if (problem !== null || (typeof value !== 'number' && typeof value !== 'bigint')) throw new CliError(`${where}: ${problem ?? `${shortJson(value)} is not a number`}`);
  const v = Number(value);
  if (v < 0) throw new CliError(`${where}: ${v} is negative; weights must be ≥ 0`);
  return v;
}

function labelOf(value: unknown): string | null {
  if (value === null || value === undefined) return null;
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'bigint' || typeof value === 'boolean') return String(value);
  if (value instanceof Date) return value.toISOString();
  return shortJson(value);
}

// ---------------------------------------------------------------- Parquet

const PARQUET_NUMBERS = new Set(['DOUBLE', 'FLOAT', 'INT32', 'INT64']);
const PARQUET_NOT_NUMBERS = new Set(['DATE', 'TIME_MILLIS', 'TIME_MICROS', 'TIMESTAMP_MILLIS', 'TIMESTAMP_MICROS', 'INTERVAL', 'TIME', 'TIMESTAMP']);

function parquetNumeric(element: SchemaElement, leaf: boolean): boolean {
  if (!leaf) return false;
  const logical = element.logical_type?.type;
  if (logical === 'DECIMAL' || element.converted_type === 'DECIMAL' || logical === 'FLOAT16') return true;
  if (!element.type || !PARQUET_NUMBERS.has(element.type)) return false;
  if (logical !== undefined && PARQUET_NOT_NUMBERS.has(logical)) return false;
  if (element.converted_type !== undefined && PARQUET_NOT_NUMBERS.has(element.converted_type)) return false;
  return true;
}

async function readParquet(bytes: Buffer, source: string, options: TableOptions): Promise<Table> {
  const { parquetMetadata, parquetReadObjects, parquetSchema } = await import('hyparquet');
  const file = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
  let metadata: FileMetaData;
  try {
    metadata = parquetMetadata(file);
  } catch (error) {
    throw new CliError(`${source} is not a valid Parquet file (${oneLine((error as Error).message)})`);
  }
  const children = parquetSchema(metadata).children;
  const names = children.map((child) => child.element.name);
  const plan = planColumns(source, names, options, (j) => parquetNumeric(children[j].element, children[j].children.length === 0));
  const n = Number(metadata.num_rows);
  if (n === 0) throw new CliError(`${source} has no data rows`);
  const wanted = [...plan.features, ...(plan.weights >= 0 ? [plan.weights] : []), ...(plan.labels >= 0 ? [plan.labels] : [])].map((j) => names[j]);
  let rows: Record<string, unknown>[];
  try {
    rows = await parquetReadObjects({ file, columns: wanted });
  } catch (error) {
    throw new CliError(`${source}: cannot read the Parquet data (${oneLine((error as Error).message)})`);
  }
  return fromValueRows(source, names, plan, rows.length, (i, j) => rows[i][names[j]]);
}

/** Builds a table from a random-access value getter (Parquet rows, Arrow columns). */
function fromValueRows(source: string, names: string[], plan: Plan, n: number, get: (row: number, column: number) => unknown): Table {
  if (n === 0) throw new CliError(`${source} has no data rows`);
  const collector = new Collector(plan, n);
  const { features, weights, labels } = plan;
  const d = features.length;
  for (let k = 0; k < d; k++) {
    const j = features[k];
    for (let i = 0; i < n; i++) {
      const v = get(i, j);
      const x = featureValue(v);
      if (x === null) throw new CliError(`${source} row ${i}, column ${quote(names[j])}: ${valueProblem(v) ?? `${shortJson(v)} is not a number`}`);
      collector.data[i * d + k] = x;
    }
  }
  if (weights >= 0) for (let i = 0; i < n; i++) (collector.weights as Float64Array)[i] = checkWeight(source, i, names[weights], get(i, weights));
  if (labels >= 0) for (let i = 0; i < n; i++) (collector.labels as (string | null)[]).push(labelOf(get(i, labels)));
  collector.rows = n;
  return collector.table(source, names);
}

// ---------------------------------------------------------------- Arrow

async function readArrow(bytes: Buffer, source: string, options: TableOptions): Promise<Table> {
  const { DataType, tableFromIPC } = await import('apache-arrow');
  let table: ArrowTable;
  try {
    table = tableFromIPC(bytes);
  } catch (error) {
    throw new CliError(`${source} is not a valid Arrow IPC file or stream (${oneLine((error as Error).message)})`);
  }
  const fields = table.schema.fields;
  const names = fields.map((field) => field.name);
  const plan = planColumns(source, names, options, (j) => DataType.isFloat(fields[j].type) || DataType.isInt(fields[j].type));
  const n = table.numRows;
  if (n === 0) throw new CliError(`${source} has no data rows`);
  // Fast columns: numeric vectors without nulls, read through toArray().
  const dense = new Map<number, ArrayLike<number | bigint>>();
  for (const j of plan.features) {
    const vector = table.getChildAt(j);
    if (!vector || vector.nullCount > 0) continue;
    const type = fields[j].type;
    const halfFloat = DataType.isFloat(type) && (type as { precision?: number }).precision === 0;
    if (!halfFloat && (DataType.isFloat(type) || DataType.isInt(type))) {
      const values: unknown = vector.toArray();
      if (ArrayBuffer.isView(values) && !(values instanceof DataView)) dense.set(j, values as unknown as ArrayLike<number | bigint>);
    }
  }
  return fromValueRows(source, names, plan, n, (i, j) => {
    const values = dense.get(j);
    if (values) return values[i];
    const value: unknown = table.getChildAt(j)?.get(i);
    return value;
  });
}
