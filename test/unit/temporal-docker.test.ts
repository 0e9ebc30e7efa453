// Static checks of the Docker deployment in temporal-docker/. CI has a Docker
// client but no engine, so the compose file and the worker image are never
// started there; this test is what keeps them consistent with the code and with
// the local production stack (scripts/production/versions.env: versions, ports,
// TLS names; the search attributes of lib/search-attributes.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, isAbsolute, join, posix, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import yaml from 'js-yaml';
import { loadConfig } from '../../lib/config/load.ts';
import { ALL_SEARCH_ATTRIBUTES } from '../../lib/search-attributes.ts';
import { productionVersions } from '../../scripts/production/versions.ts';
import { copyArgs } from '../support/build-context.ts';

const REPO = fileURLToPath(new URL('../../', import.meta.url));
const DIR = join(REPO, 'temporal-docker');
const COMPOSE_FILE = join(DIR, 'docker-compose.yml');
const DOCKERFILE = join(DIR, 'worker.Dockerfile');
const CONFIG_EXAMPLE = join(DIR, 'config.example.yaml');

const REQUIRED_SERVICES = ['postgresql', 'temporal-schema', 'temporal', 'temporal-admin-tools', 'temporal-ui', 'temporal-ui-auditors', 'vmbackup-worker'];
const V = productionVersions();
/** Where the compose services mount the certs.sh folder. */
const TLS_MOUNT = '/etc/temporal/tls';

type Dict = Record<string, unknown>;

