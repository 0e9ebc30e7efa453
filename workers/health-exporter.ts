// The facts an alert needs that no activity sees, exported as gauges by the
// worker of each host: from Temporal (its nights, Schedules, pollers, last
// verify and drill: lib/health/facts.ts, the same `vmbackup check` reads) and
// from its store and Ceph (versions, stale disks, snapshots left behind, the
// store's file system). Refreshed on an interval, not at scrape time: the SDK
// serves /metrics itself, and a scrape must never wait on Temporal or rbd.
import { statfs } from 'node:fs/promises';
import type { Client } from '@temporalio/client';
import type { MetricMeter } from '@temporalio/common';
import { Runtime } from '@temporalio/worker';
import { backy2Setting } from '../activities/engine/backy2-config.ts';
import { Rbd } from '../activities/ceph/rbd.ts';
import { Backy2Engine } from '../activities/engine/backy2.ts';
import { readLastInventory } from '../activities/inventory/last-inventory-file.ts';
import type { LoadedConfig } from '../lib/config/load.ts';
import type { HostConfig } from '../lib/config/schema.ts';
import type { LastInventory } from '../lib/fleet/last-inventory.ts';
import { fetchHostFacts, type HostFacts } from '../lib/health/facts.ts';
import { leftBehindSnapshots, storeFacts } from '../lib/health/store-facts.ts';
import { METRICS } from '../lib/metrics.ts';
import type { Workload } from '../lib/naming.ts';

/** The store and Ceph are read every this many refreshes: `rbd ls -l` opens every image of a pool. */
const STORE_EVERY = 5;

export interface HealthExporter {
  /** Stops refreshing; waits for a refresh under way. */
  stop(): Promise<void>;
}

export function startHealthExporter(deps: { config: LoadedConfig; host: HostConfig; temporal: Client; log: { debug(m: string): void; warn(m: string): void } }): HealthExporter {
  // Its own rbd and engine: the activities' log through the activity context, which is not here.
  const { config, host } = deps;
  const debug = (m: string) => deps.log.debug(m);
  const store: StoreReaders = {
    rbd: new Rbd({ conf: config.ceph.conf, bin: config.ceph.rbd_bin, id: config.ceph.id, log: debug }),
    engine: new Backy2Engine({ bin: config.engine.bin, configFile: host.backy2_config, log: debug }),
  };
  const meter = Runtime.instance().metricMeter.withTags({ host: deps.host.name });
  const gauge = (name: string, unit: string, description: string) => meter.createGauge(name, 'float', unit, description);
  const g = {
    pollers: gauge(METRICS.queuePollers, '1', "workers polling the host's activity queue, as Temporal sees them"),
    nightLastSuccess: gauge(METRICS.nightLastSuccess, 's', 'when the newest successful night (ok or partial) of the workload closed; 0 never'),
    nightLastFailed: gauge(METRICS.nightLastFailed, '1', '1 when the newest closed night failed, timed out, was terminated or found no worker'),
    nightRunning: gauge(METRICS.nightRunning, 's', 'how long the running night has run (since its first run); 0 when none runs'),
    paused: gauge(METRICS.schedulePaused, '1', '1 when the Schedule is paused'),
    missing: gauge(METRICS.scheduleMissing, '1', '1 when the config asks for the Schedule and Temporal has none'),
    checkFailed: gauge(METRICS.checkLastFailed, '1', '1 when the newest verify/drill found bad versions or did not complete'),
    checkLast: gauge(METRICS.checkLastRun, 's', 'when the newest verify/drill closed'),
    versions: gauge(METRICS.storeVersions, '1', 'versions in the store, by state'),
    logical: gauge(METRICS.storeLogicalBytes, 'By', "sum of the valid versions' disk sizes"),
    fsSize: gauge(METRICS.storeFsSize, 'By', "size of the file system holding the store's data"),
    fsAvail: gauge(METRICS.storeFsAvail, 'By', "bytes available on the file system holding the store's data"),
    disks: gauge(METRICS.disksBackedUp, '1', 'disks still in the inventory that have versions in this store'),
    stale: gauge(METRICS.disksStale, '1', 'of those, disks whose newest valid version is older than monitoring.stale_backup_days'),
    leftBehind: gauge(METRICS.snapshotsLeftBehind, '1', "this host's snapshots in Ceph no valid version was made from (over 10 min old)"),
    refreshOk: gauge(METRICS.refreshOk, '1', '1 when the last refresh of this source succeeded'),
    refreshLast: gauge(METRICS.refreshLast, 's', 'when this source was last refreshed successfully'),
  };
  let round = 0;
  let inFlight: Promise<void> | undefined;
  const refresh = async (source: 'temporal' | 'store', work: () => Promise<void>) => {
    try {
      await work();
      g.refreshOk.set(1, { source });
      g.refreshLast.set(Date.now() / 1000, { source });
    } catch (err) {
      g.refreshOk.set(0, { source });
      deps.log.warn(`metrics: ${source} facts not refreshed: ${(err as Error).message}`);
    }
  };
  const tick = () => {
    // One refresh at a time: a slow Temporal or rbd skips a round instead of piling them up.
    if (inFlight) return;
    const withStore = round % STORE_EVERY === 0;
    round += 1;
    inFlight = (async () => {
      await refresh('temporal', async () => exportHostFacts(g, (await fetchHostFacts(deps.temporal, config, [host]))[0]!));
      if (withStore) await refresh('store', () => exportStore(g, config, host, store));
    })().finally(() => (inFlight = undefined));
  };
  // Not awaited: the worker starts polling at once; the gauges appear with the first refresh.
  tick();
  const timer = setInterval(tick, config.monitoring.refresh_seconds * 1000);
  timer.unref();
  return {
    async stop() {
      clearInterval(timer);
      await inFlight;
    },
  };
}

