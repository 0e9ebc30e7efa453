// A verify or restore-drill summary as an operator reads it, in the nightly
// summary's style: what was checked, what failed (disk, version, what became of
// it, why), and which workflow to open for the rest.
import { type DrillSummary, SUMMARY_FAILED_NOTE, type VerifySummary } from '../../lib/operations/verify.ts';
import { formatBytes, formatDuration } from './format.ts';
import { renderTable } from './table.ts';

type Row = [string, string];

const plural = (n: number, noun: string) => `${n} ${noun}${n === 1 ? '' : 's'}`;

const took = (s: { durationSeconds?: number | undefined }, runs = 1) => (s.durationSeconds === undefined ? 'running' : `${formatDuration(s.durationSeconds * 1000)}${runs > 1 ? ` in ${runs} runs` : ''}`);

export function isVerifySummary(r: unknown): r is VerifySummary {
  return typeof r === 'object' && r !== null && 'scrub' in r && 'deep' in r;
}

export function isDrillSummary(r: unknown): r is DrillSummary {
  return typeof r === 'object' && r !== null && 'drilled' in r && 'scratchPool' in r;
}

export function renderCheckSummary(s: VerifySummary | DrillSummary, workflowId: string): string {
  const head: Row[] = isVerifySummary(s)
    ? [
        ['host', s.host],
        ['scrubbed', `${s.scrub.checked} of ${s.planned} planned (${s.versions} valid versions in scope): ${s.scrub.ok} sound, ${s.scrub.failed} failed`],
        ['deep check', `newest version of ${plural(s.deep.checked, 'disk')} against its snapshot: ${s.deep.ok} sound, ${s.deep.failed} failed; ${plural(s.deep.skipped, 'disk')} without a snapshot`],
        ['marked invalid', String(s.scrub.markedInvalid + s.deep.markedInvalid)],
        ['read', `${formatBytes(s.bytes)} of the store, ${formatBytes(s.deep.bytes)} by the deep check`],
        ['took', took(s, s.runs)],
      ]
    : [
        ['host', s.host],
        ['drilled', `${s.counts.checked} versions restored to scratch images in pool ${s.scratchPool}: ${s.counts.ok} sound, ${s.counts.failed} failed`],
        ['marked invalid', String(s.counts.markedInvalid)],
        ['read', formatBytes(s.bytes)],
        ['took', took(s)],
      ];
  const parts = [renderTable(head, [{ header: isVerifySummary(s) ? 'VERIFY' : 'DRILL', value: (r) => r[0] }, { header: workflowId, value: (r) => r[1] }])];
  if (s.failed.length) {
    parts.push(
      renderTable(s.failed, [
        { header: 'FAILED', value: (f) => f.image },
        { header: 'VERSION', value: (f) => f.uid },
        { header: 'STATE', value: (f) => f.state },
        { header: 'REASON', value: (f) => f.reason + (f.alsoInvalidCount ? ` (also invalid: ${f.alsoInvalidCount} versions sharing the block)` : '') },
      ]),
    );
    const total = isVerifySummary(s) ? s.scrub.failed + s.deep.failed : s.counts.failed;
    if (total > s.failed.length) parts.push(`… and ${total - s.failed.length} more failed: ${SUMMARY_FAILED_NOTE} ${workflowId}`);
  }
  if (!isVerifySummary(s) && s.drilled.length) {
    parts.push(
      renderTable(s.drilled, [
        { header: 'DRILLED', value: (d) => d.image },
        { header: 'VERSION', value: (d) => d.uid },
        { header: 'RESULT', value: (d) => (d.ok ? 'sound' : 'failed') },
        { header: 'READ', value: (d) => formatBytes(d.bytes), align: 'right' },
      ]),
    );
  }
  return parts.join('\n\n');
}

/** Exit 1 when a check failed, as a night with a failed disk does. */
export const checkFailed = (s: VerifySummary | DrillSummary) => (isVerifySummary(s) ? s.scrub.failed + s.deep.failed : s.counts.failed) > 0;
