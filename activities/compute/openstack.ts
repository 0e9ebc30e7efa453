// The compute driver on the real `openstack` CLI (python-openstackclient). It
// runs one CLI process per call (about 1 s each, most of it Python start-up),
// always with `-f json`, and reads only the fields it needs, in both the shapes
// CLI versions print (structured JSON since 5.x, `key='value'` strings before).
import { z } from 'zod';
import { CommandError } from '../../lib/errors.ts';
import type { ComputeDriver, ServerState } from './compute-driver.ts';
import { checked, isNoVolumeService, OpenstackCli, type OpenstackOptions, OpenstackRef } from './openstack-cli.ts';

export type { OpenstackOptions };

/** Name of a server this driver creates; the same safe characters, so no name is read as an option. */
const ServerName = z
  .string()
  .min(1)
  .max(255)
  .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]*$/, 'a server name: letters, digits, ".", "_" or "-", starting with a letter or digit');

const IMAGE_BOOTED_FROM_VOLUME = 'N/A (booted from volume)';

/** Server metadata this driver sets: a plain key, and a value of safe characters (a workflow id); Nova caps both at 255. */
const PropertyKey = z.string().regex(/^[a-z][a-z0-9_]{0,254}$/, 'a property key: lower-case letters, digits and "_"');
const PropertyValue = z.string().min(1).max(255).regex(/^[A-Za-z0-9][A-Za-z0-9_.:/-]*$/, 'a property value: letters, digits, ".", "_", ":", "/" or "-"');

export class OpenstackComputeDriver implements ComputeDriver {
  readonly kind = 'openstack' as const;

  private readonly cli: OpenstackCli;

  constructor(options: OpenstackOptions) {
    this.cli = new OpenstackCli(options);
  }

  /** undefined when no server has this id (or this name, within the scoped project). */
  async show(serverId: string): Promise<ServerState | undefined> {
    try {
      const { stdout } = await this.run(['server', 'show', checked(OpenstackRef, serverId, 'server id'), '-f', 'json']);
      return fromShow(JSON.parse(stdout) as Record<string, unknown>);
    } catch (err) {
      if (isNoSuchServer(err)) return undefined;
      throw err;
    }
  }

  async stop(serverId: string): Promise<void> {
    try {
      await this.run(['server', 'stop', checked(OpenstackRef, serverId, 'server id')]);
    } catch (err) {
      // Nova answers 409 to a stop of a stopped (or stopping) server: that is the state asked for.
      if (isInvalidState(err, 'stop', /vm_state stopped|task_state powering-off/)) return;
      throw err;
    }
  }

  async start(serverId: string): Promise<void> {
    try {
      await this.run(['server', 'start', checked(OpenstackRef, serverId, 'server id')]);
    } catch (err) {
      if (isInvalidState(err, 'start', /vm_state active|task_state powering-on/)) return;
      throw err;
    }
  }

  /**
   * Creates the server in `projectId` by scoping the CLI's token to that
   * project (`--os-project-id`, which Keystone prefers to a project name from
   * the environment or clouds.yaml). Nova puts a server in its token's project
   * and has no field for another one (`--property` only sets metadata), so the
   * user needs a role in that project; an admin role elsewhere is not enough.
   * Application credentials are bound to one project and cannot be rescoped.
   */
  async create(spec: { name: string; projectId: string; flavor: string; image: string; network: string; properties?: Record<string, string> }): Promise<{ id: string }> {
    const args = [
      '--os-project-id',
      checked(OpenstackRef, spec.projectId, 'project id'),
      'server',
      'create',
      '--flavor',
      checked(OpenstackRef, spec.flavor, 'flavor'),
      '--image',
      checked(OpenstackRef, spec.image, 'image'),
      '--nic',
      `net-id=${checked(OpenstackRef, spec.network, 'network')}`,
      // `--property k=v` is sent as the server's `metadata` (python-novaclient ServerManager.create(meta=…)).
      ...Object.entries(spec.properties ?? {}).flatMap(([k, v]) => ['--property', `${checked(PropertyKey, k, 'property key')}=${checked(PropertyValue, v, 'property value')}`]),
      '-f',
      'json',
      checked(ServerName, spec.name, 'server name'),
    ];
    const { stdout } = await this.run(args);
    const id = (JSON.parse(stdout) as { id?: unknown }).id;
    if (typeof id !== 'string' || !id) throw new CommandError(`\`openstack server create\` printed no server id`, ['openstack', ...args], 0, stdout.slice(-2000));
    return { id };
  }

  /**
   * Every server of every project. `server list` prints no attached volumes,
   * so they come from `volume list` (run alongside: the wall time of one call).
   */
  async listServers(): Promise<ServerState[]> {
    const [servers, attachments] = await Promise.all([this.listRaw(), this.volumeAttachments()]);
    return servers.map((raw) => {
      const server = fromList(raw);
      server.volumes = attachments.get(server.id) ?? [];
      return server;
    });
  }

  private listRaw(): Promise<Array<Record<string, unknown>>> {
    return this.cli.serverRows(['ID', 'Name', 'Status', 'Networks', 'Image ID', 'Flavor ID', 'Flavor', 'Project ID', 'Security Groups']);
  }

  /** Server id → ids of the volumes attached to it; empty on a cloud without Cinder. */
  private async volumeAttachments(): Promise<Map<string, string[]>> {
    let stdout: string;
    try {
      ({ stdout } = await this.run(['volume', 'list', '--all-projects', '--long', '-c', 'ID', '-c', 'Attached to', '-f', 'json']));
    } catch (err) {
      if (isNoVolumeService(err)) return new Map();
      throw err;
    }
    const byServer = new Map<string, string[]>();
    for (const volume of JSON.parse(stdout || '[]') as Array<{ ID: string; 'Attached to'?: unknown }>) {
      for (const serverId of attachedServers(volume['Attached to'])) byServer.set(serverId, [...(byServer.get(serverId) ?? []), volume.ID]);
    }
    return byServer;
  }

