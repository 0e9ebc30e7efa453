// A nightly summary as an operator reads it: the counts, then every disk that
// was skipped or failed with its reason, then what was backed up.
import type { NightlySummary } from '../../lib/operations/nightly.ts';
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
  if (s.waitedFor.length) head.push(['waited for', s.waitedFor.join(', ')]);
  const parts = [renderTable(head, [{ header: 'NIGHT', value: (r) => r[0] }, { header: workflowId, value: (r) => r[1] }])];
  if (s.failed.length) {
    parts.push(renderTable(s.failed, [{ header: 'FAILED', value: (d) => d.id }, { header: 'NAME', value: (d) => d.name }, { header: 'PROJECT', value: (d) => d.projectId }, { header: 'ERROR', value: (d) => d.error }]));
  }
  if (s.skipped.length) {
    parts.push(renderTable(s.skipped, [{ header: 'SKIPPED', value: (d) => d.id }, { header: 'NAME', value: (d) => d.name }, { header: 'PROJECT', value: (d) => d.projectId }, { header: 'REASON', value: (d) => d.reason }]));
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
      ]),
    );
  }
  return parts.join('\n\n');
}
