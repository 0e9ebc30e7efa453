// The worker of one backup host: `backup-host.ts --host NAME [--config FILE]`.
//
// It polls two queues: the shared queue of fleet-wide workflows, and its own
// host queue, which carries each single-disk workflow of this host and the
// activities that must run where this host's backy2 store lives.
// SIGTERM/SIGINT stop polling, let running activities finish or be cancelled,
// then exit (the SDK's Runtime installs those signal handlers).
import { rmSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { log as activityLog } from '@temporalio/activity';
import { Client, Connection } from '@temporalio/client';
import { bundleWorkflowCode, DefaultLogger, NativeConnection, Runtime, Worker } from '@temporalio/worker';
import { createAsideActivities } from '../activities/aside-activities.ts';
import { createBackupActivities } from '../activities/backup-activities.ts';
import { createFleetActivities } from '../activities/fleet-activities.ts';
import { createHostDeps } from '../activities/host-deps.ts';
import { createInvalidVersionActivities } from '../activities/invalid-version-activities.ts';
import { createInventoryActivities } from '../activities/inventory-activities.ts';
import { createInventoryDriver } from '../activities/inventory/create.ts';
import { createDiskLocks, createLockActivities } from '../activities/lock-activities.ts';
import { createPurgeActivities } from '../activities/purge-activities.ts';
import { createRestoreActivities } from '../activities/restore-activities.ts';
import { createSnapshotActivities } from '../activities/snapshot-activities.ts';
import { createUnhandledActivities } from '../activities/unhandled-activities.ts';
import { createStoreActivities } from '../activities/store-activities.ts';
import { createVersionActivities } from '../activities/version-activities.ts';
import { createVerifyActivities } from '../activities/verify-activities.ts';
import { createDrillActivities } from '../activities/drill-activities.ts';
import { configFingerprint, workerIdentity } from '../lib/config/fingerprint.ts';
import { configPath, hostConfig, loadConfig } from '../lib/config/load.ts';
import { VmbackupError } from '../lib/errors.ts';
import { hostTaskQueue } from '../lib/task-queues.ts';
import { tlsOptions } from '../lib/temporal/connection.ts';
import { lockHost } from './host-lock.ts';

const WORKFLOWS = fileURLToPath(new URL('../workflows/index.ts', import.meta.url));

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      host: { type: 'string' },
      config: { type: 'string' },
      'log-level': { type: 'string', default: 'INFO' },
      'pid-file': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help || !values.host) {
    console.log('usage: backup-host.ts --host NAME [--config FILE] [--log-level DEBUG|INFO|WARN|ERROR] [--pid-file FILE]');
    process.exit(values.help ? 0 : 2);
  }
  const config = loadConfig(configPath(values.config));
  const host = hostConfig(config, values.host);
  // Before anything else: a second worker of this host, or of its store, must not start at all.
  const unlock = lockHost(config, host);
  Runtime.install({ logger: new DefaultLogger(values['log-level'] as 'INFO') });

  // With mTLS, this host's own client certificate (hosts[].temporal_tls) when it has one.
  const tls = tlsOptions(config.temporal, host);
  const connection = await NativeConnection.connect({ address: config.temporal.address, tls });
  // Activities that read visibility (who else is using this store) need a client.
  const clientConnection = await Connection.connect({ address: config.temporal.address, tls });
  const temporal = new Client({ connection: clientConnection, namespace: config.temporal.namespace });
  const deps = createHostDeps(config, host);
  // Its CLI calls are logged like every other command: through the activity logger.
  const inventory = createInventoryDriver(config, deps.rbd, (message) => activityLog.info(message));
  // Both workers run the same workflow code: bundle it once (a second bundle costs seconds of start-up).
  const workflowBundle = await bundleWorkflowCode({ workflowsPath: WORKFLOWS, logger: Runtime.instance().logger });
  const common = { connection, namespace: config.temporal.namespace, identity: workerIdentity(host.name, process.pid, configFingerprint(config)), workflowBundle };
  const workflowWorker = await Worker.create({
    ...common,
    taskQueue: config.temporal.task_queue,
  });
  const hostWorker = await Worker.create({
    ...common,
    taskQueue: hostTaskQueue(config.temporal.task_queue, host.name),
    activities: { ...createBackupActivities(deps), ...createRestoreActivities(deps), ...createVersionActivities(deps), ...createAsideActivities(deps, { temporal }), ...createPurgeActivities(deps, createDiskLocks(temporal, config.workloads)), ...createInventoryActivities({ ...deps, inventory, config }), ...createStoreActivities({ temporal }), ...createFleetActivities({ config, hostName: host.name, temporal, inventory }), ...createSnapshotActivities(deps, { temporal }), ...createInvalidVersionActivities(deps, { temporal }), ...createUnhandledActivities({ ...deps, config, inventory, temporal }), ...createLockActivities({ temporal }), ...createVerifyActivities(deps, { config }), ...createDrillActivities(deps, { config }) },
    maxConcurrentActivityTaskExecutions: host.concurrency * 4,
    // Progress reaches `vmbackup backup --wait` and the Web UI every few seconds, not every 16.
    maxHeartbeatThrottleInterval: '3s',
  });
  if (values['pid-file']) writeFileSync(values['pid-file'], `${process.pid}\n`);
  console.log(`[worker ${host.name}] polling ${config.temporal.task_queue} and ${hostTaskQueue(config.temporal.task_queue, host.name)} at ${config.temporal.address}, config ${config.source} (fingerprint ${configFingerprint(config)})`);
  try {
    await Promise.all([workflowWorker.run(), hostWorker.run()]);
  } finally {
    await connection.close();
    await clientConnection.close();
    if (values['pid-file']) rmSync(values['pid-file'], { force: true });
    unlock();
  }
  console.log(`[worker ${host.name}] stopped`);
}

main().catch((err: unknown) => {
  console.error(`[worker] ${err instanceof Error ? err.message : String(err)}`);
  if (err instanceof VmbackupError && err.hint) console.error(err.hint);
  process.exit(1);
});