type Gauges = Record<string, ReturnType<MetricMeter['createGauge']>>;

function exportHostFacts(g: Gauges, facts: HostFacts): void {
  g.pollers!.set(facts.pollers, {});
  for (const n of facts.nights) {
    const tags = { workload: n.workload };
    g.nightLastSuccess!.set(n.lastSuccess ? Date.parse(n.lastSuccess.closedAt) / 1000 : 0, tags);
    const failed = n.last !== undefined && n.last.workflowId !== n.lastSuccess?.workflowId;
    g.nightLastFailed!.set(failed ? 1 : 0, tags);
    g.nightRunning!.set(n.running ? (Date.now() - Date.parse(n.running.startedAt)) / 1000 : 0, tags);
  }
  for (const s of facts.schedules) {
    g.paused!.set(s.paused ? 1 : 0, { kind: s.kind });
    g.missing!.set(s.exists ? 0 : 1, { kind: s.kind });
  }
  for (const c of facts.checks) {
    if (!c.last) continue;
    const failed = c.last.status !== 'COMPLETED' || c.last.outcome === 'failed';
    g.checkFailed!.set(failed ? 1 : 0, { kind: c.kind });
    g.checkLast!.set(Date.parse(c.last.closedAt) / 1000, { kind: c.kind });
  }
}

interface StoreReaders {
  rbd: Pick<Rbd, 'listPoolSnapshots'>;
  engine: Pick<Backy2Engine, 'listVersions'>;
}

async function exportStore(g: Gauges, config: LoadedConfig, host: HostConfig, deps: StoreReaders): Promise<void> {
  const now = new Date();
  const workloads = (['vms', 'volumes', 'images'] as const).filter((w) => config.workloads[w] !== undefined);
  const pools = [...new Set(workloads.map((w: Workload) => config.workloads[w]!.pool))];
  const dataPath = backy2Setting(host.backy2_config, 'DataBackend', 'path');
  // Everything read first, then every gauge set: a scrape never sees half a refresh.
  const [versions, snapshots, fs] = await Promise.all([
    deps.engine.listVersions(),
    Promise.all(pools.map((pool) => deps.rbd.listPoolSnapshots(pool))).then((lists) => lists.flat()),
    dataPath ? statfs(dataPath) : Promise.resolve(undefined),
  ]);
  const inventories = workloads.map((w) => readLastInventory(host.state_dir, w)).filter((i): i is LastInventory => i !== undefined);
  const facts = storeFacts(versions, inventories, config.monitoring.stale_backup_days, now);
  g.versions!.set(facts.validVersions, { state: 'valid' });
  g.versions!.set(facts.invalidVersions, { state: 'invalid' });
  g.logical!.set(facts.logicalBytes, {});
  for (const w of facts.workloads) {
    g.disks!.set(w.disks, { workload: w.workload });
    g.stale!.set(w.stale, { workload: w.workload });
  }
  if (fs) {
    g.fsSize!.set(fs.blocks * fs.bsize, {});
    g.fsAvail!.set(fs.bavail * fs.bsize, {});
  }
  g.leftBehind!.set(leftBehindSnapshots(snapshots, versions, host.name, now), {});
}
