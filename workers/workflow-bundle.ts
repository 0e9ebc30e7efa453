// The workflow code a worker runs: bundled at start-up (the dev default: always
// today's sources, a few seconds of webpack), or built ahead by
// scripts/bundle-workflows.ts (the worker image and systemd installs: no
// webpack at start, and every start of one release runs the same bundle).
//
// A prebuilt bundle goes stale when the sources change after it was built (a
// `git pull` without a rebuild): the workers would run yesterday's workflow
// code beside today's activities. So the bundle has a sidecar with a digest of
// the sources it was built from, and a worker refuses a bundle whose digest is
// not that of the sources beside it.
import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import { existsSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Logger } from '@temporalio/common';
import { bundleWorkflowCode, type WorkerOptions } from '@temporalio/worker';
import { z } from 'zod';
import { VmbackupError } from '../lib/errors.ts';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const require = createRequire(import.meta.url);
export const WORKFLOWS_PATH = join(ROOT, 'workflows/index.ts');
/** Where a prebuilt bundle is named for the worker when `--workflow-bundle` is not given. */
export const WORKFLOW_BUNDLE_ENV = 'VMBACKUP_WORKFLOW_BUNDLE';

/** Folders workflow code imports from (workflows import activities' types and lib's pure helpers). */
const SOURCE_DIRS = ['workflows', 'lib', 'activities'];

/** A prebuilt bundle that is missing, unreadable, or built from other sources. */
export class WorkflowBundleError extends VmbackupError {}

const Sidecar = z.strictObject({
  sourceDigest: z.string(),
  sdkVersion: z.string(),
  builtAt: z.string(),
});

const sidecarPath = (bundle: string) => `${bundle}.sources.json`;

/** sha256 over the workflow-side sources and the workflow SDK's version: what the bundle's behaviour depends on. */
export function sourceDigest(root = ROOT): string {
  const hash = createHash('sha256');
  const files = SOURCE_DIRS.flatMap((dir) => tsFiles(join(root, dir))).sort();
  for (const file of files) {
    hash.update(`${relative(root, file)}\0`);
    hash.update(readFileSync(file));
    hash.update('\0');
  }
  hash.update(`@temporalio/workflow@${workflowSdkVersion()}`);
  return hash.digest('hex');
}

function tsFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && e.name.endsWith('.ts'))
    // parentPath is Node 20.12+; `path` is its older name (engines allows 20.5).
    .map((e) => join(e.parentPath ?? (e as unknown as { path: string }).path, e.name));
}

function workflowSdkVersion(): string {
  const pkg = JSON.parse(readFileSync(require.resolve('@temporalio/workflow/package.json'), 'utf8')) as { version: string };
  return pkg.version;
}

/** Bundles the workflow code into `outFile` (and its sidecar), whole or not at all. */
export async function buildWorkflowBundle(outFile: string, logger?: Logger): Promise<void> {
  const digest = sourceDigest();
  const { code } = await bundleWorkflowCode({ workflowsPath: WORKFLOWS_PATH, ...(logger ? { logger } : {}) });
  // A worker starting meanwhile must never read half a bundle: write aside, then rename.
  writeFileSync(`${outFile}.tmp`, code);
  renameSync(`${outFile}.tmp`, outFile);
  const sidecar: z.infer<typeof Sidecar> = { sourceDigest: digest, sdkVersion: workflowSdkVersion(), builtAt: new Date().toISOString() };
  writeFileSync(sidecarPath(outFile), `${JSON.stringify(sidecar, null, 2)}\n`);
}

/**
 * The `workflowBundle` option for Worker.create: the prebuilt bundle at `path`,
 * checked against today's sources, or (no path) the sources bundled now.
 */
export async function workflowBundleOption(path: string | undefined, logger?: Logger): Promise<NonNullable<WorkerOptions['workflowBundle']>> {
  if (!path) return bundleWorkflowCode({ workflowsPath: WORKFLOWS_PATH, ...(logger ? { logger } : {}) });
  const rebuild = `rebuild it: node --import tsx ${relative(process.cwd(), join(ROOT, 'scripts/bundle-workflows.ts')) || 'scripts/bundle-workflows.ts'} --out ${path}`;
  if (!existsSync(path)) throw new WorkflowBundleError(`workflow bundle ${path} does not exist`, `${rebuild} (or drop --workflow-bundle / ${WORKFLOW_BUNDLE_ENV} to bundle at start-up)`);
  let sidecar: z.infer<typeof Sidecar>;
  try {
    sidecar = Sidecar.parse(JSON.parse(readFileSync(sidecarPath(path), 'utf8')));
  } catch (err) {
    throw new WorkflowBundleError(`workflow bundle ${path}: its sidecar ${sidecarPath(path)} is missing or unreadable (${(err as Error).message.split('\n')[0]})`, rebuild);
  }
  if (sidecar.sourceDigest !== sourceDigest()) {
    throw new WorkflowBundleError(`workflow bundle ${path} (built ${sidecar.builtAt}) was built from other sources than those in ${ROOT}: it would run old workflow code beside new activities`, rebuild);
  }
  return { codePath: path };
}
