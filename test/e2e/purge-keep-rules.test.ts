// Keep rules (workloads.vms.keep) against real backy2: forty nights of versions
// made with real `backy2 backup` runs, tagged as the backup activity tags them
// and then backdated (as purge-expired.test.ts does), so the run takes seconds.
// The dry run must name the rule that keeps each version, and `--yes --plan`
// must remove exactly the versions no rule or guard keeps, and nothing else.
//
// A private backy2 store of a private backup host: the versions are this file's alone.
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { execa } from 'execa';
import yaml from 'js-yaml';
import { expiryTag, periodicTags } from '../../lib/backup-tags.ts';
import type { PurgeExpiredResult } from '../../lib/operations/purge.ts';
import { startWorker, type WorkerProcess } from '../../scripts/support/worker-process.ts';
import { vmbackupConfirmed, vmbackupWith } from '../support/cli.ts';
import { createDisk, MiB, removeDisk } from '../support/disks.ts';
import { makePrivateStore } from '../support/private-store.ts';
import { backdatedStore } from '../support/backdated-store.ts';
import { config, CONFIG_FILE, POOL, rbd, uniqueVmId } from '../support/stack.ts';

const store = backdatedStore('purge-keep');
const { host: HOST, dir: DIR, storeCfg: STORE_CFG, configFile: CONFIG, sqlite, uidsOf } = store;
const SNAP = 'night';
const AS_OF = '2001-02-10T06:00:00.000Z'; // the morning after night 40
const KEEP = { last: 2, daily: 3, weekly: 2, monthly: 2 };

const source = uniqueVmId('keep-src');
const A = `${uniqueVmId('keep-40')}_disk`;
const B = `${uniqueVmId('keep-other')}_disk`;
let image: string | undefined;
let worker: WorkerProcess | undefined;

/** Night `n` of January 2001 (n > 31 runs on into February) at 02:00 UTC. */
const night = (n: number) => new Date(Date.UTC(2001, 0, n, 2));

before(async () => {
  mkdirSync(join(DIR, 'state'), { recursive: true });
  await makePrivateStore(DIR);
  const base = yaml.load(readFileSync(CONFIG_FILE, 'utf8')) as { workloads: { vms: Record<string, unknown> } };
  writeFileSync(
    CONFIG,
    yaml.dump({
      ...base,
      hosts: [{ name: HOST, backy2_config: STORE_CFG, state_dir: join(DIR, 'state') }],
      project_assignments: {},
      workloads: { ...base.workloads, vms: { ...base.workloads.vms, live_for_days: 8, keep: KEEP } },
    }),
  );
  worker = await startWorker(HOST, CONFIG);
  image = await createDisk(source, 4 * MiB);
  await rbd('snap', 'create', `${POOL}/${image}@${SNAP}`);
});
after(async () => {
  await worker?.stop();
  if (image) await removeDisk(image);
  rmSync(DIR, { recursive: true, force: true });
});

/** A real backup of the small source disk recorded as version `name`, dated `at` in backy2's metadata. */
async function backupAt(name: string, at: Date, tags: string[]): Promise<string> {
  const uid = await store.backupAt(`${POOL}/${image}@${SNAP}`, name, at, tags);
  // backy2 2.9 tags a version it was given no -t for by its own rule, against the
  // real clock (b_daily, b_weekly, b_monthly here, as the store's versions are
  // backdated); a version made by tooling that tagged nothing has none.
  if (tags.length === 0) await sqlite(`DELETE FROM tags WHERE version_uid = '${uid}'`);
  return uid;
}

/** Nights 1-40 of disk `name`, tagged as the backup activity tags (periodicTags over the valid versions so far), less `missed`. */
async function nights(name: string, from: number, missed: number[], untagged: number[] = []): Promise<Map<number, string>> {
  const made: Array<{ date: Date; tags: string[] }> = [];
  const uid = new Map<number, string>();
  for (let n = from; n <= 40; n++) {
    if (missed.includes(n)) continue;
    // Night 3 was made by older tooling: no tags at all.
    const tags = untagged.includes(n) ? [] : ['differential_backup', ...periodicTags(night(n), made), expiryTag(night(n), 8)];
    uid.set(n, await backupAt(name, night(n), tags));
    made.push({ date: night(n), tags });
  }
  return uid;
}

