// The worker of one backup host: `backup-host.ts --host NAME [--config FILE]`.
//
// It polls two queues: the shared queue of fleet-wide workflows, and its own
// host queue, which carries each single-disk workflow of this host and the
// activities that must run where this host's backy2 store lives.
// SIGTERM/SIGINT stop polling, give running activities --drain-seconds to
// finish, cancel the rest, then exit (the SDK's Runtime handles the signals;
// workers/drain.ts keeps a child's run from turning them into a kill).
// Logs: one logger for everything (workers/logging.ts), JSON lines by default.
import { rmSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { log as activityLog } from '@temporalio/activity';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Runtime, Worker } from '@temporalio/worker';
import { createAsideActivities } from '../activities/aside-activities.ts';
import { createBackupActivities } from '../activities/backup-activities.ts';
import { createFleetActivities } from '../activities/fleet-activities.ts';
import { createForecastActivities } from '../activities/forecast-activities.ts';
import { createHostDeps } from '../activities/host-deps.ts';
import { createInvalidVersionActivities } from '../activities/invalid-version-activities.ts';
import { createInventoryActivities } from '../activities/inventory-activities.ts';
import { createListingActivities } from '../activities/listing-activities.ts';
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
import { ConfigError, VmbackupError } from '../lib/errors.ts';
import { versionText } from '../lib/version.ts';
import { hostTaskQueue } from '../lib/task-queues.ts';
import { tlsOptions } from '../lib/temporal/connection.ts';
import { activityLogAttributes } from './activity-log-attributes.ts';
import { startHealthExporter } from './health-exporter.ts';
import { lockHost } from './host-lock.ts';
import { DrainSeconds, holdStopSignals } from './drain.ts';
import { coreLogging, createLogger, LOG_FORMATS, LOG_LEVELS, LogOptions } from './logging.ts';
import { WORKFLOW_BUNDLE_ENV, workflowBundleOption } from './workflow-bundle.ts';
import { metricsAddress, telemetryOptions, withMetricsHint } from './metrics.ts';

const USAGE = `usage: backup-host.ts --host NAME [--config FILE] [--log-level ${LOG_LEVELS.join('|')}] [--log-format ${LOG_FORMATS.join('|')}] [--workflow-bundle FILE] [--drain-seconds N] [--pid-file FILE] [--metrics-address HOST:PORT]
       backup-host.ts --version`;

// Until the options are read, errors are logged as JSON at INFO: what a service's log expects.
let logger = createLogger(LogOptions.parse({}));

