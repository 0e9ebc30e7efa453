// The compute driver the config names.
import type { ComputeConfig } from '../../lib/config/schema.ts';
import type { ComputeDriver } from './compute-driver.ts';
import { NoneComputeDriver } from './none.ts';

export function createComputeDriver(config: ComputeConfig): ComputeDriver {
  switch (config.driver) {
    case 'none':
      return new NoneComputeDriver();
    case 'openstack':
      throw new Error('the openstack compute driver is being wired in');
  }
}
