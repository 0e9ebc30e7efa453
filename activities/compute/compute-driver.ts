// What a restore or rescue needs of the compute service: look at a server,
// stop it, start it, create one. Waiting until a server is really off or on is
// the caller's job (it polls show() and heartbeats).

export type ServerState = {
  id: string;
  name: string;
  /** ACTIVE, SHUTOFF, BUILD, ERROR, … */
  status: string;
  projectId: string;
  flavor?: string;
  image?: string;
  networks: Record<string, string[]>;
  securityGroups: string[];
  volumes: string[];
  /** The server's metadata (Nova `metadata`, the CLI's `properties`); read by show() only. */
  properties?: Record<string, string>;
};

export interface ComputeDriver {
  readonly kind: 'openstack' | 'none';
  /** undefined: no such server. */
  show(serverId: string): Promise<ServerState | undefined>;
  /** Idempotent: already SHUTOFF is fine. */
  stop(serverId: string): Promise<void>;
  /** Idempotent: already ACTIVE is fine. */
  start(serverId: string): Promise<void>;
  /** `properties` become the server's metadata (e.g. the mark of the rescue that made it). */
  create(spec: { name: string; projectId: string; flavor: string; image: string; network: string; properties?: Record<string, string> }): Promise<{ id: string }>;
  listServers(): Promise<ServerState[]>;
}
