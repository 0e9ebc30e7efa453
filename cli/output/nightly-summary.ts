// A nightly summary as an operator reads it: the counts, then the disks that
// were skipped or failed with their reason, then what was backed up. The
// summary lists the first entries of each (lib/operations/nightly.ts); a cut
// list ends with "… and N more", and where the rest are.
import { type NightlySummary, unlisted } from '../../lib/operations/nightly.ts';
import { formatBytes, formatDuration } from './format.ts';
import { renderTable } from './table.ts';

export function renderNightlySummary(s: NightlySummary, workflowId: string): string {
  const c = s.counts;
  const head: Array<[string, string]> = [
    ['host / workload', `${s.host} / ${s.workload}${s.dryRun ? ' (dry run: nothing backed up)' : ''}`],
    ['inventory', `${s.inventory.disks} disks (${s.inventory.driver}, ${s.inventory.takenAt})`],
    ['backed up', `${c.full + c.incremental} of ${c.planned} (${c.full} full, ${c.incremental} incremental)`],
    ['skipped', `${c.skipped}${Object.keys(s.skippedByCode).length ? ` (${Object.entries(s.skippedByCode).map(([k, n]) => `${k} ${n}`).join(', ')})` : ''}`],
    ['failed', String(c.failed)],
    ['read / written', `${formatBytes(s.bytesRead)} / ${formatBytes(s.bytesWritten)}`],
    ['took', s.durationSeconds === undefined ? 'running' : `${formatDuration(s.durationSeconds * 1000)} in ${s.runs} run(s)`],
  ];
  if (s.unreachable) head.unshift(['HOST UNREACHABLE', s.unreachable]);
  const t = s.takeover;
  if (t) {
    const snapshots = s.dryRun ? `${t.from}'s snapshots on each go once its backup here is valid` : `${t.removedSnapshots} snapshots of ${t.from} removed`;
    head.unshift(['takeover', `of lost host ${t.from}: the disks assigned here with no valid version here (${c.planned}); ${snapshots}`]);
  }
  if (s.waitedFor.length) head.push(['waited for', s.waitedFor.join(', ')]);
  const parts = [renderTable(head, [{ header: 'NIGHT', value: (r) => r[0] }, { header: workflowId, value: (r) => r[1] }])];
  const more = unlisted(s);
  const children = `each disk's backup is a child workflow of ${workflowId}`;
  if (s.failed.length) {
    const table = renderTable(s.failed, [{ header: 'FAILED', value: (d) => d.id }, { header: 'NAME', value: (d) => d.name }, { header: 'PROJECT', value: (d) => d.projectId }, { header: 'ERROR', value: (d) => d.error }]);
    parts.push(table + andMore(more.failed, `failed (${children})`));
  }
  if (s.skipped.length) {
    const table = renderTable(s.skipped, [{ header: 'SKIPPED', value: (d) => d.id }, { header: 'NAME', value: (d) => d.name }, { header: 'PROJECT', value: (d) => d.projectId }, { header: 'REASON', value: (d) => d.reason }]);
    parts.push(table + andMore(more.skipped, `skipped (${skippedUnlisted(s)})`));
  }
  if (t?.snapshotsKept.length) parts.push(renderTable(t.snapshotsKept, [{ header: `SNAPSHOTS OF ${t.from} KEPT`, value: (line) => line }]));
  if (s.dryRun && t?.planned.length) {
    const table = renderTable(t.planned, [{ header: 'WOULD BACK UP', value: (d) => d.id }, { header: 'NAME', value: (d) => d.name }, { header: 'PROJECT', value: (d) => d.projectId }, { header: 'DISK', value: (d) => d.image }]);
    parts.push(table + andMore(c.planned - t.planned.length, 'to back up'));
  }
  if (s.backedUp.length) {
    parts.push(
      renderTable(s.backedUp, [
        { header: 'BACKED UP', value: (d) => d.id },
        { header: 'NAME', value: (d) => d.name },
        { header: 'PROJECT', value: (d) => d.projectId },
        { header: 'KIND', value: (d) => d.kind },
        { header: 'READ', value: (d) => formatBytes(d.bytesRead), align: 'right' },
        { header: 'WRITTEN', value: (d) => formatBytes(d.bytesWritten), align: 'right' },
        { header: 'VERSION', value: (d) => d.versionUid },
      ]) + andMore(more.backedUp, `backed up (${children})`),
    );
  }
  return parts.join('\n\n');
}

const andMore = (n: number, what: string) => (n > 0 ? `\n… and ${n} more ${what}` : '');

/** The skips left out, by code: "not-on-ceph 9950, other-host 12". */
function skippedUnlisted(s: NightlySummary): string {
  const listed = new Map<string, number>();
  for (const d of s.skipped) listed.set(d.code, (listed.get(d.code) ?? 0) + 1);
  return Object.entries(s.skippedByCode)
    .map(([code, n]) => [code, n - (listed.get(code) ?? 0)] as const)
    .filter(([, n]) => n > 0)
    .map(([code, n]) => `${code} ${n}`)
    .join(', ');
}
