/**
 * cli/read.ts: reading data tables (CSV/TSV, JSON, Parquet, Arrow, stdin) and
 * the one-line errors for bad input.
 *
 * The Parquet fixtures in test/fixtures/cli/ were written once with pyarrow 25
 * (hyparquet only reads Parquet, and no Parquet writer is installed for Node):
 *
 *   import pyarrow as pa, pyarrow.parquet as pq
 *   pq.write_table(pa.table({
 *       'a': pa.array([1.5, 2.5, 3.5, 4.5], pa.float64()),
 *       'b': pa.array([10, 20, 30, 2**40], pa.int64()),
 *       'c': pa.array([-1, -2, -3, -4], pa.int32()),
 *       'f': pa.array([0.25, 0.5, 0.75, 1.0], pa.float32()),
 *       'flag': pa.array([True, False, True, False]),
 *       'name': pa.array(['p', 'q', 'r', 's']),
 *   }), 'mixed.parquet')
 *   pq.write_table(pa.table({
 *       'a': pa.array([1.0, 2.0, None, 4.0], pa.float64()),
 *       'b': pa.array([5.0, 6.0, 7.0, 8.0], pa.float64()),
 *   }), 'nulls.parquet')
 *
 * (pyarrow's defaults: Parquet format 2.6, Snappy compression.)
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { Float64, Int32, Table as ArrowTable, tableFromArrays, tableToIPC, vectorFromArray } from 'apache-arrow';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CliError } from '../../cli/errors.js';
import { readLargeDelimited, readTable, type Table } from '../../cli/read.js';

const fixtures = join(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'cli');
let dir = '';

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'mixem-read-'));
});

afterAll(() => {
  if (dir !== '') rmSync(dir, { recursive: true, force: true });
});

/** Writes a file in the temporary folder and returns its path. */
function file(name: string, content: string | Uint8Array): string {
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
}

/** The matrix as rows of numbers. */
function rows(table: Table): number[][] {
  const { rows: n, cols: d, data } = table.matrix;
  return Array.from({ length: n }, (_, i) => Array.from(data.subarray(i * d, (i + 1) * d)));
}

/** Asserts that reading fails with a one-line CliError (exit 2) whose message matches. */
async function expectFailure(reading: Promise<unknown>, message: RegExp): Promise<string> {
  const error = await reading.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(CliError);
  const { message: text, exitCode } = error as CliError;
  expect(exitCode).toBe(2);
  expect(text).not.toContain('\n');
  expect(text).toMatch(message);
  return text;
}

const stdin = (content: string | Uint8Array) => Readable.from([Buffer.from(content)]);

