// What a backup host's activities need, built once per worker from the config.
import { join } from 'node:path';
import { log } from '@temporalio/activity';
import type { HostConfig } from '../lib/config/schema.ts';
import type { LoadedConfig } from '../lib/config/load.ts';
import { Rbd } from './ceph/rbd.ts';
import { Backy2Engine } from './engine/backy2.ts';
import type { BackupEngine } from './engine/engine.ts';
import type { ComputeDriver } from './compute/compute-driver.ts';
import { createComputeDriver } from './compute/create.ts';

export interface HostDeps {
  host: HostConfig;
  rbd: Rbd;
  engine: BackupEngine;
  compute: ComputeDriver;
  /** Folders under the host's state_dir. */
  paths: { hints: string; run: string; metadata: string; verify: string };
}

/** Command lines are logged through the activity logger, so they land in the worker log with the workflow id. */
const logCommand = (message: string) => log.info(message);

export function createHostDeps(config: LoadedConfig, host: HostConfig): HostDeps {
  return {
    host,
    rbd: new Rbd({ conf: config.ceph.conf, bin: config.ceph.rbd_bin, id: config.ceph.id, log: logCommand }),
    engine: new Backy2Engine({ bin: config.engine.bin, configFile: host.backy2_config, log: logCommand, stallSeconds: config.engine.stall_seconds }),
    compute: createComputeDriver(config.compute, logCommand),
    paths: { hints: join(host.state_dir, 'hints'), run: join(host.state_dir, 'run'), metadata: join(host.state_dir, 'metadata'), verify: join(host.state_dir, 'verify') },
  };
}
