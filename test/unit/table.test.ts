import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatBytes } from '../../cli/output/format.ts';
import { renderTable } from '../../cli/output/table.ts';

test('tables line up: every row has its columns at the same offsets, numbers right-aligned', () => {
  const out = renderTable(
    [
      { name: 'a', size: 1, ok: true },
      { name: 'longer-name', size: 12345, ok: false },
    ],
    [
      { header: 'NAME', value: (r) => r.name },
      { header: 'SIZE', value: (r) => r.size, align: 'right' },
      { header: 'OK', value: (r) => r.ok },
    ],
  );
  const lines = out.split('\n');
  assert.deepEqual(lines, ['NAME          SIZE  OK', 'a                1  yes', 'longer-name  12345  no']);
});

test('sizes read as an operator expects', () => {
  assert.equal(formatBytes(512), '512 B');
  assert.equal(formatBytes(64 * 1024 * 1024), '64.0 MiB');
  assert.equal(formatBytes(20401094656), '19.0 GiB');
  assert.equal(formatBytes(undefined), '-');
});
