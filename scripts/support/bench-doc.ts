// The figure tables of docs/performance.md, generated from docs/bench/results.json
// (what `npm run bench` writes), so a figure is written in one place only: the
// doc carries the method and what a figure means, results.json the number.
// test/unit/bench-doc.test.ts fails when the doc is stale or a key has no row.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const BENCH_RESULTS_FILE = 'docs/bench/results.json';
export const BENCH_DOC_FILE = 'docs/performance.md';

interface Figure {
  key: string;
  meaning: string;
  /** What the figure should be; empty for a figure that only explains another. */
  target?: string;
}

/** Targets of the form `≤ X`, `≥ X` or `X–Y` are judged against the figure: the table says `(missed)`. */
function meets(target: string, v: number): boolean | undefined {
  const n = (t: string) => Number(t.replace(/,/g, ''));
  let m = /^≤ ([\d.,]+)$/.exec(target);
  if (m) return v <= n(m[1]!);
  m = /^≥ ([\d.,]+)$/.exec(target);
  if (m) return v >= n(m[1]!);
  m = /^([\d.,]+)–([\d.,]+)$/.exec(target);
  if (m) return v >= n(m[1]!) && v <= n(m[2]!);
  return undefined;
}

function targetCell(f: Figure, results: Record<string, unknown>): string {
  if (!f.target) return '';
  const v = results[f.key];
  return typeof v === 'number' && meets(f.target, v) === false ? `${f.target} (**missed**)` : f.target;
}

/** Each table: its name in the doc's markers (`<!-- bench:NAME:start -->`) and its rows. */
export const BENCH_TABLES: Record<string, Figure[]> = {
  backup: [
    { key: 'image_mib', meaning: 'size of the random test image, MiB' },
    { key: 'incremental_changed_mib', meaning: 'MiB changed before the incremental (5 %)' },
    { key: 'runs_per_case', meaning: 'runs per case; each figure is their median' },
    { key: 'workflow_overhead_ratio', meaning: '**full backup: workflow / by hand**', target: '≤ 1.10' },
    { key: 'workflow_incremental_overhead_ratio', meaning: '**incremental backup: workflow / by hand**', target: '≤ 1.10' },
    { key: 'full_backup_ratio', meaning: 'full backup: workflow / raw `rbd export-diff`' },
    { key: 'incremental_backup_ratio', meaning: 'incremental backup: workflow / raw `rbd export-diff`' },
    { key: 'backy2_full_ratio', meaning: 'full backup: backy2 by hand / raw `rbd export-diff`' },
    { key: 'backy2_incremental_ratio', meaning: 'incremental backup: backy2 by hand / raw `rbd export-diff`' },
    { key: 'workflow_full_seconds', meaning: 'full backup through the workflow, seconds' },
    { key: 'backy2_full_seconds', meaning: 'full backup by hand, seconds' },
    { key: 'export_diff_full_seconds', meaning: 'raw full `rbd export-diff` to /dev/null, seconds' },
    { key: 'workflow_incremental_seconds', meaning: 'incremental backup through the workflow, seconds' },
    { key: 'backy2_incremental_seconds', meaning: 'incremental backup by hand, seconds' },
    { key: 'export_diff_incremental_seconds', meaning: 'raw incremental `rbd export-diff`, seconds' },
    { key: 'workflow_full_bytes_read_mib', meaning: 'MiB backy2 read in the full backup through the workflow', target: 'the whole image' },
    { key: 'workflow_incremental_bytes_read_mib', meaning: 'MiB backy2 read in the incremental through the workflow', target: 'the changed blocks only' },
  ],
  restore: [
    { key: 'restore_overhead_ratio', meaning: '**restore: workflow / backy2 by hand**', target: '≤ 1.10' },
    { key: 'restore_ratio', meaning: 'restore: workflow / `rbd import`' },
    { key: 'backy2_restore_ratio', meaning: 'restore: backy2 by hand / `rbd import`' },
    { key: 'restore_workflow_seconds', meaning: '`restoreInstance` in place, seconds' },
    { key: 'restore_backy2_seconds', meaning: '`backy2 restore -s` by hand into a new image, seconds' },
    { key: 'restore_rbd_import_seconds', meaning: '`rbd import` of the same bytes from a file, seconds' },
  ],
  fleet: [
    { key: 'fleet_vms', meaning: 'VM disks in the fleet' },
    { key: 'fleet_children_per_run', meaning: 'children per night run before continue-as-new' },
    { key: 'fleet_vms_per_minute', meaning: 'disks backed up per minute, both hosts' },
    { key: 'fleet_overhead_ratio', meaning: '**workflow / script wall time**', target: '≤ 1.10' },
    { key: 'fleet_workflow_seconds', meaning: 'the measured night through the workflows, seconds' },
    { key: 'fleet_baseline_seconds', meaning: 'the same backups by the script, seconds' },
    { key: 'fleet_history_events_max', meaning: 'largest single workflow history, events', target: 'bounded by the children per run' },
    { key: 'fleet_workflow_cpu_seconds', meaning: 'busy CPU-seconds of the machine, workflow pass' },
    { key: 'fleet_baseline_cpu_seconds', meaning: 'busy CPU-seconds of the machine, script pass' },
    { key: 'fleet_temporal_server_cpu_seconds', meaning: 'of the workflow pass: the Temporal dev server' },
    { key: 'fleet_worker_node_cpu_seconds', meaning: "of the workflow pass: the workers' Node processes" },
    { key: 'fleet_worker_tools_cpu_seconds', meaning: 'of the workflow pass: the tools the workers ran' },
    { key: 'fleet_baseline_tools_cpu_seconds', meaning: 'of the script pass: the tools' },
  ],
  scale: [
    { key: 'scale_disks', meaning: 'servers in the inventory' },
    { key: 'scale_versions', meaning: 'versions in the store' },
    { key: 'scale_nightly_plan_seconds', meaning: 'a dry-run night: inventory, plan, summary, seconds (median of 3)' },
    { key: 'scale_restore_lookup_seconds', meaning: "one disk's versions found among all for a restore (`listBackups`), seconds (median of 3)" },
    { key: 'scale_restore_dry_run_seconds', meaning: '`vmbackup restore VM --dry-run`, wall time with the CLI start, seconds' },
    { key: 'scale_max_payload_bytes', meaning: 'largest payload of one event in any of their histories, bytes', target: 'far below 2 MB (Temporal refuses more)' },
    { key: 'scale_max_history_events', meaning: 'largest history, events' },
    { key: 'scale_max_history_bytes', meaning: 'largest history, bytes' },
  ],
  verify: [
    { key: 'verify_versions_gib', meaning: 'GiB of versions scrubbed' },
    { key: 'verify_gib_per_minute', meaning: '`verifyBackups`, GiB of versions per minute' },
    { key: 'verify_raw_gib_per_minute', meaning: '`backy2 scrub`, GiB of versions per minute' },
    { key: 'verify_ratio', meaning: '**scrub rate: workflow / raw**', target: '≥ 1' },
    { key: 'verify_workflow_seconds', meaning: '`verifyBackups`, seconds' },
    { key: 'verify_raw_seconds', meaning: '`backy2 scrub`, seconds' },
  ],
  plan: [
    { key: 'plan_disks', meaning: 'disks in the predicted night' },
    { key: 'plan_new_disks', meaning: 'of them new (a full copy)' },
    { key: 'plan_nights_fitted', meaning: 'nights the model is fitted from' },
    { key: 'plan_error_ratio', meaning: '**predicted / measured night**', target: '0.75–1.33' },
    { key: 'plan_predicted_seconds', meaning: 'predicted night, seconds' },
    { key: 'plan_measured_seconds', meaning: 'measured night, seconds' },
    { key: 'plan_fixed_seconds_per_disk', meaning: 'fixed cost per disk, fitted, seconds' },
  ],
  faults: [
    { key: 'faults_tried', meaning: 'cases of the `test/e2e/fault-*` files run' },
    { key: 'faults_passed', meaning: 'of them passed', target: 'all' },
    { key: 'soak_runs', meaning: 'soak runs, each with the worker SIGKILLed at a random moment' },
    { key: 'soak_byte_identical', meaning: 'of them restored byte-identical', target: 'all' },
  ],
};