describe('delimited text', () => {
  it('a CSV with a header gives named columns and row-major data', async () => {
    const path = file('header.csv', 'eruptions,waiting\n3.6,79\n1.8,54\n3.333,74\n');
    const table = await readTable(path);
    expect(table.columns).toEqual(['eruptions', 'waiting']);
    expect(table.matrix.rows).toBe(3);
    expect(table.matrix.cols).toBe(2);
    expect(table.matrix.data).toBeInstanceOf(Float64Array);
    expect(rows(table)).toEqual([
      [3.6, 79],
      [1.8, 54],
      [3.333, 74],
    ]);
    expect(table.weights).toBeNull();
    expect(table.labels).toBeNull();
    expect(table.notes).toEqual([]);
    expect(table.source).toBe(path);
  });

  it('a CSV without a header names its columns x1, x2, …', async () => {
    const table = await readTable(file('plain.csv', '1,2,3\n4,5,6\n'));
    expect(table.columns).toEqual(['x1', 'x2', 'x3']);
    expect(rows(table)).toEqual([
      [1, 2, 3],
      [4, 5, 6],
    ]);
  });

  it('a one-line file of numbers is one data row', async () => {
    const table = await readTable(file('one.csv', '1,2\n'));
    expect(rows(table)).toEqual([[1, 2]]);
  });

  it('a TSV file is split on tabs', async () => {
    const table = await readTable(file('data.tsv', 'a\tb\n1.5\t-2\n3e2\t.25\n'));
    expect(table.columns).toEqual(['a', 'b']);
    expect(rows(table)).toEqual([
      [1.5, -2],
      [300, 0.25],
    ]);
  });

  it('semicolons are sniffed as the delimiter', async () => {
    const table = await readTable(file('semi.csv', 'a;b;c\n1;2;3\n4;5;6\n'));
    expect(table.columns).toEqual(['a', 'b', 'c']);
    expect(rows(table)).toEqual([
      [1, 2, 3],
      [4, 5, 6],
    ]);
  });

  it('tabs are sniffed in a .csv file too', async () => {
    const table = await readTable(file('tabs.csv', 'a\tb\n1\t2\n'));
    expect(table.columns).toEqual(['a', 'b']);
  });

  it('whitespace-separated text is read as columns', async () => {
    const table = await readTable(file('spaced.txt', '  x    y\n 1   2\n3 4  \n'));
    expect(table.columns).toEqual(['x', 'y']);
    expect(rows(table)).toEqual([
      [1, 2],
      [3, 4],
    ]);
  });

  it('a single column with a spaced name stays one column', async () => {
    const table = await readTable(file('single.txt', 'waiting time\n79\n54\n'));
    expect(table.columns).toEqual(['waiting time']);
    expect(rows(table)).toEqual([[79], [54]]);
  });

  it('CRLF line endings are read like LF', async () => {
    const table = await readTable(file('crlf.csv', 'a,b\r\n1,2\r\n3,4\r\n'));
    expect(table.columns).toEqual(['a', 'b']);
    expect(rows(table)).toEqual([
      [1, 2],
      [3, 4],
    ]);
  });

  it('a UTF-8 byte order mark is ignored', async () => {
    const table = await readTable(file('bom.csv', '\uFEFFa,b\n1,2\n'));
    expect(table.columns).toEqual(['a', 'b']);
  });

  it('a trailing newline and blank lines are skipped', async () => {
    const table = await readTable(file('blank.csv', '\na,b\n\n1,2\n   \n3,4\n\n\n'));
    expect(rows(table)).toEqual([
      [1, 2],
      [3, 4],
    ]);
  });

  it('a quoted CSV goes through csv-parse and keeps delimiters inside quotes', async () => {
    const path = file('quoted.csv', '"x","y","name, full"\n"1.5",2,"Smith, J"\n3,"4","say ""hi"""\r\n');
    const table = await readTable(path, { labelsColumn: 'name, full' });
    expect(table.columns).toEqual(['x', 'y']);
    expect(rows(table)).toEqual([
      [1.5, 2],
      [3, 4],
    ]);
    expect(table.labels).toEqual(['Smith, J', 'say "hi"']);
  });

  it('line numbers in quoted CSV count the lines inside quoted cells', async () => {
    const path = file('multiline.csv', 'a,note\n1,"two\nlines"\n\n2,ok\nbad,x\n');
    await expectFailure(readTable(path, { columns: ['a'] }), /multiline\.csv line 6, column "a": "bad" is not a number$/);
  });

  it('an unclosed quote is a one-line error', async () => {
    await expectFailure(readTable(file('unclosed.csv', 'a,b\n1,"2\n3,4\n')), /unclosed\.csv: .*quote/i);
  });

  it('a non-numeric column is left out with a note', async () => {
    const table = await readTable(file('iris.csv', 'length,species,width\n5.1,setosa,3.5\n4.9,setosa,3.0\n'));
    expect(table.columns).toEqual(['length', 'width']);
    expect(rows(table)).toEqual([
      [5.1, 3.5],
      [4.9, 3],
    ]);
    expect(table.notes).toEqual(['column "species" is not numeric and was left out']);
  });

  it('a trailing delimiter makes no extra column', async () => {
    const table = await readTable(file('trailing.csv', 'a,b,\n1,2,\n3,4,\n'));
    expect(table.columns).toEqual(['a', 'b']);
    expect(rows(table)).toEqual([
      [1, 2],
      [3, 4],
    ]);
    expect(table.notes).toHaveLength(1);
  });

  it('a non-numeric cell names its line and column', async () => {
    const path = file('data.csv', 'eruptions,waiting\n3.6,79\n\n1.8,abc\n');
    const message = await expectFailure(readTable(path), /data\.csv line 4, column "waiting": "abc" is not a number$/);
    expect(message.startsWith(path)).toBe(true);
  });

  it('a selected column with text in its first row is an error, not left out', async () => {
    await expectFailure(
      readTable(file('selected.csv', 'a,b\n1,x\n2,3\n'), { columns: ['a', 'b'] }),
      /selected\.csv line 2, column "b": "x" is not a number$/,
    );
  });

  it('an empty cell is a missing value (NaN)', async () => {
    expect(rows(await readTable(file('empty-cell.csv', 'a,b\n1,2\n3,\n')))).toEqual([[1, 2], [3, NaN]]);
    expect(rows(await readTable(file('space-cell.csv', 'a,b\n1,2\n  ,4\n')))).toEqual([[1, 2], [NaN, 4]]);
    expect(rows(await readTable(file('quoted-empty.csv', '"a","b"\n"1",""\n"3","4"\n')))).toEqual([[1, NaN], [3, 4]]);
  });

  it('NaN, NA, N/A and null are missing values; inf is an error naming its line and column', async () => {
    for (const [i, token] of ['NaN', 'NA', 'n/a', 'null', 'None'].entries()) {
      expect(rows(await readTable(file(`missing${i}.csv`, `a,b\n1,2\n3,${token}\n`)))).toEqual([[1, 2], [3, NaN]]);
    }
    for (const [i, token] of ['inf', '-Infinity'].entries()) {
      await expectFailure(readTable(file(`inf${i}.csv`, `a,b\n1,2\n3,${token}\n`)), new RegExp(`line 3, column "b": "${token}" is infinite; values must be finite$`));
    }
  });

  it('a missing value in the first data row keeps its column numeric', async () => {
    const table = await readTable(file('first-na.csv', 'a,b\n1,NA\n3,4\n'));
    expect(table.columns).toEqual(['a', 'b']);
    expect(rows(table)).toEqual([[1, NaN], [3, 4]]);
  });

  it('a ragged row names its line and the expected field count', async () => {
    await expectFailure(readTable(file('ragged.csv', 'a,b,c\n1,2,3\n4,5\n')), /ragged\.csv line 3 has 2 fields but 3 were expected \(as in the header\)$/);
    await expectFailure(readTable(file('ragged2.csv', '1,2\n3,4\n5,6,7\n')), /ragged2\.csv line 3 has 3 fields but 2 were expected \(as in line 1\)$/);
    await expectFailure(readTable(file('ragged3.csv', 'a,b\n1,2\n3\n')), /ragged3\.csv line 3 has 1 field but 2 were expected/);
  });

  it('an empty file is refused', async () => {
    await expectFailure(readTable(file('empty.csv', '')), /empty\.csv is empty$/);
    await expectFailure(readTable(file('blank-only.csv', '\n  \n\r\n')), /blank-only\.csv is empty$/);
  });

  it('a header with no data rows is refused', async () => {
    await expectFailure(readTable(file('header-only.csv', 'a,b,c\n')), /header-only\.csv has a header but no data rows$/);
  });

  it('a binary file is refused with the list of supported formats', async () => {
    const path = file('data.bin', Buffer.from([0x1f, 0x8b, 0x08, 0x00, 0x00, 0x00, 0x41, 0x42]));
    await expectFailure(readTable(path), /data\.bin is not a text data file \(it contains binary bytes\); supported formats: CSV, TSV, JSON, Parquet, Arrow$/);
  });

  it('a directory is refused', async () => {
    const path = join(dir, 'data');
    mkdirSync(path, { recursive: true });
    await expectFailure(readTable(path), /data is a directory, not a data file$/);
  });

  it('a missing file is refused', async () => {
    await expectFailure(readTable(join(dir, 'nope.csv')), /^cannot read .*nope\.csv: no such file$/);
  });

  it('an unknown column lists the available columns', async () => {
    const path = file('cols.csv', 'a,b,c\n1,2,3\n');
    await expectFailure(readTable(path, { columns: ['a', 'z'] }), /cols\.csv has no column "z"; its columns are: a, b, c$/);
    await expectFailure(readTable(path, { weightsColumn: 'w' }), /has no column "w" \(the weights column\)/);
  });

  it('columns selects and orders features by name', async () => {
    const table = await readTable(file('select.csv', 'a,b,c\n1,2,3\n4,5,6\n'), { columns: ['c', 'a'] });
    expect(table.columns).toEqual(['c', 'a']);
    expect(rows(table)).toEqual([
      [3, 1],
      [6, 4],
    ]);
  });

  it('columns selects by 1-based index or x-name when there is no header', async () => {
    const path = file('noheader.csv', '1,2,3\n4,5,6\n');
    const byIndex = await readTable(path, { columns: ['3', '1'] });
    expect(byIndex.columns).toEqual(['x3', 'x1']);
    expect(rows(byIndex)).toEqual([
      [3, 1],
      [6, 4],
    ]);
    const byName = await readTable(path, { columns: ['x2'] });
    expect(rows(byName)).toEqual([[2], [5]]);
  });

  it('a column selected twice is refused', async () => {
    await expectFailure(readTable(file('twice.csv', 'a,b\n1,2\n'), { columns: ['a', 'a'] }), /column "a" is selected twice/);
  });

  it('a file with no numeric columns is refused', async () => {
    await expectFailure(readTable(file('words.csv', 'name,kind\nx,y\nz,w\n')), /words\.csv has no numeric columns to use/);
  });

  it('a weights column is read and excluded from the features', async () => {
    const table = await readTable(file('weights.csv', 'a,w,b\n1,0.5,2\n3,2,4\n'), { weightsColumn: 'w' });
    expect(table.columns).toEqual(['a', 'b']);
    expect(rows(table)).toEqual([
      [1, 2],
      [3, 4],
    ]);
    expect(Array.from(table.weights ?? [])).toEqual([0.5, 2]);
  });

  it('a negative, missing or non-numeric weight names its line', async () => {
    await expectFailure(readTable(file('w1.csv', 'a,w\n1,1\n2,-1\n'), { weightsColumn: 'w' }), /w1\.csv line 3, weights column "w": "-1" is negative; weights must be ≥ 0$/);
    await expectFailure(readTable(file('w2.csv', 'a,w\n1,1\n2,\n'), { weightsColumn: 'w' }), /w2\.csv line 3, weights column "w": empty cell/);
    await expectFailure(readTable(file('w3.csv', 'a,w\n1,heavy\n2,1\n'), { weightsColumn: 'w' }), /w3\.csv line 2, weights column "w": "heavy" is not a number$/);
    await expectFailure(readTable(file('w4.csv', 'a,w\n1,inf\n'), { weightsColumn: 'w' }), /w4\.csv line 2, weights column "w": "inf" is infinite/);
    await expectFailure(readTable(file('w5.csv', 'a,w\n1,0\n2,0\n'), { weightsColumn: 'w' }), /are all 0/);
  });

  it('a labels column is read as strings, an empty cell as null', async () => {
    const table = await readTable(file('labels.csv', 'a,species\n1,setosa\n2,\n'), { labelsColumn: 'species' });
    expect(table.columns).toEqual(['a']);
    expect(table.labels).toEqual(['setosa', null]);
    expect(table.notes).toEqual([]);
  });

  it('the byte-level fast path gives exactly what Number() gives', async () => {
    const cells: string[] = [];
    let seed = 12345;
    const random = () => (seed = (seed * 16807) % 2147483647) / 2147483647;
    for (let i = 0; i < 3000; i++) {
      const r = random();
      if (r < 0.25) cells.push(String((random() - 0.5) * 10 ** Math.floor(random() * 40 - 20)));
      else if (r < 0.5) cells.push((random() * 1e6).toFixed(Math.floor(random() * 20)));
      else if (r < 0.75) cells.push((random() - 0.5).toExponential(Math.floor(random() * 20)));
      else cells.push(['+', '-', ''][i % 3] + '00' + String(Math.floor(random() * 1e9)) + ['.', '', '.5', 'e3', 'E-7', 'e+22', 'e-23'][i % 7]);
    }
    const table = await readTable(file('numbers.csv', `v\n${cells.join('\n')}\n`));
    expect(Array.from(table.matrix.data)).toEqual(cells.map(Number));
  });
});

