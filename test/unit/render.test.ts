// The listing renderer in the openstack CLI's forms: what a script cuts out
// of `-f value -c uid`, what a spreadsheet reads from `-f csv`.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { InvalidInputError } from '../../lib/errors.ts';
import { type Field, type Format, renderListing } from '../../cli/output/render.ts';

interface Version {
  uid: string;
  date: string;
  size: number;
  valid: boolean;
  note?: string;
}
const rows: Version[] = [
  { uid: 'u-1', date: '2026-11-25T20:01:02.000Z', size: 2048, valid: true, note: 'say "hi", twice' },
  { uid: 'u-2', date: '2026-11-24T20:01:02.000Z', size: 1024, valid: false },
];
const fields: Field<Version>[] = [
  { header: 'DATE', value: (r) => r.date.slice(0, 10), raw: (r) => r.date },
  { header: 'UID', value: (r) => r.uid },
  { header: 'SIZE', value: (r) => `${r.size / 1024} KiB`, raw: (r) => r.size, align: 'right' },
  { header: 'VALID', value: (r) => r.valid },
  { header: 'ON CEPH', value: (r) => r.note },
  { header: 'URL', value: (r) => `http://ui/${r.uid}`, onRequest: true },
];
const render = (format: Format, columns: string[] = [], extra: { document?: unknown; empty?: string; rows?: Version[] } = {}) =>
  renderListing({ format, columns }, { rows: extra.rows ?? rows, fields, ...extra });

test('-f value: values only, space-separated, one row per line; -c picks and orders', () => {
  assert.equal(render('value', ['uid']), 'u-1\nu-2');
  assert.equal(render('value', ['size', 'UID']), '2048 u-1\n1024 u-2');
  assert.equal(render('value', ['valid', 'on-ceph']), 'true say "hi", twice\nfalse ');
});

test('-f csv: a quoted header of column names, then rows with numbers bare and text quoted', () => {
  assert.equal(render('csv', ['uid', 'size', 'on_ceph']), '"uid","size","on-ceph"\n"u-1",2048,"say ""hi"", twice"\n"u-2",1024,""');
  assert.equal(render('csv', ['uid'], { rows: [] }), '"uid"');
});

test('-f json: an array of objects keyed by column name with raw values; a document stays a document unless -c picks', () => {
  assert.deepEqual(JSON.parse(render('json', ['uid', 'date'])), [
    { uid: 'u-1', date: '2026-11-25T20:01:02.000Z' },
    { uid: 'u-2', date: '2026-11-24T20:01:02.000Z' },
  ]);
  assert.deepEqual(JSON.parse(render('json'))[1], { date: '2026-11-24T20:01:02.000Z', uid: 'u-2', size: 1024, valid: false, 'on-ceph': null });
  assert.deepEqual(JSON.parse(render('json', [], { document: { vm: 'x', versions: [] } })), { vm: 'x', versions: [] });
  assert.deepEqual(JSON.parse(render('json', ['uid'], { document: { vm: 'x' } })), [{ uid: 'u-1' }, { uid: 'u-2' }]);
});

test('-f table: formatted cells; -c narrows the table; no rows gives the command\'s sentence', () => {
  assert.equal(render('table', ['uid', 'size']), 'UID   SIZE\nu-1  2 KiB\nu-2  1 KiB');
  assert.equal(render('table', [], { rows: [], empty: 'no backups of VM x' }), 'no backups of VM x');
  assert.doesNotMatch(render('table'), /URL|http/);
  assert.equal(render('value', ['url']), 'http://ui/u-1\nhttp://ui/u-2');
});

test('an unknown column is refused with the valid names listed', () => {
  assert.throws(
    () => render('value', ['uid', 'colour']),
    (err: unknown) => err instanceof InvalidInputError && /-c\/--column 'colour': no such column \(valid: date, uid, size, valid, on-ceph, url\)/.test(err.message),
  );
});
