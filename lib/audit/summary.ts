// What an operation says of itself in the Web UI: a one-line staticSummary the
// workflow list shows ("restore web01 (project demo) to 2026-11-20 on
// backup1"), and staticDetails (markdown) on its page. Computed from the
// start's search attributes and input, so the CLI (cli/audit-stamp.ts), the
// Schedules (lib/schedules.ts) and the workflows' children (workflows/audit.ts)
// word them alike. Pure: workflows import it.
import type { SearchAttributePair } from '@temporalio/common';

/** The verb of each workflow type, as an auditor reads it. */
const VERBS: Record<string, string> = {
  backupInstance: 'backup',
  restoreInstance: 'restore',
  rescueInstance: 'rescue',
  restoreProject: 'restore project',
  nightlyBackups: 'night',
  purgeExpired: 'purge',
  purgeAside: 'purge aside images',
  listAside: 'list aside images',
  putBackAside: 'put back aside image',
  listBackups: 'list versions',
  listInventory: 'list inventory',
  verifyBackups: 'verify',
  restoreDrill: 'restore drill',
  removeInvalids: 'remove invalid versions',
  removeUnhandled: 'remove unhandled versions',
  danglingSnapshots: 'dangling snapshots',
  nightForecast: 'night forecast',
  takeoverReport: 'takeover report',
};

/** The Web UI cuts long summaries; the server refuses oversized metadata. Keep well under both. */
const MAX_SUMMARY = 200;

export interface StartFacts {
  workflowType: string;
  attributes: readonly SearchAttributePair[];
  /** The workflow's first argument; a summary reads only the fields of InputFacts. */
  input?: object | undefined;
  /** A restore's target: the date of the version it restores. */
  versionDate?: string | undefined;
}

/** What a summary reads of a workflow's input, whichever workflow it is. */
interface InputFacts {
  dryRun?: boolean;
  at?: string;
  project?: string;
  versionUid?: string;
  takeover?: unknown;
}

/** One attribute's value by name (KEYWORD attributes are strings). */
export function attributeOf(attributes: readonly SearchAttributePair[], name: string): string | undefined {
  const v = attributes.find((a) => a.key.name === name)?.value;
  return typeof v === 'string' ? v : undefined;
}

const NOUNS: Record<string, string> = { volumes: 'volume ', images: 'image ' };

/** "restore web01 (project demo) to 2026-11-20 on backup1". */
export function startSummary(f: StartFacts): string {
  const a = (name: string) => attributeOf(f.attributes, name);
  const input = f.input as InputFacts | undefined;
  const verb = VERBS[f.workflowType] ?? f.workflowType;
  const vm = a('VmName') || a('VmId');
  const workload = a('Workload');
  const project = a('Project') ?? input?.project;
  const to = f.versionDate ?? input?.at;
  const parts = [
    input?.dryRun ? `dry run: ${verb}` : verb,
    f.workflowType === 'nightlyBackups' ? `of ${input?.takeover ? 'takeover ' : ''}${workload ?? 'vms'}` : undefined,
    vm ? `${NOUNS[workload ?? ''] ?? ''}${vm}` : undefined,
    project && project !== 'unknown' ? (f.workflowType === 'restoreProject' ? project : `(project ${project})`) : undefined,
    to ? `to ${to.slice(0, 10)}` : undefined,
    a('BackupHost') ? `on ${a('BackupHost')}` : undefined,
  ];
  const line = parts.filter((p) => p !== undefined).join(' ');
  return line.length > MAX_SUMMARY ? `${line.slice(0, MAX_SUMMARY - 1)}…` : line;
}

/** Markdown for the workflow's page: every fact the summary drew on, one per line. */
export function startDetails(f: StartFacts, summary = startSummary(f)): string {
  const input = f.input as InputFacts | undefined;
  const lines = [`**${summary}**`, ''];
  for (const name of ['StartedBy', 'Operation', 'VmId', 'VmName', 'Project', 'Workload', 'BackupHost']) {
    const v = attributeOf(f.attributes, name);
    if (v) lines.push(`- ${name}: \`${v}\``);
  }
  if (input?.versionUid) lines.push(`- version: \`${input.versionUid}\`${f.versionDate ? ` (${f.versionDate})` : ''}`);
  if (input?.at) lines.push(`- as of: ${input.at}`);
  if (input?.dryRun) lines.push('- dry run: changes nothing');
  lines.push(`- workflow type: \`${f.workflowType}\``);
  return lines.join('\n');
}