describe('JSON', () => {
  it('an array of arrays gives columns x1, x2, …', async () => {
    const table = await readTable(file('arrays.json', JSON.stringify([[1, 2], [3.5, -4]])));
    expect(table.columns).toEqual(['x1', 'x2']);
    expect(rows(table)).toEqual([
      [1, 2],
      [3.5, -4],
    ]);
  });

  it('an array of objects takes its column names from the keys', async () => {
    const data = [
      { a: 1, b: 2, kind: 'x' },
      { a: 3, b: 4, kind: 'y' },
    ];
    const table = await readTable(file('objects.json', JSON.stringify(data)));
    expect(table.columns).toEqual(['a', 'b']);
    expect(rows(table)).toEqual([
      [1, 2],
      [3, 4],
    ]);
    expect(table.notes).toEqual(['column "kind" is not numeric and was left out']);
    const labelled = await readTable(join(dir, 'objects.json'), { labelsColumn: 'kind', columns: ['b'] });
    expect(labelled.labels).toEqual(['x', 'y']);
    expect(rows(labelled)).toEqual([[2], [4]]);
  });

  it('a bad JSON cell names its 0-based row and its column', async () => {
    const data = [{ a: 1, b: 2 }, { a: 1, b: 2 }, { a: 1, b: 2 }, { a: 1, b: 'abc' }];
    await expectFailure(readTable(file('data.json', JSON.stringify(data))), /data\.json row 3, column "b": "abc" is not a number$/);
    expect(rows(await readTable(file('null.json', '[[1,2],[3,null]]')))).toEqual([[1, 2], [3, NaN]]);
    await expectFailure(readTable(file('short.json', '[[1,2],[3]]')), /short\.json row 1 has 1 value but 2 were expected/);
    await expectFailure(readTable(file('keys.json', '[{"a":1},{"b":2}]')), /keys\.json row 1 has no key "a"/);
  });

  it('text that is not JSON, or not an array of rows, is refused', async () => {
    await expectFailure(readTable(file('broken.json', '[[1,2],')), /broken\.json is not valid JSON: /);
    await expectFailure(readTable(file('object.json', '{"a":[1,2]}')), /object\.json: expected an array of rows/);
    await expectFailure(readTable(file('none.json', '[]')), /none\.json has no data rows/);
  });
});