  private run(args: string[]) {
    return this.cli.run(args);
  }
}

export function isNoSuchServer(err: unknown): boolean {
  return err instanceof CommandError && /No server with a name or ID of/.test(err.stderrTail);
}

function isInvalidState(err: unknown, action: string, state: RegExp): boolean {
  return err instanceof CommandError && err.stderrTail.includes(`Cannot '${action}' instance`) && state.test(err.stderrTail);
}

/** A `server show -f json` object as a ServerState. */
export function fromShow(raw: Record<string, unknown>): ServerState {
  return {
    id: String(raw.id),
    name: String(raw.name ?? ''),
    status: String(raw.status ?? ''),
    projectId: String(raw.project_id ?? raw.tenant_id ?? ''),
    flavor: flavorRef(raw.flavor),
    image: imageRef(raw.image),
    networks: parseNetworks(raw.addresses),
    securityGroups: parseNamedList(raw.security_groups, 'name'),
    volumes: parseNamedList(raw.volumes_attached ?? raw['os-extended-volumes:volumes_attached'], 'id'),
    properties: parseProperties(raw.properties),
  };
}

/** `properties` of `server show`: a dict (DictColumn, current CLI) or `k='v', k2='v2'` (older CLI). */
export function parseProperties(value: unknown): Record<string, string> {
  if (value && typeof value === 'object' && !Array.isArray(value)) return Object.fromEntries(Object.entries(value as Record<string, unknown>).map(([k, v]) => [k, String(v)]));
  if (typeof value !== 'string') return {};
  return Object.fromEntries([...value.matchAll(/([\w.-]+)='([^']*)'/g)].map((m) => [m[1]!, m[2]!]));
}

/** A `server list --long -f json` row as a ServerState (volumes filled in by the caller). */
export function fromList(raw: Record<string, unknown>): ServerState {
  return {
    id: String(raw.ID),
    name: String(raw.Name ?? ''),
    status: String(raw.Status ?? ''),
    projectId: String(raw['Project ID'] ?? ''),
    // From compute API 2.47 on, Nova gives no flavor id, only the name.
    flavor: nonEmpty(raw['Flavor ID']) ?? nonEmpty(raw.Flavor),
    image: imageRef(raw['Image ID']),
    networks: parseNetworks(raw.Networks),
    securityGroups: parseNamedList(raw['Security Groups'], 'name'),
    volumes: [],
  };
}

function nonEmpty(value: unknown): string | undefined {
  return typeof value === 'string' && value.trim() ? value.trim() : undefined;
}

/** `name (id)` → id; a bare id as it is. */
function refInParens(value: string): string {
  return /\(([^()]+)\)\s*$/.exec(value)?.[1] ?? value;
}

function imageRef(value: unknown): string | undefined {
  const text = nonEmpty(value);
  return text === undefined || text === IMAGE_BOOTED_FROM_VOLUME ? undefined : refInParens(text);
}

/** `m1.small (id)` → id; at compute API 2.47+ the CLI prints the embedded flavor (a dict, or `original_name='…', …`). */
function flavorRef(value: unknown): string | undefined {
  if (value && typeof value === 'object') return nonEmpty((value as Record<string, unknown>).original_name);
  const text = nonEmpty(value);
  if (text === undefined) return undefined;
  return /original_name='([^']*)'/.exec(text)?.[1] ?? refInParens(text);
}

/** `{net: [ip, …]}` (current CLI), `net=ip, ip; net2=ip` (older CLI), or Nova's own `{net: [{addr}]}`. */
export function parseNetworks(value: unknown): Record<string, string[]> {
  const networks: Record<string, string[]> = {};
  if (value && typeof value === 'object' && !Array.isArray(value)) {
    for (const [net, addrs] of Object.entries(value as Record<string, unknown>)) {
      const list = Array.isArray(addrs) ? addrs : [addrs];
      networks[net] = list.map((a) => (a && typeof a === 'object' ? String((a as { addr?: unknown }).addr ?? '') : String(a))).filter(Boolean);
    }
    return networks;
  }
  if (typeof value !== 'string') return networks;
  for (const part of value.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    networks[part.slice(0, eq).trim()] = part
      .slice(eq + 1)
      .split(',')
      .map((a) => a.trim())
      .filter(Boolean);
  }
  return networks;
}

/** `[{name: 'a'}, …]` or `['a', …]` (current CLI), `name='a'\nname='b'` or `a, b` (older CLI). */
export function parseNamedList(value: unknown, key: string): string[] {
  if (Array.isArray(value)) {
    return value.map((v) => (v && typeof v === 'object' ? String((v as Record<string, unknown>)[key] ?? '') : String(v))).filter(Boolean);
  }
  if (typeof value !== 'string' || !value.trim()) return [];
  const quoted = [...value.matchAll(new RegExp(`${key}='([^']*)'`, 'g'))].map((m) => m[1]!);
  return quoted.length ? quoted : value.split(/[,\n]/).map((v) => v.trim()).filter(Boolean);
}

/**
 * Server ids in a volume's `Attached to`: a list of attachments in JSON. (CLIs
 * before 5.x printed `Attached to NAME on /dev/vdb` there, with server names,
 * which cannot be matched to ids: those volumes are not reported.)
 */
function attachedServers(value: unknown): string[] {
  if (!Array.isArray(value)) return [];
  return value.map((a) => String((a as { server_id?: unknown }).server_id ?? '')).filter(Boolean);
}
