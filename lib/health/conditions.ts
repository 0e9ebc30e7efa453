// The conditions an operator alerts on, judged from fetched facts: pure
// functions, so every rule is unit-tested without a Temporal. Each finding is
// one line a monitoring system shows as it is (`CRITICAL: host backup1: …`).
import type { MonitoringConfig } from '../config/schema.ts';
import type { HostFacts, NightFacts, RunFact } from './facts.ts';

/** Nagios/Icinga plugin states, by their exit codes. */
export const NAGIOS = { OK: 0, WARNING: 1, CRITICAL: 2, UNKNOWN: 3 } as const;
export type Severity = keyof typeof NAGIOS;

export interface Finding {
  severity: Severity;
  host: string;
  /** A stable name scripts can match on: no-worker, no-successful-night, schedule-paused, … */
  condition: string;
  message: string;
}

export interface Verdict {
  severity: Severity;
  exitCode: number;
  findings: Finding[];
}

type Thresholds = Pick<MonitoringConfig, 'night_max_age_hours' | 'night_window_hours'>;

/** Every finding of one host; none means the host is healthy. */
export function judgeHost(facts: HostFacts, thresholds: Thresholds, now: Date): Finding[] {
  const out: Finding[] = [];
  const add = (severity: Severity, condition: string, message: string) => out.push({ severity, host: facts.host, condition, message: `host ${facts.host}: ${message}` });
  if (facts.pollers === 0) add('CRITICAL', 'no-worker', `no worker is polling its queue ${facts.queue}: nothing of this host runs`);
  for (const night of facts.nights) judgeNight(night, thresholds, now, add);
  for (const s of facts.schedules) {
    if (!s.exists) add('WARNING', 'schedule-missing', `Schedule ${s.scheduleId} is in the config but not in Temporal: run \`vmbackup schedule apply\``);
    // A paused night stops backups; a paused purge, verify or drill only delays housekeeping.
    else if (s.paused) add(isWorkload(s.kind) ? 'CRITICAL' : 'WARNING', 'schedule-paused', `Schedule ${s.scheduleId} is paused${s.note ? ` (${s.note})` : ''}: \`vmbackup schedule unpause\` resumes it`);
  }
  for (const c of facts.checks) {
    const last = c.last;
    if (!last) continue; // never ran yet: the missing Schedule or the night says more
    if (last.status === 'COMPLETED' && last.outcome === 'failed') add('CRITICAL', `${c.kind}-failed`, `the last ${c.kind} (${last.workflowId}, ${last.closedAt}) found bad versions: see its summary`);
    else if (last.status !== 'COMPLETED') add('WARNING', `${c.kind}-did-not-finish`, `the last ${c.kind} (${last.workflowId}) ended ${last.status.toLowerCase()}`);
  }
  return out;
}

function judgeNight(night: NightFacts, t: Thresholds, now: Date, add: (s: Severity, condition: string, message: string) => void): void {
  const w = night.workload;
  const hoursSince = (iso: string) => (now.getTime() - Date.parse(iso)) / 3_600_000;
  if (!night.lastSuccess) {
    // A host just set up has had no night yet: worth a look, not a page.
    if (!night.running) add('WARNING', 'no-successful-night', `${w}: no successful night yet`);
  } else if (hoursSince(night.lastSuccess.closedAt) > t.night_max_age_hours) {
    add('CRITICAL', 'no-successful-night', `${w}: no successful night for ${Math.floor(hoursSince(night.lastSuccess.closedAt))} h (since ${night.lastSuccess.closedAt}; limit ${t.night_max_age_hours} h)`);
  }
  const last = night.last;
  if (last && last.workflowId !== night.lastSuccess?.workflowId) judgeFailedNight(w, last, add);
  else if (last?.outcome === 'partial') add('WARNING', 'night-disks-failed', `${w}: ${last.failedDisks ?? 'some'} disk(s) failed in the last night (${last.workflowId})`);
  if (night.running && hoursSince(night.running.startedAt) > t.night_window_hours) {
    add('WARNING', 'night-too-long', `${w}: the night ${night.running.workflowId} has run ${hoursSince(night.running.startedAt).toFixed(1)} h (window ${t.night_window_hours} h)`);
  }
}

function judgeFailedNight(w: string, last: RunFact, add: (s: Severity, condition: string, message: string) => void): void {
  if (last.outcome === 'unreachable') add('CRITICAL', 'night-host-unreachable', `${w}: the last night (${last.workflowId}) found no worker of the host`);
  else add('CRITICAL', 'night-failed', `${w}: the last night (${last.workflowId}) ended ${last.status.toLowerCase()}`);
}

const isWorkload = (kind: string) => kind === 'vms' || kind === 'volumes' || kind === 'images';

/** The worst finding decides; none is OK. */
export function verdict(findings: readonly Finding[]): Verdict {
  const order: Severity[] = ['OK', 'WARNING', 'CRITICAL', 'UNKNOWN'];
  const severity = findings.reduce<Severity>((worst, f) => (order.indexOf(f.severity) > order.indexOf(worst) ? f.severity : worst), 'OK');
  return { severity, exitCode: NAGIOS[severity], findings: [...findings].sort((a, b) => order.indexOf(b.severity) - order.indexOf(a.severity)) };
}

/** Plugin output: the findings one per line, worst first, or one OK line naming what was checked. */
export function renderLines(v: Verdict, hosts: readonly string[]): string[] {
  if (v.findings.length === 0) return [`OK: ${hosts.length} host(s) healthy: ${hosts.join(', ')}`];
  return v.findings.map((f) => `${f.severity}: ${f.message}`);
}