describe('Parquet', () => {
  it('numeric Parquet columns become features, BigInt values numbers, others notes', async () => {
    const table = await readTable(join(fixtures, 'mixed.parquet'));
    expect(table.columns).toEqual(['a', 'b', 'c', 'f']);
    expect(rows(table)).toEqual([
      [1.5, 10, -1, 0.25],
      [2.5, 20, -2, 0.5],
      [3.5, 30, -3, 0.75],
      [4.5, 2 ** 40, -4, 1],
    ]);
    expect(table.notes).toEqual(['column "flag" is not numeric and was left out', 'column "name" is not numeric and was left out']);
  });

  it('Parquet columns can be selected, weighted and labelled', async () => {
    const table = await readTable(join(fixtures, 'mixed.parquet'), { columns: ['f', 'a'], weightsColumn: 'b', labelsColumn: 'name' });
    expect(table.columns).toEqual(['f', 'a']);
    expect(rows(table)[0]).toEqual([0.25, 1.5]);
    expect(Array.from(table.weights ?? [])).toEqual([10, 20, 30, 2 ** 40]);
    expect(table.labels).toEqual(['p', 'q', 'r', 's']);
  });

  it('a null Parquet cell is a missing value (NaN)', async () => {
    const table = await readTable(join(fixtures, 'nulls.parquet'));
    expect(Number.isNaN(rows(table)[2][0])).toBe(true);
  });

  it('a .parquet file that is not Parquet is refused', async () => {
    await expectFailure(readTable(file('fake.parquet', 'a,b\n1,2\n')), /fake\.parquet is not a valid Parquet file/);
  });
});