/** A figure as results.json has it; a key not measured yet says so. */
function value(results: Record<string, unknown>, key: string): string {
  const v = results[key];
  return v === undefined ? 'not measured' : String(v);
}

/** The Markdown table of one group. */
export function benchTable(name: string, results: Record<string, unknown>): string {
  const rows = BENCH_TABLES[name];
  if (!rows) throw new Error(`no bench table ${name}`);
  return [
    '| figure | key | value | target |',
    '|---|---|---|---|',
    // The headline figures (meaning in bold) carry their value in bold too.
    ...rows.map((f) => `| ${f.meaning} | \`${f.key}\` | ${f.meaning.startsWith('**') ? `**${value(results, f.key)}**` : value(results, f.key)} | ${targetCell(f, results)} |`),
  ].join('\n');
}

/** `page` with every `<!-- bench:NAME:start -->…<!-- bench:NAME:end -->` filled from `results`. */
export function withBenchFigures(page: string, results: Record<string, unknown>): string {
  return page.replace(/(<!-- bench:([a-z]+):start -->)[\s\S]*?(<!-- bench:\2:end -->)/g, (_m, start: string, name: string, end: string) => `${start}\n${benchTable(name, results)}\n${end}`);
}

/** Keys of results.json that no table shows (a new figure needs a row and its meaning). */
/** Rewrites docs/performance.md's tables from docs/bench/results.json; says whether anything changed. */
export function updateBenchDoc(root: string): string {
  const results = JSON.parse(readFileSync(join(root, BENCH_RESULTS_FILE), 'utf8')) as Record<string, unknown>;
  const before = readFileSync(join(root, BENCH_DOC_FILE), 'utf8');
  const after = withBenchFigures(before, results);
  if (after !== before) writeFileSync(join(root, BENCH_DOC_FILE), after);
  const missing = keysWithoutRow(results);
  return `${BENCH_DOC_FILE}: ${after === before ? 'up to date' : 'updated'}${missing.length ? `; no row for ${missing.join(', ')} (add one to scripts/support/bench-doc.ts)` : ''}`;
}

export function keysWithoutRow(results: Record<string, unknown>): string[] {
  const shown = new Set(Object.values(BENCH_TABLES).flatMap((rows) => rows.map((r) => r.key)));
  return Object.keys(results).filter((k) => !shown.has(k));
}
