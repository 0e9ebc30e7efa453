// The worker image, checked offline (there is no Docker engine here): it
// installs the one package list scripts/install-deps.sh installs too, its build
// context keeps out node_modules, .stack and .git but lets in all it copies,
// it bundles the workflow code at build time and runs as an unprivileged user.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { execa, execaSync } from 'execa';
import { ROOT } from '../../scripts/support/private-config.ts';
import { WORKFLOW_BUNDLE_ENV } from '../../workers/workflow-bundle.ts';
import { copyArgs, dockerfileInstructions, dockerignore } from '../support/build-context.ts';

const DOCKERFILE = join(ROOT, 'temporal-docker/worker.Dockerfile');
const WORKER_LIST = 'deploy/packages/worker.txt';
const STACK_LIST = 'deploy/packages/local-stack.txt';

/** A package list as both readers read it: `#` comments and blanks dropped. */
const listed = (file: string) =>
  readFileSync(join(ROOT, file), 'utf8')
    .split('\n')
    .map((l) => l.replace(/#.*/, '').trim())
    .filter(Boolean);

const instructions = () => dockerfileInstructions(DOCKERFILE);

test('install-deps.sh installs the worker list and the local-stack list, nothing else', async () => {
  const { stdout } = await execa('bash', [join(ROOT, 'scripts/install-deps.sh'), 'packages']);
  assert.deepEqual(stdout.split('\n'), [...listed(WORKER_LIST), ...listed(STACK_LIST)]);
  assert.doesNotMatch(readFileSync(join(ROOT, 'scripts/install-deps.sh'), 'utf8'), /\bceph-common\b/, 'no package named in the script itself: the lists are the one place');
});

test('the worker list has what the activities run; the local-stack list what only the stack and its tests need', () => {
  const worker = listed(WORKER_LIST);
  for (const pkg of ['ceph-common', 'python3-rbd', 'python3-rados', 'sqlite3', 'python3-openstackclient', 'python3-venv']) assert.ok(worker.includes(pkg), `${WORKER_LIST} lacks ${pkg}`);
  const stack = listed(STACK_LIST);
  for (const pkg of ['ceph-mon', 'ceph-osd', 'systemd']) assert.ok(stack.includes(pkg), `${STACK_LIST} lacks ${pkg}`);
  assert.deepEqual(worker.filter((p) => stack.includes(p)), [], 'a package is in one list only');
});

test('every listed package is a real Debian package, installed here by install-deps.sh; systemd-analyze comes from one of them', async () => {
  const all = [...listed(WORKER_LIST), ...listed(STACK_LIST)];
  const { stdout } = await execa('dpkg-query', ['-W', '-f', '${Package} ${db:Status-Status}\\n', ...all], { reject: false });
  const status = new Map(stdout.split('\n').map((l) => l.split(' ') as [string, string]));
  for (const pkg of all) assert.equal(status.get(pkg), 'installed', `${pkg} is not installed (run scripts/install-deps.sh apt)`);
  const { stdout: which } = await execa('bash', ['-c', 'command -v systemd-analyze']);
  const { stdout: owner } = await execa('dpkg', ['-S', which.trim()]);
  assert.ok(all.includes(owner.split(':')[0]!), `systemd-analyze is from ${owner}, not a listed package`);
});

test('worker.Dockerfile installs exactly the worker list, from the file', () => {
  const ins = instructions();
  const copy = ins.find((i) => i.keyword === 'COPY' && copyArgs(i.args)[0] === WORKER_LIST);
  assert.ok(copy, `worker.Dockerfile does not copy ${WORKER_LIST}`);
  const inImage = copyArgs(copy.args).at(-1)!;
  const installs = ins.filter((i) => i.keyword === 'RUN' && /apt-get install/.test(i.args));
  assert.equal(installs.length, 1, 'one apt-get install');
  assert.ok(installs[0]!.args.includes(inImage), `the apt-get install does not read ${inImage}`);
  // The image reads the list as the Dockerfile's own pipeline reads it: run that pipeline on the repo's file.
  const pipeline = /(sed [^|]*)\|[^|&]*xargs apt-get install/.exec(installs[0]!.args)?.[1]?.trim();
  assert.ok(pipeline?.endsWith(inImage), `the install is not \`sed … ${inImage} | xargs apt-get install\``);
  const read = execaSync('bash', ['-c', `${pipeline!.slice(0, -inImage.length)}"$1" | xargs printf '%s\\n'`, 'bash', join(ROOT, WORKER_LIST)]).stdout.split('\n');
  assert.deepEqual(read, listed(WORKER_LIST), 'the image installs what install-deps.sh installs from the worker list');
  // No package named beside the list: up to the next `&&`, `|` or `;` everything after `install` is an option.
  const named = /apt-get install([^&|;]*)/.exec(installs[0]!.args)![1]!.split(/\s+/).filter((a) => a && !a.startsWith('-'));
  assert.deepEqual(named, [], 'packages named in the Dockerfile instead of the list');
});

test('.dockerignore keeps node_modules, .stack and .git out, and lets in every file the Dockerfile copies', async () => {
  const ignored = dockerignore(join(ROOT, '.dockerignore'));
  for (const p of ['node_modules', 'node_modules/execa/index.js', '.stack', '.stack/ceph/keyring', '.git', '.git/HEAD', 'lib/node_modules/x.js', 'worker.log', 'dist/workflow-bundle.js', 'test/unit/x.test.ts', 'README.md'])
    assert.ok(ignored(p), `${p} reaches the build context`);
  const sources = instructions()
    .filter((i) => i.keyword === 'COPY' && !/--from=/.test(i.args))
    .flatMap((i) => copyArgs(i.args).slice(0, -1))
    .map((s) => s.replace(/\/$/, ''));
  assert.ok(sources.length > 5);
  const { stdout } = await execa('git', ['ls-files', '--cached', '--others', '--exclude-standard', '--', ...sources], { cwd: ROOT });
  const files = stdout.split('\n').filter(Boolean);
  for (const source of sources) assert.ok(files.some((f) => f === source || f.startsWith(`${source}/`)), `${source} is copied but has no file in the repo`);
  for (const file of files) assert.ok(!ignored(file), `${file} is copied by the Dockerfile but .dockerignore leaves it out`);
});

test('worker.Dockerfile bundles the workflow code at build time and points the worker at it', () => {
  const ins = instructions();
  const bundleRun = ins.find((i) => i.keyword === 'RUN' && /scripts\/bundle-workflows\.ts --out (\S+)/.test(i.args));
  assert.ok(bundleRun, 'no RUN of scripts/bundle-workflows.ts');
  const out = /--out (\S+)/.exec(bundleRun.args)![1]!;
  const env = ins.find((i) => i.keyword === 'ENV' && i.args.startsWith(`${WORKFLOW_BUNDLE_ENV}=`));
  assert.equal(env?.args, `${WORKFLOW_BUNDLE_ENV}=${out}`, 'the worker is pointed at the bundle built');
  // After every source the bundle is built from is copied, or it would be refused as stale.
  const at = (pred: (i: (typeof ins)[number]) => boolean) => ins.findIndex(pred);
  for (const dir of ['workflows', 'lib', 'activities']) {
    assert.ok(at((i) => i.keyword === 'COPY' && copyArgs(i.args)[0]?.replace(/\/$/, '') === dir) < ins.indexOf(bundleRun), `${dir}/ is copied after the bundle is built`);
  }
});

test('worker.Dockerfile runs the worker as an unprivileged user with fixed ids', () => {
  const ins = instructions();
  const users = ins.filter((i) => i.keyword === 'USER');
  assert.equal(users.at(-1)?.args, 'vmbackup', 'the last USER is vmbackup');
  assert.ok(ins.some((i) => i.keyword === 'RUN' && /useradd --system --uid "\$VMBACKUP_UID"/.test(i.args)));
  const entry = ins.findIndex((i) => i.keyword === 'ENTRYPOINT');
  assert.ok(ins.indexOf(users.at(-1)!) < entry);
});