function isDict(value: unknown): value is Dict {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function dict(value: unknown, what: string): Dict {
  assert.ok(isDict(value), `${what}: expected a mapping, got ${JSON.stringify(value)}`);
  return value;
}

function str(value: unknown, what: string): string {
  assert.equal(typeof value, 'string', `${what}: expected a string, got ${JSON.stringify(value)}`);
  return value as string;
}

/** `command:`/`entrypoint:` as one string, whether written as a list or a string. */
function commandText(value: unknown): string {
  if (value === undefined || value === null) return '';
  if (Array.isArray(value)) return value.map((v) => String(v)).join(' ');
  return String(value);
}

/** `environment:` as a map, whether written as a list of KEY=VALUE or a mapping. */
function environment(service: Dict): Map<string, string> {
  const env = new Map<string, string>();
  const raw = service.environment;
  if (Array.isArray(raw)) {
    for (const entry of raw) {
      const text = String(entry);
      const eq = text.indexOf('=');
      if (eq > 0) env.set(text.slice(0, eq), text.slice(eq + 1));
    }
  } else if (isDict(raw)) {
    for (const [k, v] of Object.entries(raw)) env.set(k, v === null ? '' : String(v));
  }
  return env;
}

interface Mount {
  source: string;
  target: string;
  readOnly: boolean;
}

/** Short (`src:dst[:ro]`) and long (`type/source/target`) volume syntax. */
function mounts(service: Dict): Mount[] {
  const raw = service.volumes;
  if (!Array.isArray(raw)) return [];
  return raw.map((entry, i): Mount => {
    if (isDict(entry)) {
      return {
        source: str(entry.source, `volumes[${i}].source`),
        target: str(entry.target, `volumes[${i}].target`),
        readOnly: entry.read_only === true,
      };
    }
    const [source = '', target = '', mode = ''] = String(entry).split(':');
    return { source, target, readOnly: mode.split(',').includes('ro') };
  });
}

/** The tag of an image reference, or undefined when it has none (a digest counts as pinned). */
function imageTag(image: string): string | undefined {
  if (image.includes('@sha256:')) return image.slice(image.indexOf('@') + 1);
  const lastSlash = image.lastIndexOf('/');
  const colon = image.indexOf(':', lastSlash + 1);
  return colon === -1 ? undefined : image.slice(colon + 1);
}

function loadCompose(): { text: string; services: Record<string, Dict> } {
  const text = readFileSync(COMPOSE_FILE, 'utf8');
  const doc = dict(yaml.load(text, { filename: COMPOSE_FILE }), 'docker-compose.yml');
  const services = dict(doc.services, 'services');
  const out: Record<string, Dict> = {};
  for (const [name, value] of Object.entries(services)) out[name] = dict(value, `services.${name}`);
  return { text, services: out };
}

function service(name: string): Dict {
  const s = loadCompose().services[name];
  assert.ok(s, `service ${name} is missing`);
  return s;
}

interface Instruction {
  keyword: string;
  args: string;
  /** Heredoc bodies that follow the instruction line (`RUN <<'SH' ... SH`). */
  heredocs: string[];
}

/** Dockerfile instructions: comments dropped, `\` continuations joined, heredoc bodies attached. */
function dockerfileInstructions(text: string): Instruction[] {
  const lines = text.split('\n');
  const out: Instruction[] = [];
  for (let i = 0; i < lines.length; i++) {
    let line = lines[i]!;
    if (/^\s*(#|$)/.test(line)) continue;
    while (line.endsWith('\\') && i + 1 < lines.length) {
      line = line.slice(0, -1) + ' ' + lines[++i]!;
    }
    const m = /^\s*([A-Za-z]+)\s+(.*)$/.exec(line);
    assert.ok(m, `worker.Dockerfile: cannot parse line ${i + 1}: ${line}`);
    const heredocs: string[] = [];
    for (const hd of m[2]!.matchAll(/<<-?(['"]?)([A-Za-z_][A-Za-z0-9_]*)\1/g)) {
      const body: string[] = [];
      while (i + 1 < lines.length && lines[i + 1]!.trim() !== hd[2]) body.push(lines[++i]!);
      i++; // the terminator
      heredocs.push(body.join('\n'));
    }
    out.push({ keyword: m[1]!.toUpperCase(), args: m[2]!.trim(), heredocs });
  }
  return out;
}

const dockerfileText = () => readFileSync(DOCKERFILE, 'utf8');

test('compose: all services of the deployment exist', () => {
  const { services } = loadCompose();
  for (const name of REQUIRED_SERVICES) assert.ok(services[name], `service ${name} is missing from docker-compose.yml`);
});

test('compose: every image has a pinned tag, never latest', () => {
  const { text, services } = loadCompose();
  assert.doesNotMatch(text, /:latest\b/, 'docker-compose.yml mentions :latest');
  for (const [name, s] of Object.entries(services)) {
    if (s.image === undefined) {
      assert.ok(s.build, `service ${name} has neither image nor build`);
      continue;
    }
    const image = str(s.image, `services.${name}.image`);
    const tag = imageTag(image);
    assert.ok(tag, `service ${name}: image ${image} has no tag`);
    assert.notEqual(tag, 'latest', `service ${name}: image ${image} is not pinned`);
    assert.doesNotMatch(tag, /\$/, `service ${name}: image ${image} takes its tag from the environment`);
  }
});

test('compose: the versions of the local production stack (versions.env), the server without auto-setup', () => {
  const { services } = loadCompose();
  assert.equal(services.postgresql?.image, `postgres:${V.POSTGRES_MAJOR}`);
  assert.equal(services.temporal?.image, `temporalio/server:${V.TEMPORAL_SERVER_VERSION}`);
  for (const job of ['temporal-schema', 'temporal-admin-tools']) {
    assert.ok(str(services[job]?.image, `${job}.image`).startsWith(`temporalio/admin-tools:${V.TEMPORAL_SERVER_VERSION}`), `${job}: admin-tools of server ${V.TEMPORAL_SERVER_VERSION}`);
  }
  for (const ui of ['temporal-ui', 'temporal-ui-auditors']) assert.equal(services[ui]?.image, `temporalio/ui:${V.TEMPORAL_UI_VERSION}`);
  assert.ok(!Object.values(services).some((x) => String(x.image ?? '').includes('auto-setup')), 'no auto-setup image');
});

test('compose: the ports of the local production stack', () => {
  const env = environment(service('temporal'));
  const ports: Array<[string, string]> = [
    ['FRONTEND_GRPC_PORT', 'PROD_FRONTEND_PORT'],
    ['FRONTEND_HTTP_PORT', 'PROD_FRONTEND_HTTP_PORT'],
    ['FRONTEND_MEMBERSHIP_PORT', 'PROD_FRONTEND_MEMBERSHIP_PORT'],
    ['HISTORY_GRPC_PORT', 'PROD_HISTORY_PORT'],
    ['HISTORY_MEMBERSHIP_PORT', 'PROD_HISTORY_MEMBERSHIP_PORT'],
    ['MATCHING_GRPC_PORT', 'PROD_MATCHING_PORT'],
    ['MATCHING_MEMBERSHIP_PORT', 'PROD_MATCHING_MEMBERSHIP_PORT'],
    ['WORKER_GRPC_PORT', 'PROD_WORKER_PORT'],
    ['WORKER_MEMBERSHIP_PORT', 'PROD_WORKER_MEMBERSHIP_PORT'],
  ];
  for (const [composeKey, versionsKey] of ports) assert.equal(env.get(composeKey), V[versionsKey], `temporal ${composeKey} = ${versionsKey}`);
  const frontend = V.PROD_FRONTEND_PORT!;
  assert.deepEqual(service('temporal').ports, [`${frontend}:${frontend}`]);
  for (const [name, key] of [['temporal-ui', 'PROD_UI_PORT'], ['temporal-ui-auditors', 'PROD_UI_AUDITORS_PORT']] as const) {
    const ui = service(name);
    assert.equal(environment(ui).get('TEMPORAL_UI_PORT'), V[key]);
    assert.deepEqual(ui.ports, [`${V[key]}:${V[key]}`]);
    assert.equal(environment(ui).get('TEMPORAL_ADDRESS'), `temporal:${frontend}`);
  }
  assert.equal(environment(service('temporal-admin-tools')).get('TEMPORAL_ADDRESS'), `temporal:${frontend}`);
});

test('compose: mTLS with the certs.sh layout, client certificates required, the server verified by its name', () => {
  const temporal = environment(service('temporal'));
  assert.equal(temporal.get('TEMPORAL_TLS_REQUIRE_CLIENT_AUTH'), 'true');
  for (const key of ['TEMPORAL_TLS_SERVER_CA_CERT', 'TEMPORAL_TLS_CLIENT1_CA_CERT', 'TEMPORAL_TLS_CLIENT2_CA_CERT']) assert.equal(temporal.get(key), `${TLS_MOUNT}/${V.TLS_CA_CERT}`, key);
  for (const key of ['TEMPORAL_TLS_SERVER_CERT', 'TEMPORAL_TLS_FRONTEND_CERT']) assert.equal(temporal.get(key), `${TLS_MOUNT}/${V.TLS_SERVER_CERT}`, key);
  for (const key of ['TEMPORAL_TLS_SERVER_KEY', 'TEMPORAL_TLS_FRONTEND_KEY']) assert.equal(temporal.get(key), `${TLS_MOUNT}/${V.TLS_SERVER_KEY}`, key);
  for (const key of ['TEMPORAL_TLS_INTERNODE_SERVER_NAME', 'TEMPORAL_TLS_FRONTEND_SERVER_NAME']) assert.equal(temporal.get(key), V.TLS_SERVER_NAME, key);
  const clients = V.TLS_CLIENTS!.split(',');
  for (const name of ['temporal-ui', 'temporal-ui-auditors']) {
    const env = environment(service(name));
    assert.equal(env.get('TEMPORAL_TLS_CA'), `${TLS_MOUNT}/${V.TLS_CA_CERT}`);
    assert.equal(env.get('TEMPORAL_TLS_CERT'), `${TLS_MOUNT}/client-ui.pem`);
    assert.equal(env.get('TEMPORAL_TLS_KEY'), `${TLS_MOUNT}/client-ui.key`);
    assert.equal(env.get('TEMPORAL_TLS_SERVER_NAME'), V.TLS_SERVER_NAME);
    assert.equal(env.get('TEMPORAL_TLS_ENABLE_HOST_VERIFICATION'), 'true');
  }
  assert.ok(clients.includes('ui') && clients.includes('cli'), 'certs.sh makes the ui and cli certificates');
  const admin = environment(service('temporal-admin-tools'));
  assert.equal(admin.get('TLS_DIR'), TLS_MOUNT);
  assert.equal(admin.get('TLS_SERVER_NAME'), V.TLS_SERVER_NAME);
  // Every service that names a file under TLS_MOUNT mounts ./tls there, read-only.
  for (const name of ['temporal', 'temporal-admin-tools', 'temporal-ui', 'temporal-ui-auditors']) {
    const mount = mounts(service(name)).find((m) => m.target === TLS_MOUNT);
    assert.ok(mount?.readOnly && mount.source === './tls', `${name} mounts ./tls at ${TLS_MOUNT} read-only`);
  }
});

test('compose: the UIs log in with OIDC, the auditors\' one has write actions disabled', () => {
  for (const name of ['temporal-ui', 'temporal-ui-auditors']) {
    const env = environment(service(name));
    assert.equal(env.get('TEMPORAL_AUTH_ENABLED'), 'true', `${name}: login required`);
    assert.equal(env.get('TEMPORAL_AUTH_TYPE'), 'oidc');
    for (const key of ['TEMPORAL_AUTH_PROVIDER_URL', 'TEMPORAL_AUTH_CLIENT_ID', 'TEMPORAL_AUTH_CLIENT_SECRET', 'TEMPORAL_AUTH_CALLBACK_URL']) assert.ok(env.get(key), `${name}: ${key}`);
    assert.match(env.get('TEMPORAL_AUTH_CALLBACK_URL')!, /\/auth\/sso\/callback$/);
  }
  assert.equal(environment(service('temporal-ui-auditors')).get('TEMPORAL_DISABLE_WRITE_ACTIONS'), 'true');
  assert.notEqual(environment(service('temporal-ui')).get('TEMPORAL_DISABLE_WRITE_ACTIONS'), 'true');
});

test('compose: the schema job runs temporal-sql-tool on both databases before the server starts', () => {
  const job = service('temporal-schema');
  const script = readFileSync(join(DIR, scriptOf(job)), 'utf8');
  assert.match(script, /temporal-sql-tool --plugin postgres12/);
  assert.match(script, /setup temporal temporal\b/);
  assert.match(script, /setup temporal_visibility visibility\b/);
  assert.match(script, /update-schema -d "\$SCHEMA_DIR\/\$2\/versioned"/);
  assert.deepEqual(dict(job.depends_on, 'temporal-schema.depends_on').postgresql, { condition: 'service_healthy' });
  assert.deepEqual(dict(service('temporal').depends_on, 'temporal.depends_on')['temporal-schema'], { condition: 'service_completed_successfully' });
  const env = environment(job);
  assert.equal(env.get('POSTGRES_SEEDS'), 'postgresql');
});

test('compose: temporal runs on postgres with the dynamic config file that is in the repo', () => {
  const temporal = service('temporal');
  const env = environment(temporal);
  assert.equal(env.get('DB'), 'postgres12');
  assert.equal(env.get('POSTGRES_SEEDS'), 'postgresql');
  const configured = env.get('DYNAMIC_CONFIG_FILE_PATH');
  assert.ok(configured, 'temporal: DYNAMIC_CONFIG_FILE_PATH is not set');
  // The server resolves a relative path against its working directory, /etc/temporal.
  const inContainer = posix.isAbsolute(configured) ? configured : posix.join('/etc/temporal', configured);
  const mount = mounts(temporal).find((m) => inContainer.startsWith(`${m.target.replace(/\/$/, '')}/`));
  assert.ok(mount, `temporal: no volume mounts the folder of ${inContainer}`);
  const onHost = resolve(DIR, mount.source, posix.relative(mount.target, inContainer));
  assert.ok(existsSync(onHost), `dynamic config ${relative(REPO, onHost)} does not exist`);
  const parsed = yaml.load(readFileSync(onHost, 'utf8'));
  assert.ok(isDict(parsed), `${relative(REPO, onHost)} is not a YAML mapping`);
});

/** The host side of the script a job runs (`command: ["/scripts/x.sh"]` with ./scripts mounted at /scripts). */
function scriptOf(job: Dict): string {
  const path = commandText(job.command).trim();
  const mount = mounts(job).find((m) => path.startsWith(`${m.target}/`));
  assert.ok(mount, `no volume mounts the folder of ${path}`);
  const onHost = join(mount.source, posix.relative(mount.target, path));
  assert.ok(existsSync(join(DIR, onHost)), `${onHost} does not exist`);
  return onHost;
}

test('compose: the admin-tools job creates the namespace and registers every search attribute as Keyword, as the local stack does', async () => {
  const admin = service('temporal-admin-tools');
  const script = readFileSync(join(DIR, scriptOf(admin)), 'utf8');
  assert.match(script, /temporal operator search-attribute create|search-attribute create --name "\$1" --type Keyword/);
  assert.match(script, /already exist/i, 'the job must treat an existing attribute as done');
  const listed = /^ATTRIBUTES=\(([^)]*)\)$/m.exec(script)?.[1]?.split(/\s+/);
  const names = ALL_SEARCH_ATTRIBUTES.map((a) => a.name);
  assert.deepEqual(listed, names, 'temporal-admin-tools registers exactly lib/search-attributes.ts');
  // The local production stack reads its list from lib/search-attributes.ts: the same names.
  const { stdout } = await execa('bash', [join(REPO, 'scripts/production/stack.sh'), 'search-attributes']);
  assert.deepEqual(stdout.split('\n'), names);
  // The dev server of scripts/stack.sh registers the same list (at start, and on an already running server).
  const dev = /^SEARCH_ATTRIBUTES=\(([^)]*)\)$/m.exec(readFileSync(join(REPO, 'scripts/stack.sh'), 'utf8'))?.[1]?.split(/\s+/);
  assert.deepEqual(dev, names, 'scripts/stack.sh registers exactly lib/search-attributes.ts');
  assert.equal(environment(admin).get('RETENTION'), V.TEMPORAL_RETENTION);
  assert.equal(environment(admin).get('NAMESPACE'), V.TEMPORAL_NAMESPACE);
  assert.deepEqual(dict(admin.depends_on, 'temporal-admin-tools.depends_on').temporal, { condition: 'service_healthy' });
  await execa('bash', ['-n', join(DIR, scriptOf(admin))]);
  await execa('sh', ['-n', join(DIR, scriptOf(service('temporal-schema')))]);
});

test('compose: the worker is built from worker.Dockerfile and mounts what the config points at', () => {
  const worker = service('vmbackup-worker');
  const build = dict(worker.build, 'vmbackup-worker.build');
  const context = resolve(DIR, str(build.context ?? '.', 'build.context'));
  assert.equal(resolve(context, str(build.dockerfile, 'build.dockerfile')), DOCKERFILE);
  assert.equal(context, resolve(REPO), 'the build context must be the repository root (the Dockerfile copies its folders)');
  assert.match(commandText(worker.command), /^--host \S+$/);
  const targets = new Map(mounts(worker).map((m) => [m.target.replace(/\/$/, ''), m]));
  assert.equal(targets.get('/etc/ceph')?.readOnly, true, '/etc/ceph must be mounted read-only');
  assert.equal(targets.get('/etc/vmbackup')?.readOnly, true, '/etc/vmbackup must be mounted read-only');
  assert.equal(targets.get('/var/lib/vmbackup')?.readOnly, false, '/var/lib/vmbackup must be mounted writable');
  const dependsOn = dict(worker.depends_on, 'vmbackup-worker.depends_on');
  assert.deepEqual(dependsOn['temporal-admin-tools'], { condition: 'service_completed_successfully' });
});

test('worker.Dockerfile: base, backy2 and its shim, entrypoint, copied folders', () => {
  assert.ok(existsSync(DOCKERFILE), 'temporal-docker/worker.Dockerfile is missing');
  const text = dockerfileText();
  const instructions = dockerfileInstructions(text);
  const first = instructions.find((ins) => ins.keyword !== 'ARG');
  assert.ok(first, 'worker.Dockerfile has no instructions');
  assert.equal(first.keyword, 'FROM');
  assert.match(first.args, /^node:20-\S+$/, 'the image must build on node:20-*');
  assert.doesNotMatch(text, /:latest\b/);

  const runs = instructions.filter((ins) => ins.keyword === 'RUN');
  assert.ok(
    runs.some((ins) => /pip install .*--no-deps backy2==2\.9\.17\b/.test(ins.args)),
    'backy2 must be installed pinned to 2.9.17 (pip install --no-deps backy2==2.9.17)',
  );
  // The shim: a module aliasing the collections.abc names, imported by a .pth file.
  const scripts = runs.map((ins) => [ins.args, ...ins.heredocs].join('\n')).join('\n');
  assert.match(scripts, /vmbackup_collections_shim\.py/, 'the shim module is not written');
  assert.match(scripts, /collections\.abc/, 'the shim must alias collections.abc');
  assert.match(scripts, /import vmbackup_collections_shim\b[^\n]*vmbackup_collections_shim\.pth/, 'no .pth file imports the shim');
  assert.doesNotMatch(scripts, />\s*"?[^\s"]*sitecustomize\.py/, 'a sitecustomize.py in the venv is shadowed by Debian’s own');

  const entrypoint = instructions.filter((ins) => ins.keyword === 'ENTRYPOINT').at(-1);
  assert.ok(entrypoint, 'no ENTRYPOINT');
  const argv = JSON.parse(entrypoint.args) as unknown;
  assert.deepEqual(argv, ['node', '--import', 'tsx', 'workers/backup-host.ts']);
  assert.ok(existsSync(join(REPO, 'workers/backup-host.ts')));
  assert.ok(
    instructions.some((ins) => ins.keyword === 'STOPSIGNAL' && ins.args === 'SIGTERM'),
    'STOPSIGNAL SIGTERM is missing',
  );
  assert.ok(
    instructions.some((ins) => ins.keyword === 'ENV' && /VMBACKUP_CONFIG=\/etc\/vmbackup\/config\.yaml/.test(ins.args)),
    'ENV VMBACKUP_CONFIG is missing',
  );

  const copies = instructions.filter(
    (ins) => ins.keyword === 'COPY' && !/--from=/.test(ins.args) && ins.heredocs.length === 0,
  );
  const sources = copies.flatMap((ins) => copyArgs(ins.args).slice(0, -1));
  for (const folder of ['lib', 'activities', 'workflows', 'workers', 'cli', 'bin', 'config']) {
    assert.ok(
      sources.some((s) => s.replace(/\/$/, '') === folder),
      `worker.Dockerfile does not copy ${folder}/`,
    );
  }
  for (const source of sources) {
    assert.ok(!isAbsolute(source) && !source.includes('..'), `COPY source ${source} is outside the build context`);
    assert.ok(existsSync(join(REPO, source)), `worker.Dockerfile copies ${source}, which does not exist in the repo`);
    // Copying several folders to one destination would merge their contents.
    if (statSync(join(REPO, source)).isDirectory()) {
      const ins = copies.find((c) => copyArgs(c.args).includes(source))!;
      assert.equal(copyArgs(ins.args).length, 2, `copy ${source} with its own COPY line`);
    }
  }
  assert.ok(sources.includes('package-lock.json'), 'npm ci needs package-lock.json');
  assert.match(text, /npm ci --omit=dev/);
});

test('config.example.yaml: valid for loadConfig and consistent with the image and mounts', () => {
  const config = loadConfig(CONFIG_EXAMPLE);
  assert.equal(config.temporal.address, `temporal:${V.PROD_FRONTEND_PORT}`);
  assert.equal(config.temporal.web_ui, `http://localhost:${V.PROD_UI_PORT}`);
  // mTLS as certs.sh lays it out, in the worker's read-only /etc/vmbackup.
  assert.deepEqual(config.temporal.tls, { ca: `/etc/vmbackup/tls/${V.TLS_CA_CERT}`, cert: '/etc/vmbackup/tls/client-cli.pem', key: '/etc/vmbackup/tls/client-cli.key', server_name: V.TLS_SERVER_NAME });
  for (const host of config.hosts) {
    assert.ok(V.TLS_CLIENTS!.split(',').includes(host.name), `certs.sh makes a certificate for ${host.name}`);
    assert.deepEqual(host.temporal_tls, { cert: `/etc/vmbackup/tls/client-${host.name}.pem`, key: `/etc/vmbackup/tls/client-${host.name}.key` });
  }
  assert.equal(config.ceph.conf, '/etc/ceph/ceph.conf');
  assert.equal(config.workloads.vms.pool, 'eqiad1-compute');
  assert.ok(config.hosts.length >= 2, 'the example names two backup hosts');
  // A complete example: it backs something up, on Schedules, from the real cloud's APIs.
  assert.equal(config.inventory.driver, 'openstack');
  assert.equal(config.compute.driver, 'openstack');
  assert.ok(config.project_assignments.default, 'every project not listed goes to a host');
  assert.ok(config.exclude.servers?.global?.length, 'an exclusion example');
  for (const host of config.hosts) {
    const kinds = Object.keys(host.schedule).filter((k) => k !== 'time_zone');
    for (const kind of ['vms', 'purge', 'verify', 'drill']) assert.ok(kinds.includes(kind), `${host.name} has a ${kind} Schedule`);
    assert.ok(host.metrics_address, `${host.name} serves metrics`);
  }

  // engine.bin is the venv the Dockerfile builds.
  const venv = dirname(dirname(config.engine.bin));
  assert.ok(dockerfileText().includes(`venv --system-site-packages ${venv}`), `worker.Dockerfile builds no venv at ${venv}`);

  const workerTargets = mounts(service('vmbackup-worker')).map((m) => m.target.replace(/\/$/, ''));
  const under = (path: string, root: string) => path.startsWith(`${root}/`);
  for (const host of config.hosts) {
    assert.equal(host.backy2_config, `/etc/vmbackup/backy2-${host.name}.cfg`);
    assert.equal(host.state_dir, `/var/lib/vmbackup/${host.name}`);
    assert.ok(
      workerTargets.some((t) => under(host.backy2_config, t)),
      `${host.backy2_config} is not under a worker mount`,
    );
    assert.ok(
      workerTargets.some((t) => under(host.state_dir, t)),
      `${host.state_dir} is not under a worker mount`,
    );
  }
  const defaultHost = /\$\{VMBACKUP_HOST:-([a-z0-9-]+)\}/.exec(commandText(service('vmbackup-worker').command))?.[1];
  assert.ok(
    defaultHost && config.hosts.some((h) => h.name === defaultHost),
    `the worker's default --host ${defaultHost} is not a host of config.example.yaml`,
  );
});
