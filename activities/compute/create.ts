// The compute driver the config names.
import type { ComputeConfig } from '../../lib/config/schema.ts';
import type { ComputeDriver } from './compute-driver.ts';
import { NoneComputeDriver } from './none.ts';
import { OpenstackComputeDriver } from './openstack.ts';

export function createComputeDriver(config: ComputeConfig, log?: (message: string) => void): ComputeDriver {
  switch (config.driver) {
    case 'none':
      return new NoneComputeDriver();
    case 'openstack':
      return new OpenstackComputeDriver({ bin: config.openstack_bin, env: config.openstack_env, log });
  }
}
