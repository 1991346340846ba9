import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CsvFileError, parseCsv, withHeader } from './csv.ts';

test('quoted cells, embedded commas and line breaks, CRLF, BOM, blank lines: cells trimmed, rows with their first line', () => {
  const text = '\uFEFFname,note\r\n\r\n"a, b","two\r\nlines"\r\n c , d \r\n';
  assert.deepEqual(parseCsv(text, 'f.csv'), [
    { line: 1, cells: ['name', 'note'] },
    { line: 3, cells: ['a, b', 'two\r\nlines'] },
    { line: 5, cells: ['c', 'd'] },
  ]);
  assert.deepEqual(parseCsv('# about\nx\n', 'f.csv', { comment: '#' }), [{ line: 2, cells: ['x'] }]);
});

test('malformed CSV names the file, line and column', () => {
  assert.throws(
    () => parseCsv('a,b\n1,"2\n', 'data/f.csv'),
    /^CsvFileError: data\/f\.csv: line 2, column 2: Quote Not Closed: the parsing is finished with an opening quote$/,
  );
  assert.throws(
    () => parseCsv('a,b\n1,2\n3,x"y"\n', 'f.csv'),
    (e: unknown) => e instanceof CsvFileError && e.line === 3 && e.column === 2,
  );
});

test('a header row: columns by name, a missing required column is named', () => {
  const rows = parseCsv('id,size\n7,3\n', 'f.csv');
  assert.deepEqual(withHeader(rows, 'f.csv', ['id']), { column: { id: 0, size: 1 }, rows: [{ line: 2, cells: ['7', '3'] }] });
  assert.throws(
    () => withHeader(rows, 'f.csv', ['id', 'time', 'speed']),
    /^CsvFileError: f\.csv: line 1: missing column\(s\) time, speed$/,
  );
  assert.throws(() => withHeader([], 'f.csv', ['id']), /f\.csv: line 1: empty file/);
});
