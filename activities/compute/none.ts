// The `none` compute driver: for disks with no VM and for the embedded local
// stack. It knows no servers, so a restore neither stops nor starts anything:
// the operator states the VM is stopped (the watcher check still applies).
import { InvalidInputError } from '../../lib/errors.ts';
import type { ComputeDriver, ServerState } from './compute-driver.ts';

export class NoneComputeDriver implements ComputeDriver {
  readonly kind = 'none' as const;

  async show(): Promise<ServerState | undefined> {
    return undefined;
  }

  async stop(): Promise<void> {}

  async start(): Promise<void> {}

  async create(): Promise<{ id: string }> {
    throw new InvalidInputError('the `none` compute driver cannot create servers: configure compute.driver: openstack');
  }

  async listServers(): Promise<ServerState[]> {
    throw new InvalidInputError('the `none` compute driver knows no servers: configure compute.driver: openstack');
  }
}