test('keep rules: the dry run names the rule that keeps each version; --yes --plan removes exactly the rest', { timeout: 600_000 }, async () => {
  const a = await nights(A, 1, [20, 38], [3]);
  const b = await nights(B, 39, []);
  await execa(config.engine.bin, ['-c', STORE_CFG, 'protect', a.get(12)!]);
  // A scrub found night 33 bad after later nights were tagged: no slot for it; it goes by its expiry (Feb 10, not over).
  await sqlite(`UPDATE versions SET valid = 0 WHERE uid = '${a.get(33)!}'`);
  const before = { a: await uidsOf(A), b: await uidsOf(B) };

  // Newest first over the valid, unprotected versions: last 40, 39; daily 37, 36, 35; weekly (1, 8, 15, 22, 29, 36):
  // 36 is a daily already, so 29, 22; monthly (Jan 1 = night 1, Feb 1 = night 32): 32, 1.
  const expected: Record<number, string> = {
    40: 'keep-last 1/2',
    39: 'keep-last 2/2',
    37: 'keep-daily 1/3',
    36: 'keep-daily 2/3',
    35: 'keep-daily 3/3',
    29: 'keep-weekly 1/2',
    22: 'keep-weekly 2/2',
    32: 'keep-monthly 1/2',
    1: 'keep-monthly 2/2',
    12: 'protected',
    33: 'not-expired',
  };
  const gone = [...a].filter(([n]) => expected[n] === undefined).map(([, u]) => u);
  assert.equal(gone.length, 38 - 11);

  // The dry run as an operator reads it: one line per version with its verdict.
  const text = await vmbackupWith(CONFIG, 'purge', '--host', HOST, '--as-of', AS_OF, '--dry-run');
  assert.equal(text.exitCode, 0, text.stderr);
  for (const [n, rule] of Object.entries(expected)) {
    assert.match(text.stdout, new RegExp(`${A}\\s+\\S+ \\S+\\s+${a.get(Number(n))}\\s+keep: ${rule}\\n`), `night ${n}: ${rule}`);
  }
  assert.match(text.stdout, new RegExp(`${a.get(3)}\\s+remove: beyond keep rules \\(last 2, daily 3, weekly 2, monthly 2\\)\\n`), 'untagged: no slot');
  assert.match(text.stdout, new RegExp(`${a.get(34)}\\s+remove: beyond keep rules \\(.*\\), before its expiry\\n`));
  assert.match(text.stdout, new RegExp(`${B}\\s+\\S+ \\S+\\s+${b.get(40)}\\s+keep: keep-last 1/2`));
  assert.match(text.stdout, /to carry out this plan: vmbackup --config \S+ purge --host \S+ --as-of \S+ --yes --plan \S+/);

  // `--disk` narrows the listing, not the plan.
  const narrowed = await vmbackupWith(CONFIG, '-o', 'json', 'purge', '--host', HOST, '--as-of', AS_OF, '--dry-run', '--disk', B);
  const n = (JSON.parse(narrowed.stdout) as { results: PurgeExpiredResult[] }).results[0]!;
  assert.deepEqual(n.listing?.disks.map((d) => d.name), [B]);
  assert.equal(n.removed.length, gone.length);
  assert.deepEqual({ a: await uidsOf(A), b: await uidsOf(B) }, before, 'the dry runs removed nothing');

  // Carried out as an operator does it: the JSON dry run, then --yes --plan.
  const { dryRun, run } = await vmbackupConfirmed(CONFIG, 'purge', '--host', HOST, '--as-of', AS_OF);
  const plan = (JSON.parse(dryRun.stdout) as { results: PurgeExpiredResult[] }).results[0]!;
  const listed = new Map(plan.listing!.disks.find((d) => d.name === A)!.versions.map((v) => [v.uid, v.keep]));
  for (const [night, rule] of Object.entries(expected)) assert.equal(listed.get(a.get(Number(night))!), rule, `night ${night} in the JSON listing`);
  assert.deepEqual(plan.removed.map((v) => v.uid).sort(), [...gone].sort());

  assert.equal(run.exitCode, 0, run.stderr);
  const r = (JSON.parse(run.stdout) as { results: PurgeExpiredResult[] }).results[0]!;
  assert.deepEqual(r.removed.map((v) => v.uid).sort(), [...gone].sort());
  assert.deepEqual(await uidsOf(A), before.a.filter((u) => !gone.includes(u)), 'exactly the versions no rule or guard keeps are gone');
  assert.deepEqual(await uidsOf(B), before.b, 'the other disk is untouched');
  assert.deepEqual(r.kept.byReason, { 'keep-last': 4, 'keep-daily': 3, 'keep-weekly': 2, 'keep-monthly': 2, protected: 1, 'not-expired': 1 });
  const left = (await sqlite(`SELECT uid, valid, protected FROM versions WHERE name = '${A}' AND uid IN ('${a.get(12)}', '${a.get(33)}') ORDER BY date`)).stdout;
  assert.equal(left, `${a.get(12)}|1|1\n${a.get(33)}|0|0`, 'the protected and the invalid one are left as they were');
});