describe('Arrow', () => {
  const arrow = () =>
    tableFromArrays({
      x: Float64Array.from([1.5, 2.5, 3.5]),
      n: BigInt64Array.from([7n, 8n, 9n]),
      i: Int32Array.from([-1, 0, 1]),
      s: ['u', 'v', 'w'],
    });

  it('an Arrow IPC file reads its numeric columns and notes the others', async () => {
    const table = await readTable(file('data.arrow', tableToIPC(arrow(), 'file')));
    expect(table.columns).toEqual(['x', 'n', 'i']);
    expect(rows(table)).toEqual([
      [1.5, 7, -1],
      [2.5, 8, 0],
      [3.5, 9, 1],
    ]);
    expect(table.notes).toEqual(['column "s" is not numeric and was left out']);
  });

  it('an Arrow IPC stream in a .feather file is read too', async () => {
    const table = await readTable(file('data.feather', tableToIPC(arrow(), 'stream')), { columns: ['i'], labelsColumn: 's' });
    expect(rows(table)).toEqual([[-1], [0], [1]]);
    expect(table.labels).toEqual(['u', 'v', 'w']);
  });

  it('a null Arrow cell is a missing value (NaN)', async () => {
    const table = new ArrowTable({ a: vectorFromArray([1, 2, 3], new Float64()), b: vectorFromArray([1, null, 3], new Int32()) });
    expect(rows(await readTable(file('nulls.arrow', tableToIPC(table, 'file'))))).toEqual([[1, 1], [2, NaN], [3, 3]]);
  });

  it('an .arrow file that is not Arrow is refused', async () => {
    await expectFailure(readTable(file('fake.arrow', 'not arrow at all')), /fake\.arrow is not a valid Arrow IPC file or stream/);
  });
});

