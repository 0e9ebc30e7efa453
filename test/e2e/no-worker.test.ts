// With no worker on any backup host (this file's own task queue has none), the
// read-only commands answer at once, name every silent host and exit 1,
// instead of waiting for a worker that is not coming.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { vmbackup } from '../support/cli.ts';
import { config } from '../support/stack.ts';

const hosts = config.hosts.map((h) => h.name);

test('ls with no worker anywhere: exit 1, every host named, no claim that there are no backups', async () => {
  const r = await vmbackup('ls', 'some-vm');
  assert.equal(r.exitCode, 1, r.stderr);
  for (const h of hosts) assert.match(r.stderr, new RegExp(`host ${h} did not answer: no worker is polling its task queue`));
  assert.match(r.stdout, new RegExp(`no backups of VM some-vm on the 0 of ${hosts.length} hosts that answered`));

  const json = await vmbackup('-o', 'json', 'ls', 'some-vm');
  assert.equal(json.exitCode, 1);
  const body = JSON.parse(json.stdout) as { versions: unknown[]; errors: Array<{ host: string }> };
  assert.deepEqual(body.versions, []);
  assert.deepEqual(body.errors.map((e) => e.host).sort(), [...hosts].sort());
});

test('restore with no worker anywhere: exit 1 naming every silent host, never "no such version"; nothing started', async () => {
  // What an operator meets right after Temporal restarts, before the workers poll it again.
  const vm = 'some-vm';
  for (const args of [['restore', vm, '--yes'], ['restore', vm, '--version', '2ac24c4a-e316-11ea-939c-b02628295df0', '--yes']]) {
    const r = await vmbackup(...args);
    assert.equal(r.exitCode, 1, r.stderr);
    assert.match(r.stderr, new RegExp(`no backup host answered \\(${hosts.map((h) => `${h}: no worker is polling its task queue`).join('; ')}\\): the versions of VM ${vm} cannot be looked up; nothing was started`));
    assert.match(r.stderr, /hint: Start the hosts' workers/);
    assert.doesNotMatch(r.stderr, /no version|has no backup/);
  }
});
