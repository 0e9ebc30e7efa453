// Naming a VM by id or by name (lib/fleet/resolve-disk.ts), and where a manual
// backup goes (lib/fleet/placement.ts): the rules every command that takes a VM follows.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AmbiguousNameError, InvalidInputError, UnknownVmError } from '../../lib/errors.ts';
import type { InventoryDisk } from '../../lib/fleet/inventory.ts';
import { backupPlacement } from '../../lib/fleet/placement.ts';
import { DiskRef, resolveDisk } from '../../lib/fleet/resolve-disk.ts';

const disk = (id: string, name: string, projectId?: string): InventoryDisk => ({ id, name, projectId, image: `${id}_disk`, onCeph: true });
const assignments = { default: 'backup1', projects: { ops: 'backup2', lab: 'ignore' } };
const vm = { noun: 'VM', allowUnlisted: true };

test('a name the inventory gives one VM resolves to its id, project and assigned host', () => {
  const r = resolveDisk('web01', [disk('a1', 'web01', 'ops')], assignments, vm);
  assert.deepEqual(r, { id: 'a1', name: 'web01', projectId: 'ops', assignedHost: 'backup2', via: 'inventory' });
});

test('a name several VMs carry is refused (exit 2) with every candidate: id, project, host', () => {
  const matches = [disk('b2', 'web01', 'lab'), disk('a1', 'web01', 'ops'), disk('c3', 'web01')];
  assert.throws(
    () => resolveDisk('web01', matches, assignments, vm),
    (err: unknown) => {
      assert.ok(err instanceof AmbiguousNameError);
      assert.ok(err instanceof InvalidInputError, 'exits 2 as any bad input');
      assert.deepEqual(err.candidates, [
        { id: 'a1', name: 'web01', project: 'ops', host: 'backup2' },
        { id: 'b2', name: 'web01', project: 'lab', host: '-' },
        { id: 'c3', name: 'web01', project: '-', host: '-' },
      ]);
      assert.match(err.message, /^3 VMs are named 'web01'; nothing was done:\n {2}a1  project ops  host backup2\n {2}b2  project lab  host -\n {2}c3  project -    host -$/);
      assert.match(err.hint ?? '', /by its id/);
      return true;
    },
  );
});

test('an id wins over a name: a VM whose name is another VM\'s id does not make that id ambiguous', () => {
  // "id that looks like a name": VM x9 is called "a1", and a1 is a VM's id.
  const matches = [disk('a1', 'web01'), disk('x9', 'a1')];
  assert.equal(resolveDisk('a1', matches, assignments, vm).id, 'a1');
  // …and a VM named like an id, when no VM has that id, resolves by name.
  assert.equal(resolveDisk('a1', [disk('x9', 'a1')], assignments, vm).id, 'x9');
});

test('unknown: a well-formed id the inventory lacks is taken as an id where allowed (a deleted VM), else exit 3', () => {
  assert.deepEqual(resolveDisk('gone-vm', [], assignments, vm), { id: 'gone-vm', name: '', via: 'id' });
  assert.throws(() => resolveDisk('gone-vm', [], assignments, { noun: 'VM', allowUnlisted: false }), UnknownVmError);
  // A name that could not be an id ("web 01") is unknown even where ids are taken as is.
  assert.throws(() => resolveDisk('web 01', [], assignments, vm), (err: unknown) => err instanceof UnknownVmError && /no VM with the id or name 'web 01'/.test(err.message));
});

test('a VM argument: any name Nova allows, no control characters, at most 255 characters', () => {
  assert.ok(DiskRef.safeParse('web 01 (old)').success);
  assert.ok(!DiskRef.safeParse('').success);
  assert.ok(!DiskRef.safeParse('web\n01').success);
  assert.ok(!DiskRef.safeParse('x'.repeat(256)).success);
});

test("a manual backup goes to its project's assigned host; --host overrides with a warning only when it disagrees", () => {
  const config = { project_assignments: assignments };
  assert.deepEqual(backupPlacement(config, { id: 'a1', projectId: 'ops' }, {}), { host: 'backup2', project: 'ops', warnings: [] });
  assert.deepEqual(backupPlacement(config, { id: 'a1', projectId: 'ops' }, { host: 'backup2' }).warnings, []);
  const over = backupPlacement(config, { id: 'a1', projectId: 'ops' }, { host: 'backup1' });
  assert.equal(over.host, 'backup1');
  assert.deepEqual(over.warnings, ['--host backup1 overrides the assignment: project ops is backed up on backup2 (project_assignments.projects.ops)']);
  // No project in the inventory: only project_assignments.default speaks for it.
  assert.equal(backupPlacement(config, { id: 'a1', projectId: undefined }, {}).host, 'backup1');
});

test('without --host, an ignored or unassigned project is refused (exit 2), saying how to go ahead', () => {
  const config = { project_assignments: assignments };
  assert.throws(() => backupPlacement(config, { id: 'a1', projectId: 'lab' }, {}), (err: unknown) => err instanceof InvalidInputError && /project lab is ignored \(project_assignments.projects.lab\)/.test(err.message) && /--host/.test(err.hint ?? ''));
  assert.throws(() => backupPlacement({ project_assignments: { projects: {} } }, { id: 'a1', projectId: 'p' }, {}), /assigned to no host/);
  assert.equal(backupPlacement(config, { id: 'a1', projectId: 'lab' }, { host: 'backup1' }).warnings.length, 1);
});
