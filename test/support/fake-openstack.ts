// OpenStack faked at its HTTP boundary, so tests run the real `openstack` CLI
// against it. It serves just the requests python-openstackclient 6.0 makes for
// `server show|stop|start|create|list`, `volume list [--project]`, `image list`
// and `project list` (Keystone v3, Nova 2.1, Cinder v3, Glance v2, Neutron
// v2.0), with the response shapes those
// clients parse; listings come in pages of at most `maxLimit`, with the
// services' own limit, marker and next links. Anything else is answered 404 and kept in `unknown`, which is
// how the route list below was found: run a command, read `unknown`, add it.
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FakeProject {
  id: string;
  name: string;
}

export interface FakeServer {
  id: string;
  name: string;
  projectId: string;
  /** ACTIVE, SHUTOFF, BUILD, ERROR, … */
  status: string;
  /** Flavor id. */
  flavor: string;
  /** Image id; undefined for a server booted from a volume. */
  image?: string | undefined;
  /** Network name → addresses. */
  networks: Record<string, string[]>;
  securityGroups: string[];
  /** Ids of attached Cinder volumes. */
  volumes: string[];
  /** Set while an os-stop / os-start waits out `powerDelayMs`. */
  taskState?: 'powering-off' | 'powering-on' | undefined;
  /** Nova metadata: what `server create --property k=v` sends, and `server show` prints as `properties`. */
  metadata?: Record<string, string> | undefined;
}

export interface FakeVolume {
  id: string;
  name: string;
  projectId: string;
  sizeGb: number;
  /** Cinder's status; `in-use` or `available` (by attachedTo) when omitted. */
  status?: string | undefined;
  /** Server id and device, when attached. */
  attachedTo?: { serverId: string; device: string } | undefined;
}

export interface FakeImage {
  id: string;
  name: string;
  /** Owning project; `p-admin` when omitted. */
  owner?: string | undefined;
  /** Glance's status; `active` when omitted. */
  status?: string | undefined;
  /** `public` when omitted. Glance lists community images only when asked (`visibility=community|all`). */
  visibility?: 'public' | 'private' | 'shared' | 'community' | undefined;
  /** `os_hidden`: Glance lists hidden images only when asked (`os_hidden=true`), and then only them. */
  hidden?: boolean | undefined;
}

export interface FakeFlavor {
  id: string;
  name: string;
  vcpus: number;
  ramMb: number;
  diskGb: number;
}

export interface FakeNetwork {
  id: string;
  name: string;
  projectId: string;
}

export interface FakeCall {
  method: string;
  /** Path and query string, as received. */
  path: string;
  status: number;
  body?: unknown;
}

export interface FakeOpenstackSeed {
  projects?: FakeProject[];
  servers?: FakeServer[];
  volumes?: FakeVolume[];
  images?: FakeImage[];
  flavors?: FakeFlavor[];
  networks?: FakeNetwork[];
  /** How long an os-stop / os-start / create takes to show; 0: at once. */
  powerDelayMs?: number;
  /** Leave Cinder out of the catalog, as on a cloud whose disks are all Nova's. */
  withoutVolumeService?: boolean;
  /**
   * The most items one page of a listing holds, as Nova's and Cinder's `osapi_max_limit`
   * and Glance's `api_limit_max` (1000 by default, as theirs). Glance's page without a
   * `limit` is its `limit_param_default`, 25, capped by this.
   */
  maxLimit?: number;
}

export interface FakeOpenstack {
  url: string;
  /** OS_* variables that authenticate the CLI against this fake, as the `admin` user in project `admin`. */
  env: Record<string, string>;
  /** The `admin` project (the one `env` scopes to) and a second one, `demo`, unless seeded otherwise. */
  projects: Map<string, FakeProject>;
  servers: Map<string, FakeServer>;
  volumes: Map<string, FakeVolume>;
  images: Map<string, FakeImage>;
  flavors: Map<string, FakeFlavor>;
  networks: Map<string, FakeNetwork>;
  calls: FakeCall[];
  /** Requests no route answered: what the CLI asked for that the fake lacks. */
  unknown: FakeCall[];
  /** Delay before a stop, start or create takes effect; change it at any time. */
  powerDelayMs: number;
  stop(): Promise<void>;
}

