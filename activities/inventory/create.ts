// The inventory driver the config names.
import type { LoadedConfig } from '../../lib/config/load.ts';
import { InvalidInputError } from '../../lib/errors.ts';
import type { Workload } from '../../lib/naming.ts';
import type { Rbd } from '../ceph/rbd.ts';
import type { InventoryDriver } from './inventory-driver.ts';
import { LocalInventory } from './local.ts';
import { OpenstackInventory } from './openstack.ts';

export function createInventoryDriver(config: LoadedConfig, rbd: Rbd, log?: (message: string) => void): InventoryDriver {
  switch (config.inventory.driver) {
    case 'local':
      return new LocalInventory(config.inventory.file, (workload) => rbd.listImages(workloadPool(config, workload)));
    case 'openstack':
      return new OpenstackInventory({ bin: config.compute.openstack_bin, env: config.compute.openstack_env, log });
  }
}

/** The pool of a configured workload; an unconfigured one is refused, since nothing of it is backed up. */
export function workloadPool(config: LoadedConfig, workload: Workload): string {
  const configured = config.workloads[workload];
  if (!configured) throw new InvalidInputError(`${config.source}: workloads.${workload} is not configured; there is no pool to take its inventory from`);
  return configured.pool;
}