describe('stdin', () => {
  it('"-" reads CSV from stdin and names the source "stdin"', async () => {
    const table = await readTable('-', {}, stdin('a,b\n1,2\n3,x\n'.replace('x', '4')));
    expect(table.source).toBe('stdin');
    expect(rows(table)).toEqual([
      [1, 2],
      [3, 4],
    ]);
    await expectFailure(readTable('-', {}, stdin('a,b\n1,2\n3,x\n')), /^stdin line 3, column "b": "x" is not a number$/);
  });

  it('JSON, Parquet and Arrow are sniffed on stdin', async () => {
    expect(rows(await readTable('-', {}, stdin(' [[1,2]]')))).toEqual([[1, 2]]);
    expect((await readTable('-', {}, stdin(readFileSync(join(fixtures, 'mixed.parquet'))))).columns).toEqual(['a', 'b', 'c', 'f']);
    const ipc = tableToIPC(tableFromArrays({ x: Float64Array.from([1, 2]) }), 'stream');
    expect(rows(await readTable('-', {}, stdin(ipc)))).toEqual([[1], [2]]);
    const ipcFile = tableToIPC(tableFromArrays({ x: Float64Array.from([3]) }), 'file');
    expect(rows(await readTable('-', {}, stdin(ipcFile)))).toEqual([[3]]);
  });

  it('an empty or binary stdin is refused', async () => {
    await expectFailure(readTable('-', {}, stdin('')), /^stdin is empty$/);
    await expectFailure(readTable('-', {}, stdin(Buffer.from([1, 0, 2]))), /^stdin is not a text data file/);
  });

  it('reading "-" twice from one stream gives the same data both times', async () => {
    const stream = stdin('a,b,c\n1,2,3\n');
    const first = await readTable('-', {}, stream);
    const second = await readTable('-', { columns: ['b'] }, stream);
    expect(first.columns).toEqual(['a', 'b', 'c']);
    expect(rows(second)).toEqual([[2]]);
  });
});

