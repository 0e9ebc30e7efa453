// A config's fingerprint: a short hash of what a destructive command and the
// workers must agree on. Workers publish theirs in their identity; the CLI
// compares its own before it removes or overwrites anything (cli/context.ts).
import { createHash } from 'node:crypto';
import type { Config } from './schema.ts';

/**
 * What must match, and why:
 * - `temporal.namespace`, `temporal.task_queue`: which deployment's workers run the work;
 * - every host's name, `backy2_config` and `state_dir` (as resolved paths): which
 *   stores a purge or restore reads and changes;
 * - every workload's pool, `live_for_days` and `keep` (left out when unset, so a
 *   config without keep rules keeps its fingerprint), `purge.min_age_days`,
 *   `restore.keep_aside_days`: the CLI puts them into the purge and restore
 *   inputs, so a different value removes different versions or images;
 * - `compute.driver`: with `none` a restore does not stop the VM first.
 * Left out, because they may differ between an operator's machine and a backup
 * host without harm, or the workers decide with their own: the Temporal address,
 * TLS files and Web UI link, tool paths, OpenStack credentials and timeouts, the
 * inventory, project assignments, exclusions and Schedules.
 */
export function configFingerprint(config: Config): string {
  const essentials = {
    namespace: config.temporal.namespace,
    taskQueue: config.temporal.task_queue,
    hosts: config.hosts.map((h) => ({ name: h.name, backy2Config: h.backy2_config, stateDir: h.state_dir })).sort((a, b) => a.name.localeCompare(b.name)),
    workloads: Object.entries(config.workloads)
      .filter(([, w]) => w !== undefined)
      .map(([name, w]) => ({ name, pool: w!.pool, liveForDays: w!.live_for_days, ...(w!.keep ? { keep: w!.keep } : {}) }))
      .sort((a, b) => a.name.localeCompare(b.name)),
    minAgeDays: config.purge.min_age_days,
    keepAsideDays: config.restore.keep_aside_days,
    computeDriver: config.compute.driver,
  };
  return createHash('sha256').update(JSON.stringify(essentials)).digest('hex').slice(0, 12);
}

/** A worker's Temporal identity: `<host>@<pid> config:<fingerprint>`. */
export function workerIdentity(host: string, pid: number, fingerprint: string): string {
  return `${host}@${pid} config:${fingerprint}`;
}

/** The fingerprint a worker's identity publishes, or undefined (an older worker, or not one of ours). */
export function fingerprintOfIdentity(identity: string): string | undefined {
  return / config:([0-9a-f]{12})$/.exec(identity)?.[1];
}