const USER = { id: 'u-admin', name: 'admin', password: 'fake-secret' };
const DOMAIN = { id: 'default', name: 'Default' };
const REGION = 'RegionOne';

class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly body: unknown,
  ) {
    super(`HTTP ${status}`);
  }
}

type Json = Record<string, unknown>;
type Handler = (req: Request) => { status?: number; body: unknown; headers?: Record<string, string> };
interface Request {
  method: string;
  url: URL;
  params: string[];
  body: Json;
  /** Project the request's token is scoped to. */
  projectId: string;
}

/** Starts the fake on 127.0.0.1, on a free port. */
export async function startFakeOpenstack(seed: FakeOpenstackSeed = {}): Promise<FakeOpenstack> {
  const projects = byId(seed.projects ?? [{ id: 'p-admin', name: 'admin' }, { id: 'p-demo', name: 'demo' }]);
  const flavors = byId(seed.flavors ?? [{ id: 'f-small', name: 'm1.small', vcpus: 1, ramMb: 2048, diskGb: 20 }]);
  const images = byId(seed.images ?? [{ id: 'i-cirros', name: 'cirros' }]);
  const networks = byId(seed.networks ?? [{ id: 'n-private', name: 'private', projectId: 'p-admin' }]);
  const fake: FakeOpenstack = {
    url: '',
    env: {},
    projects,
    servers: byId(seed.servers ?? []),
    volumes: byId(seed.volumes ?? []),
    images,
    flavors,
    networks,
    calls: [],
    unknown: [],
    powerDelayMs: seed.powerDelayMs ?? 0,
    stop: async () => {},
  };
  const maxLimit = seed.maxLimit ?? 1000;
  const tokens = new Map<string, string>();
  const timers = new Set<NodeJS.Timeout>();
  let base = '';

  /** Applies `change` now, or after `powerDelayMs` as Nova would after its task finishes. */
  function later(change: () => void): void {
    if (fake.powerDelayMs <= 0) return change();
    const timer = setTimeout(() => {
      timers.delete(timer);
      change();
    }, fake.powerDelayMs);
    timers.add(timer);
  }

  const server = (id: string): FakeServer => {
    const s = fake.servers.get(id);
    if (!s) throw new HttpError(404, { itemNotFound: { code: 404, message: `Instance ${id} could not be found.` } });
    return s;
  };

  const routes: Array<[string, RegExp, Handler]> = [
    // Keystone v3
    ['GET', /^\/identity\/v3\/?$/, () => ({ body: { version: identityVersion(base) } })],
    ['GET', /^\/identity\/?$/, () => ({ status: 300, body: { versions: { values: [identityVersion(base)] } } })],
    [
      'POST',
      /^\/identity\/v3\/auth\/tokens$/,
      (req) => {
        const project = authenticate(req.body, projects);
        const token = randomUUID().replaceAll('-', '');
        tokens.set(token, project.id);
        return { status: 201, headers: { 'X-Subject-Token': token }, body: { token: tokenBody(base, project, !seed.withoutVolumeService) } };
      },
    ],
    ['GET', /^\/identity\/v3\/projects$/, (req) => ({ body: { projects: [...projects.values()].filter((p) => (req.url.searchParams.get('name') ?? p.name) === p.name).map(projectBody), links: { self: `${base}/identity/v3/projects`, next: null, previous: null } } })],
    [
      'GET',
      /^\/identity\/v3\/projects\/([^/]+)$/,
      (req) => {
        const p = projects.get(req.params[0]!);
        if (!p) throw new HttpError(404, { error: { code: 404, title: 'Not Found', message: `Could not find project: ${req.params[0]}.` } });
        return { body: { project: projectBody(p) } };
      },
    ],
    // Nova 2.1
    ['GET', /^\/compute\/?$/, () => ({ body: { versions: [computeVersion(base)] } })],
    ['GET', /^\/compute\/v2\.1\/?$/, () => ({ body: { version: computeVersion(base) } })],
    [
      'GET',
      /^\/compute\/v2\.1\/servers(\/detail)?$/,
      (req) => {
        const q = req.url.searchParams;
        const allTenants = isTrue(q.get('all_tenants'));
        const project = q.get('project_id') ?? q.get('tenant_id');
        const name = q.get('name');
        const status = q.get('status');
        const list = [...fake.servers.values()].filter(
          (s) =>
            (project ? s.projectId === project : allTenants || s.projectId === req.projectId) &&
            (name === null || nameMatches(name, s.name)) &&
            (status === null || s.status === status.toUpperCase()),
        );
        const detailed = req.params[0] !== undefined;
        const { items, next } = page(list, q, maxLimit, maxLimit, (marker) => new HttpError(400, { badRequest: { code: 400, message: `marker [${marker}] not found` } }));
        return {
          body: {
            servers: items.map((s) => (detailed ? serverBody(base, s) : { id: s.id, name: s.name, links: serverLinks(base, s) })),
            // Nova's collection links: a full page has a `next` (which python-novaclient never reads: it pages by marker itself).
            ...(next ? { servers_links: [{ rel: 'next', href: `${base}${req.url.pathname}?${next}` }] } : {}),
          },
        };
      },
    ],
    ['GET', /^\/compute\/v2\.1\/servers\/([^/]+)$/, (req) => ({ body: { server: serverBody(base, server(req.params[0]!)) } })],
    [
      'POST',
      /^\/compute\/v2\.1\/servers\/([^/]+)\/action$/,
      (req) => {
        const s = server(req.params[0]!);
        if ('os-stop' in req.body) powerAction(s, 'stop', 'ACTIVE', 'SHUTOFF', 'powering-off');
        else if ('os-start' in req.body) powerAction(s, 'start', 'SHUTOFF', 'ACTIVE', 'powering-on');
        else throw new HttpError(400, { badRequest: { code: 400, message: `fake-openstack: unsupported action ${Object.keys(req.body).join(',')}` } });
        return { status: 202, body: '' };
      },
    ],
    [
      'POST',
      /^\/compute\/v2\.1\/servers$/,
      (req) => {
        const spec = (req.body.server ?? {}) as Json;
        const flavor = flavors.get(String(spec.flavorRef));
        const image = images.get(String(spec.imageRef));
        if (!flavor) throw new HttpError(400, { badRequest: { code: 400, message: `Flavor ${String(spec.flavorRef)} could not be found.` } });
        if (!image) throw new HttpError(400, { badRequest: { code: 400, message: `Can not find requested image` } });
        const nets = Array.isArray(spec.networks) ? (spec.networks as Array<{ uuid?: string }>) : [];
        const created: FakeServer = {
          id: randomUUID(),
          name: String(spec.name),
          projectId: req.projectId,
          status: 'BUILD',
          flavor: flavor.id,
          image: image.id,
          networks: {},
          securityGroups: ((spec.security_groups ?? [{ name: 'default' }]) as Array<{ name: string }>).map((g) => g.name),
          volumes: [],
          metadata: (spec.metadata ?? {}) as Record<string, string>,
        };
        for (const n of nets) {
          const net = n.uuid ? networks.get(n.uuid) : undefined;
          if (!net) throw new HttpError(400, { badRequest: { code: 400, message: `Network ${String(n.uuid)} could not be found.` } });
          created.networks[net.name] = [`10.0.0.${fake.servers.size + 10}`];
        }
        fake.servers.set(created.id, created);
        later(() => (created.status = 'ACTIVE'));
        return {
          status: 202,
          headers: { Location: `${base}/compute/v2.1/servers/${created.id}` },
          body: {
            server: {
              id: created.id,
              links: serverLinks(base, created),
              'OS-DCF:diskConfig': 'MANUAL',
              security_groups: created.securityGroups.map((name) => ({ name })),
              adminPass: 'fake-admin-pass',
            },
          },
        };
      },
    ],
    ['GET', /^\/compute\/v2\.1\/flavors(\/detail)?$/, () => ({ body: { flavors: [...flavors.values()].map((f) => flavorBody(base, f)) } })],
    [
      'GET',
      /^\/compute\/v2\.1\/flavors\/([^/]+)$/,
      (req) => {
        const f = flavors.get(req.params[0]!);
        if (!f) throw new HttpError(404, { itemNotFound: { code: 404, message: `Flavor ${req.params[0]} could not be found.` } });
        return { body: { flavor: flavorBody(base, f) } };
      },
    ],
    // Glance v2
    ['GET', /^\/image\/?$/, () => ({ status: 300, body: { versions: [imageVersion(base)] } })],
    [
      'GET',
      /^\/image\/v2\/images$/,
      (req) => {
        const q = req.url.searchParams;
        const name = q.get('name');
        const visibility = q.get('visibility');
        const list = [...images.values()].filter(
          (i) =>
            (name === null || i.name === name) &&
            (visibility === 'all' || (visibility === null ? i.visibility !== 'community' : (i.visibility ?? 'public') === visibility)) &&
            Boolean(i.hidden) === isTrue(q.get('os_hidden')),
        );
        const { items, next } = page(list, q, Math.min(GLANCE_DEFAULT_LIMIT, maxLimit), maxLimit, (marker) => new HttpError(400, `400 Bad Request\n\nInvalid marker. Image ${marker} could not be found.\n\n`));
        // Glance's `next` is a path relative to its root, present only after a full page.
        return { body: { images: items.map(imageBody), schema: '/v2/schemas/images', first: '/v2/images', ...(next ? { next: `/v2/images?${next}` } : {}) } };
      },
    ],
    [
      'GET',
      /^\/image\/v2\/images\/([^/]+)$/,
      (req) => {
        const i = images.get(req.params[0]!);
        if (!i) throw new HttpError(404, `404 Not Found\n\nNo image found with ID ${req.params[0]}\n\n`);
        return { body: imageBody(i) };
      },
    ],
    // Neutron v2.0
    ['GET', /^\/network\/?$/, () => ({ body: { versions: [networkVersion(base)] } })],
    [
      'GET',
      /^\/network\/v2\.0\/networks$/,
      (req) => {
        const q = req.url.searchParams;
        const list = [...networks.values()].filter((n) => (q.get('name') ?? n.name) === n.name && (q.get('id') ?? n.id) === n.id);
        return { body: { networks: list.map(networkBody) } };
      },
    ],
    [
      'GET',
      /^\/network\/v2\.0\/networks\/([^/]+)$/,
      (req) => {
        const n = networks.get(req.params[0]!);
        if (!n) throw new HttpError(404, { NeutronError: { type: 'NetworkNotFound', message: `Network ${req.params[0]} could not be found.`, detail: '' } });
        return { body: { network: networkBody(n) } };
      },
    ],
    // Cinder v3
    ['GET', /^\/volume\/?$/, () => ({ status: 300, body: { versions: [volumeVersion(base)] } })],
    [
      'GET',
      /^\/volume\/v3\/([^/]+)\/volumes\/detail$/,
      (req) => {
        const q = req.url.searchParams;
        const allTenants = isTrue(q.get('all_tenants'));
        const project = q.get('project_id');
        const list = [...fake.volumes.values()].filter((v) => (project ? v.projectId === project : allTenants || v.projectId === req.projectId));
        const { items, next } = page(list, q, maxLimit, maxLimit, (marker) => new HttpError(404, { itemNotFound: { code: 404, message: `Volume ${marker} could not be found.` } }));
        return {
          body: {
            volumes: items.map((v) => volumeBody(base, v)),
            // Cinder's collection links, which python-cinderclient follows (an absolute href, in the token's project).
            ...(next ? { volumes_links: [{ rel: 'next', href: `${base}/volume/v3/${req.projectId}/volumes/detail?${next}` }] } : {}),
          },
        };
      },
    ],
  ];

  /** Nova's check_instance_state: a power action needs vm_state `from` and no task running. */
  function powerAction(s: FakeServer, action: string, from: string, to: string, taskState: 'powering-off' | 'powering-on'): void {
    const conflict = (attr: string, state: string) =>
      new HttpError(409, { conflictingRequest: { code: 409, message: `Cannot '${action}' instance ${s.id} while it is in ${attr} ${state}` } });
    if (s.status !== from) throw conflict('vm_state', vmState(s.status));
    if (s.taskState) throw conflict('task_state', s.taskState);
    s.taskState = taskState;
    later(() => {
      s.status = to;
      s.taskState = undefined;
    });
  }

  const http = createServer((req, res) => {
    handle(req, res).catch(() => res.destroy());
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const raw = await readBody(req);
    const method = req.method ?? 'GET';
    const path = req.url ?? '/';
    const url = new URL(path, base);
    let body: Json = {};
    const call: FakeCall = { method, path, status: 0 };
    let reply: { status: number; body: unknown; headers?: Record<string, string> | undefined };
    try {
      if (raw) {
        body = JSON.parse(raw) as Json;
        call.body = body;
      }
      const match = routes
        .map(([m, re, handler]) => ({ m, handler, found: re.exec(url.pathname) }))
        .find((r) => r.m === method && r.found);
      if (!match) {
        fake.unknown.push(call);
        throw new HttpError(404, { itemNotFound: { code: 404, message: `fake-openstack: no route for ${method} ${url.pathname}` } });
      }
      // Keystone and every version document answer without a token, as the real services do.
      const isPublic = url.pathname.startsWith('/identity') || /^\/[a-z]+(\/v[\d.]+)?\/?$/.test(url.pathname);
      const token = req.headers['x-auth-token'];
      const projectId = typeof token === 'string' ? tokens.get(token) : undefined;
      if (!isPublic && projectId === undefined) throw new HttpError(401, { error: { code: 401, title: 'Unauthorized', message: 'The request you have made requires authentication.' } });
      const out = match.handler({ method, url, params: match.found!.slice(1).map((p) => (p === undefined ? '' : decodeURIComponent(p))), body, projectId: projectId ?? '' });
      reply = { status: out.status ?? 200, body: out.body, headers: out.headers };
    } catch (err) {
      reply = err instanceof HttpError ? { status: err.status, body: err.body } : { status: 500, body: { computeFault: { code: 500, message: String(err) } } };
    }
    call.status = reply.status;
    fake.calls.push(call);
    const text = typeof reply.body === 'string' ? reply.body : JSON.stringify(reply.body);
    res.writeHead(reply.status, {
      'Content-Type': typeof reply.body === 'string' ? 'text/plain' : 'application/json',
      'Content-Length': Buffer.byteLength(text),
      'X-Openstack-Request-Id': `req-${randomUUID()}`,
      ...reply.headers,
    });
    res.end(text);
  }

  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
  fake.url = base;
  fake.env = {
    OS_AUTH_URL: `${base}/identity/v3`,
    OS_USERNAME: USER.name,
    OS_PASSWORD: USER.password,
    OS_PROJECT_NAME: 'admin',
    OS_USER_DOMAIN_NAME: DOMAIN.name,
    OS_PROJECT_DOMAIN_NAME: DOMAIN.name,
    OS_IDENTITY_API_VERSION: '3',
    OS_REGION_NAME: REGION,
    OS_INTERFACE: 'public',
  };
  fake.stop = async () => {
    for (const timer of timers) clearTimeout(timer);
    http.closeAllConnections();
    await new Promise<void>((resolve, reject) => http.close((err) => (err ? reject(err) : resolve())));
  };
  return fake;
}

/** Glance's `limit_param_default`: its page when the request names no limit. */
const GLANCE_DEFAULT_LIMIT = 25;

/**
 * One page of `list`, as Nova, Cinder and Glance cut it: from just after `marker`
 * (an unknown one is `unknownMarker`), at most `limit` items (`fallback` when none
 * is asked, never more than `max`). `next` is the query of the following page
 * (the request's own parameters with this page's last id as marker), given only
 * after a full page, as the services do: so the last full page is followed by an empty one.
 */
function page<T extends { id: string }>(list: T[], q: URLSearchParams, fallback: number, max: number, unknownMarker: (marker: string) => HttpError): { items: T[]; next?: string } {
  const asked = q.get('limit');
  const limit = Math.min(asked === null ? fallback : Number(asked), max);
  if (!Number.isInteger(limit) || limit < 0) throw new HttpError(400, { badRequest: { code: 400, message: `limit must be a non-negative integer, not ${asked}` } });
  const marker = q.get('marker');
  const start = marker === null ? 0 : list.findIndex((item) => item.id === marker) + 1;
  if (start === 0 && marker !== null) throw unknownMarker(marker);
  const items = list.slice(start, start + limit);
  if (items.length === 0 || items.length < limit) return { items };
  const params = new URLSearchParams(q);
  params.set('marker', items.at(-1)!.id);
  return { items, next: params.toString() };
}

function byId<T extends { id: string }>(items: T[]): Map<string, T> {
  return new Map(items.map((i) => [i.id, structuredClone(i)]));
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function isTrue(value: string | null): boolean {
  return value !== null && /^(1|true|yes|on)$/i.test(value);
}

/** Nova filters by name as a regular expression. */
function nameMatches(pattern: string, name: string): boolean {
  try {
    return new RegExp(pattern).test(name);
  } catch {
    return pattern === name;
  }
}

function vmState(status: string): string {
  return { ACTIVE: 'active', SHUTOFF: 'stopped', BUILD: 'building', ERROR: 'error' }[status] ?? status.toLowerCase();
}

function authenticate(body: Json, projects: Map<string, FakeProject>): FakeProject {
  const auth = (body.auth ?? {}) as {
    identity?: { password?: { user?: { name?: string; id?: string; password?: string } } };
    scope?: { project?: { id?: string; name?: string } };
  };
  const user = auth.identity?.password?.user;
  if (!user || (user.name !== USER.name && user.id !== USER.id) || user.password !== USER.password) {
    throw new HttpError(401, { error: { code: 401, title: 'Unauthorized', message: 'The request you have made requires authentication.' } });
  }
  const wanted = auth.scope?.project;
  const project = [...projects.values()].find((p) => (wanted?.id ? p.id === wanted.id : p.name === wanted?.name));
  if (!project) throw new HttpError(401, { error: { code: 401, title: 'Unauthorized', message: `No project ${JSON.stringify(wanted)} for user admin.` } });
  return project;
}

function tokenBody(base: string, project: FakeProject, withVolume: boolean): Json {
  const now = new Date();
  const endpoint = (type: string, name: string, url: string) => ({
    id: `svc-${type}`,
    type,
    name,
    endpoints: [{ id: `ep-${type}`, interface: 'public', region: REGION, region_id: REGION, url }],
  });
  return {
    methods: ['password'],
    user: { id: USER.id, name: USER.name, domain: DOMAIN, password_expires_at: null },
    project: { id: project.id, name: project.name, domain: DOMAIN },
    roles: [{ id: 'r-admin', name: 'admin' }, { id: 'r-member', name: 'member' }],
    is_domain: false,
    audit_ids: [randomUUID()],
    issued_at: now.toISOString(),
    expires_at: new Date(now.getTime() + 3600_000).toISOString(),
    catalog: [
      endpoint('identity', 'keystone', `${base}/identity`),
      endpoint('compute', 'nova', `${base}/compute/v2.1`),
      ...(withVolume
        ? [endpoint('volumev3', 'cinderv3', `${base}/volume/v3/${project.id}`), endpoint('block-storage', 'cinder', `${base}/volume/v3/${project.id}`)]
        : []),
      endpoint('image', 'glance', `${base}/image`),
      endpoint('network', 'neutron', `${base}/network`),
    ],
  };
}

const UPDATED = '2024-01-01T00:00:00Z';

function identityVersion(base: string): Json {
  return {
    id: 'v3.14',
    status: 'stable',
    updated: UPDATED,
    links: [{ rel: 'self', href: `${base}/identity/v3/` }],
    'media-types': [{ base: 'application/json', type: 'application/vnd.openstack.identity-v3+json' }],
  };
}

function computeVersion(base: string): Json {
  return { id: 'v2.1', status: 'CURRENT', version: '2.90', min_version: '2.1', updated: UPDATED, links: [{ rel: 'self', href: `${base}/compute/v2.1/` }] };
}

function imageVersion(base: string): Json {
  return { id: 'v2.15', status: 'CURRENT', links: [{ rel: 'self', href: `${base}/image/v2/` }] };
}

function networkVersion(base: string): Json {
  return { id: 'v2.0', status: 'CURRENT', links: [{ rel: 'self', href: `${base}/network/v2.0/` }] };
}

function volumeVersion(base: string): Json {
  return { id: 'v3.0', status: 'CURRENT', version: '3.70', min_version: '3.0', updated: UPDATED, links: [{ rel: 'self', href: `${base}/volume/v3/` }] };
}

function serverLinks(base: string, s: FakeServer): Json[] {
  return [
    { rel: 'self', href: `${base}/compute/v2.1/servers/${s.id}` },
    { rel: 'bookmark', href: `${base}/compute/servers/${s.id}` },
  ];
}

function serverBody(base: string, s: FakeServer): Json {
  let mac = 0;
  const addresses = Object.fromEntries(
    Object.entries(s.networks).map(([net, addrs]) => [
      net,
      addrs.map((addr) => ({
        version: addr.includes(':') ? 6 : 4,
        addr,
        'OS-EXT-IPS:type': 'fixed',
        'OS-EXT-IPS-MAC:mac_addr': `fa:16:3e:00:00:${(mac++).toString(16).padStart(2, '0')}`,
      })),
    ]),
  );
  const powerState = s.status === 'ACTIVE' ? 1 : s.status === 'SHUTOFF' ? 4 : 0;
  return {
    id: s.id,
    name: s.name,
    status: s.status,
    tenant_id: s.projectId,
    user_id: USER.id,
    metadata: s.metadata ?? {},
    hostId: 'fakehostid',
    image: s.image ? { id: s.image, links: [{ rel: 'bookmark', href: `${base}/compute/images/${s.image}` }] } : '',
    flavor: { id: s.flavor, links: [{ rel: 'bookmark', href: `${base}/compute/flavors/${s.flavor}` }] },
    created: UPDATED,
    updated: UPDATED,
    addresses,
    accessIPv4: '',
    accessIPv6: '',
    links: serverLinks(base, s),
    'OS-DCF:diskConfig': 'MANUAL',
    progress: 0,
    'OS-EXT-AZ:availability_zone': 'nova',
    config_drive: '',
    key_name: null,
    'OS-SRV-USG:launched_at': UPDATED,
    'OS-SRV-USG:terminated_at': null,
    'OS-EXT-SRV-ATTR:host': 'compute1',
    'OS-EXT-SRV-ATTR:instance_name': `instance-${s.id.slice(0, 8)}`,
    'OS-EXT-SRV-ATTR:hypervisor_hostname': 'compute1',
    'OS-EXT-STS:task_state': s.taskState ?? null,
    'OS-EXT-STS:vm_state': vmState(s.status),
    'OS-EXT-STS:power_state': powerState,
    'os-extended-volumes:volumes_attached': s.volumes.map((id) => ({ id })),
    security_groups: s.securityGroups.map((name) => ({ name })),
  };
}

function flavorBody(base: string, f: FakeFlavor): Json {
  return {
    id: f.id,
    name: f.name,
    vcpus: f.vcpus,
    ram: f.ramMb,
    disk: f.diskGb,
    'OS-FLV-EXT-DATA:ephemeral': 0,
    'OS-FLV-DISABLED:disabled': false,
    swap: '',
    rxtx_factor: 1.0,
    'os-flavor-access:is_public': true,
    links: [{ rel: 'self', href: `${base}/compute/v2.1/flavors/${f.id}` }],
  };
}

function imageBody(i: FakeImage): Json {
  return {
    id: i.id,
    name: i.name,
    status: i.status ?? 'active',
    visibility: i.visibility ?? 'public',
    protected: false,
    os_hidden: Boolean(i.hidden),
    container_format: 'bare',
    disk_format: 'qcow2',
    min_disk: 0,
    min_ram: 0,
    size: 16_338_944,
    checksum: null,
    owner: i.owner ?? 'p-admin',
    tags: [],
    created_at: UPDATED,
    updated_at: UPDATED,
    self: `/v2/images/${i.id}`,
    file: `/v2/images/${i.id}/file`,
    schema: '/v2/schemas/image',
  };
}

function projectBody(p: FakeProject): Json {
  return { id: p.id, name: p.name, domain_id: DOMAIN.id, description: '', enabled: true, is_domain: false, parent_id: DOMAIN.id, tags: [], links: { self: `/identity/v3/projects/${p.id}` } };
}

function networkBody(n: FakeNetwork): Json {
  return {
    id: n.id,
    name: n.name,
    tenant_id: n.projectId,
    project_id: n.projectId,
    status: 'ACTIVE',
    admin_state_up: true,
    shared: false,
    'router:external': false,
    subnets: [],
    mtu: 1450,
  };
}

function volumeBody(base: string, v: FakeVolume): Json {
  return {
    id: v.id,
    name: v.name,
    status: v.status ?? (v.attachedTo ? 'in-use' : 'available'),
    size: v.sizeGb,
    volume_type: 'ceph',
    bootable: 'false',
    multiattach: false,
    metadata: {},
    'os-vol-tenant-attr:tenant_id': v.projectId,
    availability_zone: 'nova',
    created_at: UPDATED,
    links: [{ rel: 'self', href: `${base}/volume/v3/${v.projectId}/volumes/${v.id}` }],
    attachments: v.attachedTo
      ? [
          {
            id: v.id,
            attachment_id: `a-${v.id}`,
            volume_id: v.id,
            server_id: v.attachedTo.serverId,
            device: v.attachedTo.device,
            host_name: null,
            attached_at: UPDATED,
          },
        ]
      : [],
  };
}

/** A seeded server with everyday defaults for what a test does not care about. */
export const fakeServer = (s: Partial<FakeServer> & Pick<FakeServer, 'id' | 'name'>): FakeServer => ({
  projectId: 'p-admin',
  status: 'ACTIVE',
  flavor: 'f-small',
  image: 'i-cirros',
  networks: { private: ['10.0.0.9'] },
  securityGroups: ['default'],
  volumes: [],
  ...s,
});