describe('large delimited files, read in chunks', () => {
  /** Chunks of a few bytes, so that lines and cells straddle them. */
  const tiny = (chunkBytes: number) => ({ fromBytes: 1, chunkBytes });
  const whole = { fromBytes: Infinity, chunkBytes: 1 };

  const cases: [string, string][] = [
    ['header, CRLF, blank lines, no final newline', 'a,b,c\r\n1,2,3\r\n\r\n4.5,-6,7e-3\r\n  \r\n8,9,10'],
    ['missing cells and tokens', 'a,b\n1,\nNA,2\n3,4\n,5\nnan,6\n7,8\n'],
    ['no header, semicolons', '1;2\n3;4\n5;6\n7;8\n9;10\n'],
    ['a text column left out, long lines', `x,name,y\n${Array.from({ length: 40 }, (_, i) => `${i * 1.25},label-${'z'.repeat(i * 7)},${-i}`).join('\n')}\n`],
  ];
  for (const [what, content] of cases) {
    for (const chunkBytes of [1024, 7, 64]) {
      it(`reads ${what} as the whole-file reader does (${chunkBytes}-byte chunks)`, async () => {
        const path = file(`stream-${what.replace(/\W+/g, '-')}.csv`, content);
        expect(readLargeDelimited(path, {}, tiny(chunkBytes))).not.toBeNull();
        const streamed = await readTable(path, {}, stdin(''), tiny(chunkBytes));
        const reference = await readTable(path, {}, stdin(''), whole);
        expect(rows(streamed)).toEqual(rows(reference));
        expect(streamed.columns).toEqual(reference.columns);
        expect(streamed.notes).toEqual(reference.notes);
      });
    }
  }

  it('reads into the matrix that `allocate` gives (the worker pool\'s memory), at most one row per line', async () => {
    const path = file('stream-allocate.csv', 'a,b\n1,2\n\n3,4\n5,6\n');
    const given: Float64Array[] = [];
    const allocate = (rows: number, cols: number) => {
      expect(rows).toBeGreaterThanOrEqual(3);
      given.push(new Float64Array(new SharedArrayBuffer(8 * (rows * cols + 2)), 0, rows * cols));
      return given[0];
    };
    const table = await readTable(path, { allocate }, stdin(''), tiny(4));
    expect(given).toHaveLength(1);
    expect(table.matrix.data.buffer).toBe(given[0].buffer);
    expect(table.matrix.data.byteOffset).toBe(0);
    expect(rows(table)).toEqual([[1, 2], [3, 4], [5, 6]]);
  });

  it('keeps weights and labels columns', async () => {
    const path = file('stream-wl.csv', 'x,w,kind\n1,2,a\n3,1,\n5,0.5,b\n7,1,a\n');
    const options = { weightsColumn: 'w', labelsColumn: 'kind' };
    const streamed = await readTable(path, options, stdin(''), tiny(5));
    const reference = await readTable(path, options, stdin(''), whole);
    expect(Array.from(streamed.weights!)).toEqual(Array.from(reference.weights!));
    expect(streamed.labels).toEqual(reference.labels);
    expect(rows(streamed)).toEqual([[1], [3], [5], [7]]);
  });

  it('names the line and column of a bad cell, and of a ragged line, after many chunks', async () => {
    const good = Array.from({ length: 50 }, (_, i) => `${i},${i + 1}`).join('\n');
    await expectFailure(readTable(file('stream-bad.csv', `a,b\n${good}\n1,oops\n`), {}, stdin(''), tiny(16)), /line 52.*column "b".*oops/);
    await expectFailure(readTable(file('stream-ragged.csv', `a,b\n${good}\n1,2,3\n`), {}, stdin(''), tiny(16)), /line 52 has 3 fields but 2 were expected/);
  });

  it('leaves quoted and space-separated files to the whole-file reader', async () => {
    const quoted = file('stream-quoted.csv', 'a,b\n1,2\n"3",4\n');
    expect(readLargeDelimited(quoted, {}, tiny(4))).toBeNull();
    expect(rows(await readTable(quoted, {}, stdin(''), tiny(4)))).toEqual([[1, 2], [3, 4]]);
    expect(readLargeDelimited(file('stream-spaced.txt', '1 2\n3 4\n5 6\n'), {}, tiny(4))).toBeNull();
  });
});