/** Exit status of a usage or config error: the service manager does not restart on it (RestartPreventExitStatus=2). */
const EXIT_USAGE = 2;

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      host: { type: 'string' },
      config: { type: 'string' },
      'log-level': { type: 'string', default: 'INFO' },
      'log-format': { type: 'string', default: 'json' },
      // A bundle built by scripts/bundle-workflows.ts; without it the sources are bundled at start-up (dev).
      'workflow-bundle': { type: 'string', default: process.env[WORKFLOW_BUNDLE_ENV] || undefined },
      'drain-seconds': { type: 'string', default: '0' },
      'pid-file': { type: 'string' },
      'metrics-address': { type: 'string' },
      version: { type: 'boolean', short: 'V' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.version) {
    console.log(versionText());
    return;
  }
  const logOptions = LogOptions.safeParse({ level: values['log-level']?.toUpperCase(), format: values['log-format'] });
  const drainSeconds = DrainSeconds.safeParse(values['drain-seconds']);
  if (values.help || !values.host || !logOptions.success || !drainSeconds.success) {
    if (!logOptions.success) console.error(`backup-host.ts: ${logOptions.error.issues.map((i) => `--log-${String(i.path[0])}: ${i.message}`).join('; ')}`);
    if (!drainSeconds.success) console.error(`backup-host.ts: --drain-seconds: ${drainSeconds.error.issues.map((i) => i.message).join('; ')}`);
    console.log(USAGE);
    process.exit(values.help ? 0 : EXIT_USAGE);
  }
  logger = createLogger(logOptions.data);
  const config = loadConfig(configPath(values.config));
  const host = hostConfig(config, values.host);
  // Before anything else: a second worker of this host, or of its store, must not start at all.
  const unlock = lockHost(config, host);
  const metrics = metricsAddress(values['metrics-address'], host.metrics_address);
  withMetricsHint(metrics, () =>
    Runtime.install({
      logger,
      telemetryOptions: { logging: coreLogging(logOptions.data.level), ...telemetryOptions(metrics) },
    }),
  );
  holdStopSignals(logger, drainSeconds.data);

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
  const workflowBundle = await workflowBundleOption(values['workflow-bundle'], logger);
  const common = { connection, namespace: config.temporal.namespace, identity: workerIdentity(host.name, process.pid, configFingerprint(config)), workflowBundle, shutdownGraceTime: drainSeconds.data * 1000 };
  const workflowWorker = await Worker.create({
    ...common,
    taskQueue: config.temporal.task_queue,
  });
  const hostWorker = await Worker.create({
    ...common,
    taskQueue: hostTaskQueue(config.temporal.task_queue, host.name),
    activities: { ...createBackupActivities(deps), ...createRestoreActivities(deps), ...createVersionActivities(deps), ...createAsideActivities(deps, { temporal }), ...createPurgeActivities(deps, createDiskLocks(temporal, config.workloads)), ...createInventoryActivities({ ...deps, inventory, config }), ...createStoreActivities({ temporal }), ...createFleetActivities({ config, hostName: host.name, temporal, inventory }), ...createSnapshotActivities(deps, { temporal }), ...createInvalidVersionActivities(deps, { temporal }), ...createUnhandledActivities({ ...deps, config, inventory, temporal }), ...createLockActivities({ temporal }), ...createVerifyActivities(deps, { config }), ...createDrillActivities(deps, { config }), ...createForecastActivities({ ...deps, inventory, config }), ...createListingActivities(deps) },
    maxConcurrentActivityTaskExecutions: host.concurrency * 4,
    // Progress reaches `vmbackup backup --wait` and the Web UI every few seconds, not every 16.
    maxHeartbeatThrottleInterval: '3s',
    // Every activity log line names its disk (and the SDK's workflowId, activityType).
    interceptors: { activity: [activityLogAttributes] },
  });
  // Facts only Temporal or the store know (Schedules, pollers, stale disks), as gauges on the same endpoint.
  const exporter = metrics === undefined ? undefined : startHealthExporter({ config, host, temporal, log: Runtime.instance().logger });
  if (values['pid-file']) writeFileSync(values['pid-file'], `${process.pid}\n`);
  logger.info(`[worker ${host.name}] polling ${config.temporal.task_queue} and ${hostTaskQueue(config.temporal.task_queue, host.name)} at ${config.temporal.address}, config ${config.source} (fingerprint ${configFingerprint(config)})${metrics ? `, metrics at http://${metrics}/metrics` : ''}`, {
    host: host.name,
    version: versionText(),
    workflowBundle: values['workflow-bundle'] ?? 'bundled at start-up',
  });
  try {
    await Promise.all([workflowWorker.run(), hostWorker.run()]);
  } finally {
    await exporter?.stop();
    await connection.close();
    await clientConnection.close();
    if (values['pid-file']) rmSync(values['pid-file'], { force: true });
    unlock();
  }
  logger.info(`[worker ${host.name}] stopped`, { host: host.name });
}

main().catch((err: unknown) => {
  logger.error(`[worker] ${err instanceof Error ? err.message : String(err)}`, err instanceof VmbackupError && err.hint ? { hint: err.hint } : {});
  // A bad option (parseArgs) or config needs a person, not a restart; anything else may pass.
  const usage = err instanceof ConfigError || (err instanceof TypeError && String((err as { code?: unknown }).code).startsWith('ERR_PARSE_ARGS'));
  process.exit(usage ? EXIT_USAGE : 1);
});
