/**
 * A small CSV reader for the playground: RFC 4180 quotes, comma, semicolon or
 * tab delimiters, an optional header row. Text columns (a species name, say)
 * are skipped; any other cell that is not a number is an error naming its
 * line and column. Pure: no DOM, no library imports, so it is easy to test.
 */

/** A numeric table, row-major. */
export interface Table {
  /** Where the table came from (a file name), for messages. */
  readonly source: string;
  /** Names of the numeric columns, in file order. */
  readonly columns: string[];
  /** rows × columns.length values, row-major. */
  readonly values: Float64Array;
  readonly rows: number;
  /** Names of the text columns that were left out. */
  readonly skipped: string[];
}

/** A problem with the file, with the 1-based line and the column name where known. */
export class CsvError extends Error {
  constructor(
    message: string,
    readonly line: number | null = null,
    readonly column: string | null = null,
  ) {
    super(message);
    this.name = 'CsvError';
  }
}

/** A parsed record: its fields and the (1-based) line it starts on. */
interface CsvRecord {
  readonly fields: string[];
  readonly line: number;
}

const NUMBER = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;
const MISSING = /^(?:na|nan|n\/a|null|none|-|\?|inf|-inf|\+inf|infinity|-infinity|\+infinity)$/i;

/** The number a cell holds, or NaN when it holds none. */
export function cellNumber(cell: string): number {
  const text = cell.trim();
  return NUMBER.test(text) ? Number(text) : NaN;
}

/** Why a cell of a numeric column is not a usable number. */
function cellProblem(cell: string): string {
  const text = cell.trim();
  if (text === '') return 'the cell is empty (the playground does not take missing values yet; the CLI does)';
  const shown = JSON.stringify(text.length > 40 ? `${text.slice(0, 40)}…` : text);
  if (MISSING.test(text)) return `${shown} is a missing value (the playground does not take missing values yet; the CLI does)`;
  if (NUMBER.test(text)) return `${shown} is too large for a double`;
  return `${shown} is not a number`;
}

/** Picks the delimiter that occurs most often (outside quotes) on the first non-blank line. */
function detectDelimiter(text: string): string {
  const line = text.split(/\r?\n/).find((l) => l.trim() !== '') ?? '';
  const outside = line.replace(/"[^"]*"/g, '');
  let best = ',';
  let bestCount = 0;
  for (const candidate of [',', ';', '\t']) {
    const count = outside.split(candidate).length - 1;
    if (count > bestCount) {
      best = candidate;
      bestCount = count;
    }
  }
  return best;
}

/** Splits text into records, honouring quotes; blank lines are dropped. */
function records(text: string, delimiter: string, source: string): CsvRecord[] {
  const out: CsvRecord[] = [];
  let fields: string[] = [];
  let field = '';
  let line = 1;
  let recordLine = 1;
  let quoted = false;
  let quoteLine = 0;
  let wasQuoted = false;
  const endRecord = () => {
    fields.push(field);
    if (!(fields.length === 1 && !wasQuoted && fields[0].trim() === '')) out.push({ fields, line: recordLine });
    fields = [];
    field = '';
    wasQuoted = false;
  };
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (quoted) {
      if (ch === '"') {
        if (text[i + 1] === '"') {
          field += '"';
          i++;
        } else {
          quoted = false;
        }
      } else {
        if (ch === '\n') line++;
        field += ch;
      }
    } else if (ch === '"' && field.trim() === '') {
      quoted = true;
      wasQuoted = true;
      quoteLine = line;
      field = '';
    } else if (ch === delimiter) {
      fields.push(field);
      field = '';
    } else if (ch === '\n' || ch === '\r') {
      if (ch === '\r' && text[i + 1] === '\n') i++;
      endRecord();
      line++;
      recordLine = line;
    } else {
      field += ch;
    }
  }
  if (quoted) throw new CsvError(`${source}, line ${quoteLine}: a quoted field is never closed (a missing ")`, quoteLine);
  if (field !== '' || fields.length > 0 || wasQuoted) endRecord();
  return out;
}

/**
 * Reads CSV text into a numeric table.
 * @param source the file name, used in messages.
 * @throws CsvError naming the line and column of the first problem.
 */
export function parseCsv(text: string, source: string): Table {
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  const delimiter = detectDelimiter(text);
  const all = records(text, delimiter, source);
  if (all.length === 0) throw new CsvError(`${source} is empty`);

  const first = all[0].fields;
  const hasHeader = first.some((cell) => cell.trim() !== '' && Number.isNaN(cellNumber(cell)) && !MISSING.test(cell.trim()));
  const names = first.map((cell, j) => (hasHeader && cell.trim() !== '' ? cell.trim() : `x${j + 1}`));
  const body = hasHeader ? all.slice(1) : all;
  if (body.length === 0) throw new CsvError(`${source} has a header but no data rows`, all[0].line);

  const width = names.length;
  for (const record of body) {
    if (record.fields.length !== width) {
      const from = hasHeader ? 'the header' : `line ${all[0].line}`;
      throw new CsvError(
        `${source}, line ${record.line}: ${record.fields.length} field${record.fields.length === 1 ? '' : 's'} but ${from} has ${width}`,
        record.line,
      );
    }
  }

  // A column is text (and left out) when most of its non-empty cells are not numbers.
  const numeric: number[] = [];
  const skipped: string[] = [];
  for (let j = 0; j < width; j++) {
    let numbers = 0;
    let filled = 0;
    for (const record of body) {
      const cell = record.fields[j].trim();
      if (cell === '' || MISSING.test(cell)) continue;
      filled++;
      if (!Number.isNaN(cellNumber(cell))) numbers++;
    }
    if (filled > 0 && numbers * 2 < filled) skipped.push(names[j]);
    else numeric.push(j);
  }
  if (numeric.length < 2) {
    const found = numeric.map((j) => JSON.stringify(names[j])).join(', ') || 'none';
    throw new CsvError(`${source} needs at least two numeric columns to plot; found ${numeric.length} (${found})`);
  }

  const d = numeric.length;
  const values = new Float64Array(body.length * d);
  for (let i = 0; i < body.length; i++) {
    const { fields, line } = body[i];
    for (let c = 0; c < d; c++) {
      const j = numeric[c];
      const v = cellNumber(fields[j]);
      if (!Number.isFinite(v)) {
        throw new CsvError(`${source}, line ${line}, column ${JSON.stringify(names[j])} (column ${j + 1}): ${cellProblem(fields[j])}`, line, names[j]);
      }
      values[i * d + c] = v;
    }
  }
  return { source, columns: numeric.map((j) => names[j]), values, rows: body.length, skipped };
}
