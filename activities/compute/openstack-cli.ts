// The one way this project runs the real `openstack` CLI (python-openstackclient):
// argv only, an env of exactly the configured OS_* variables, and the shared
// server listing. The compute driver and the inventory driver both use it.
import { z } from 'zod';
import { CommandError, InvalidInputError } from '../../lib/errors.ts';
import { VmId } from '../../lib/naming.ts';
import { type RunOptions, type RunResult, runCommand } from '../exec/run-command.ts';

export interface OpenstackOptions {
  /** The `openstack` executable; `openstack` on PATH when omitted. */
  bin?: string | undefined;
  /**
   * OS_* variables that authenticate the CLI: OS_AUTH_URL, OS_USERNAME, OS_PASSWORD, OS_PROJECT_NAME,
   * OS_USER_DOMAIN_NAME, OS_PROJECT_DOMAIN_NAME, OS_IDENTITY_API_VERSION, OS_REGION_NAME, … or OS_CLOUD
   * (with OS_CLIENT_CONFIG_FILE when clouds.yaml is not in a standard place). Any other variable passes too.
   */
  env: Record<string, string>;
  /** Give up on one CLI call after this many ms (default 120 s). */
  timeoutMs?: number | undefined;
  log?: RunOptions['log'];
}

/**
 * A server, volume, image, flavor, network or project id (or a plain name): the
 * VmId pattern, which every UUID matches. It never starts with "-" (no option
 * injection) and has no "," or "=" (it goes into `--nic net-id=…`).
 */
export const OpenstackRef = VmId;

export class OpenstackCli {
  constructor(private readonly options: OpenstackOptions) {}

  run(args: string[]): Promise<RunResult> {
    return runCommand(this.options.bin ?? 'openstack', args, {
      env: this.childEnv(),
      timeoutMs: this.options.timeoutMs ?? 120_000,
      log: this.options.log,
    });
  }

  /** Runs a `-f json` command and parses what it prints (nothing reads as an empty list). */
  async json(args: string[]): Promise<unknown> {
    const { stdout } = await this.run(args);
    return JSON.parse(stdout || '[]') as unknown;
  }

  /**
   * `server list` of every project. `-c` picks columns and is also the only way to
   * get Project ID and Security Groups; `--no-name-lookup` skips listing every image
   * and flavor, since only their ids are kept.
   *
   * `--limit -1` reads every page. Nova cuts a listing at `osapi_max_limit` (1,000 by
   * default), and python-novaclient 18 (`ServerManager.list`, which the 6.0 CLI calls
   * with its `--limit`, default none) asks for the next page, by the last id as marker,
   * only when limit is -1; otherwise it returns the first page as if it were all.
   * (The CLIs of `volume list` and `image list` need no flag: python-cinderclient
   * follows Cinder's `volumes_links` and openstacksdk Glance's `next` unless a limit is given.)
   */
  async serverRows(columns: readonly string[]): Promise<Array<Record<string, unknown>>> {
    return (await this.json([
      'server',
      'list',
      '--all-projects',
      '--long',
      '--limit',
      '-1',
      '--no-name-lookup',
      ...columns.flatMap((c) => ['-c', c]),
      '-f',
      'json',
    ])) as Array<Record<string, unknown>>;
  }

  /**
   * The child inherits the worker's environment; an OS_* variable there that
   * the options do not set (say OS_CLOUD from a sourced openrc) would mix into
   * the credentials, so it is blanked: the CLI treats an empty one as unset.
   */
  private childEnv(): Record<string, string> {
    const blanked = Object.keys(process.env)
      .filter((k) => k.startsWith('OS_') && !(k in this.options.env))
      .map((k) => [k, '']);
    return { ...Object.fromEntries(blanked), ...this.options.env };
  }
}

/** A typed error (non-retryable in Temporal) rather than a ZodError, which would be retried. */
export function checked(schema: z.ZodType<string>, value: string, what: string): string {
  const result = schema.safeParse(value);
  if (!result.success) throw new InvalidInputError(`not a valid ${what}: ${JSON.stringify(value)} (${result.error.issues[0]?.message ?? 'invalid'})`);
  return result.data;
}

/** The catalog has no Cinder: a cloud whose disks are all Nova's. */
export function isNoVolumeService(err: unknown): boolean {
  return err instanceof CommandError && /endpoint for volume\w* service .*not found/i.test(err.stderrTail);
}
