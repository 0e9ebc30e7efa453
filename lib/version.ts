// What `vmbackup --version` and `backup-host.ts --version` print: the package
// version, and the commit it was built from when that can be known. An
// operator compares it across hosts before a rollout, so it must never fail:
// outside a git checkout (an installed tarball, the worker image) the commit
// comes from VMBACKUP_COMMIT (set at image build) or is left out.
import { readFileSync, realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { execaSync } from 'execa';
import { z } from 'zod';

const ROOT = fileURLToPath(new URL('../', import.meta.url));

/** Set by the worker image's build (`--build-arg VMBACKUP_COMMIT=$(git rev-parse HEAD)`): there is no .git inside. */
export const COMMIT_ENV = 'VMBACKUP_COMMIT';

const PackageJson = z.object({ name: z.string(), version: z.string() });
const CommitId = z.string().regex(/^[0-9a-f]{7,64}$/);

export interface VersionInfo {
  name: string;
  version: string;
  commit?: string | undefined;
}

export function versionInfo(env: NodeJS.ProcessEnv = process.env): VersionInfo {
  const pkg = PackageJson.parse(JSON.parse(readFileSync(`${ROOT}package.json`, 'utf8')));
  return { name: pkg.name, version: pkg.version, commit: commitFromEnv(env) ?? commitFromGit() };
}

/** `vmbackup 0.1.0 (commit 0123456789ab)`, or without the commit when none is known. */
export function versionText(info: VersionInfo = versionInfo()): string {
  return `${info.name} ${info.version}${info.commit ? ` (commit ${info.commit.slice(0, 12)})` : ''}`;
}

function commitFromEnv(env: NodeJS.ProcessEnv): string | undefined {
  const parsed = CommitId.safeParse(env[COMMIT_ENV]?.trim());
  return parsed.success ? parsed.data : undefined;
}

/** HEAD of the checkout this code runs from: only when the checkout's top is this package (not a repo around it). */
function commitFromGit(): string | undefined {
  try {
    const { stdout, exitCode } = execaSync('git', ['-C', ROOT, 'rev-parse', '--show-toplevel', 'HEAD'], { reject: false, timeout: 5000, stdin: 'ignore' });
    if (exitCode !== 0) return undefined;
    const [top, head] = String(stdout).split('\n');
    if (!top || realpathSync(top) !== realpathSync(ROOT)) return undefined;
    const parsed = CommitId.safeParse(head?.trim());
    return parsed.success ? parsed.data : undefined;
  } catch {
    // A version line must not fail: whatever went wrong (a path that vanished), there is just no commit.
    return undefined;
  }
}
