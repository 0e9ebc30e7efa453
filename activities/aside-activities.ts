// Images a restore moved aside (`<image>.vmbackup-aside-<YYYYmmddTHHMMSS>`):
// listed with what the restore that made them recorded on them (rbd image-meta,
// see ASIDE_META), removed by purge-aside, or put back under their name.
// purge-aside removes only names of exactly that form, and of those only the
// ones whose restore completed and that are older than keep_aside_days, or the
// ones the operator names. An image whose restore did not complete is the only
// copy of a disk as it was: it stays until it is put back or named.
import { ApplicationFailure, Context, log } from '@temporalio/activity';
import type { Client } from '@temporalio/client';
import { WorkflowNotFoundError } from '@temporalio/client';
import { asideImageName, parseAsideImageName } from '../lib/naming.ts';
import { ASIDE_META } from '../lib/operations/restore.ts';
import { isNotFound } from './ceph/rbd.ts';
import { withHeartbeat } from './heartbeat.ts';
import type { HostDeps } from './host-deps.ts';

export interface AsideImage {
  pool: string;
  image: string;
  /** The image it was moved aside from, and goes back to. */
  belongsTo: string;
  asideAt: string;
  /** Workflow id of the restore that moved it aside, if one recorded it. */
  restoreId?: string | undefined;
  /** When that restore completed; absent: it did not (or recorded nothing). */
  completedAt?: string | undefined;
  /** Set when `aside put-back` moved this image out of the way: the aside image it put back. */
  putBackOf?: string | undefined;
}

export interface AsidePurgeResult {
  removed: Array<{ pool: string; image: string; asideAt: string }>;
  kept: Array<{ pool: string; image: string; asideAt: string; reason: string }>;
  /** Names the operator gave that are no aside image of these pools. */
  notFound: string[];
}

export interface PutBackResult {
  pool: string;
  aside: string;
  image: string;
  /** What the image under the name was renamed to (kept, never deleted); undefined when there was none. */
  displacedTo?: string | undefined;
  dryRun: boolean;
  plan: string[];
}

export function createAsideActivities(deps: HostDeps, clients: { temporal: Client }) {
  const { rbd } = deps;
  const exists = async (pool: string, image: string) => (await rbd.imageSize(pool, image)) !== undefined;

  async function describeAside(pool: string, image: string, aside: { belongsTo: string; asideAt: Date }): Promise<AsideImage> {
    const meta = await rbd.imageMeta(pool, image);
    return {
      pool,
      image,
      belongsTo: aside.belongsTo,
      asideAt: aside.asideAt.toISOString(),
      restoreId: meta[ASIDE_META.restore],
      completedAt: meta[ASIDE_META.completed],
      putBackOf: meta[ASIDE_META.putBack],
    };
  }

  async function listAside(pools: readonly string[]): Promise<AsideImage[]> {
    const found: AsideImage[] = [];
    for (const pool of pools) {
      for (const image of await rbd.listImages(pool)) {
        const aside = parseAsideImageName(image);
        if (!aside) continue;
        try {
          found.push(await describeAside(pool, image, aside));
        } catch (err) {
          if (!isNotFound(err)) throw err; // removed meanwhile
        }
      }
    }
    return found;
  }

  /** The recorded restore still runs: its own compensation may yet move the image back. Read from the execution, not visibility. */
  async function restoreRunning(restoreId: string | undefined): Promise<boolean> {
    if (!restoreId) return false;
    try {
      return (await clients.temporal.workflow.getHandle(restoreId).describe()).status.name === 'RUNNING';
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) return false;
      throw err;
    }
  }

  /** Why an aside image is kept, or undefined when it may go. */
  async function keepReason(a: AsideImage, named: boolean, cutoff: number, keepDays: number): Promise<string | undefined> {
    if (await restoreRunning(a.restoreId)) return `its restore ${a.restoreId} is still running`;
    if (named) return undefined;
    if (!a.completedAt) {
      return a.restoreId
        ? `its restore ${a.restoreId} did not complete: put it back (vmbackup aside put-back ${a.image}) or name it to remove it`
        : 'no completed restore is recorded on it: name it to remove it';
    }
    if (Date.parse(a.asideAt) > cutoff) return `younger than ${keepDays} days`;
    return undefined;
  }

  return {
    /** Every aside image of these pools, with what its restore recorded. */
    async listAsideImages(input: { pools: string[] }): Promise<AsideImage[]> {
      return listAside(input.pools);
    },

    async purgeAsideImages(input: { pools: string[]; keepDays: number; now: string; dryRun: boolean; named?: string[] | undefined }): Promise<AsidePurgeResult> {
      const result: AsidePurgeResult = { removed: [], kept: [], notFound: [] };
      const cutoff = Date.parse(input.now) - input.keepDays * 86_400_000;
      const named = new Set(input.named ?? []);
      const all = await listAside(input.pools);
      result.notFound = [...named].filter((n) => !all.some((a) => a.image === n || `${a.pool}/${a.image}` === n));
      await withHeartbeat({ step: 'purge-aside' }, async () => {
        for (const a of all) {
          const reason = await keepReason(a, named.has(a.image) || named.has(`${a.pool}/${a.image}`), cutoff, input.keepDays);
          if (reason) {
            result.kept.push({ pool: a.pool, image: a.image, asideAt: a.asideAt, reason });
            continue;
          }
          if (!input.dryRun) {
            log.info(`removing ${a.pool}/${a.image}, moved aside ${a.asideAt}`);
            try {
              await rbd.purgeSnapshots(a.pool, a.image);
              await rbd.removeImage(a.pool, a.image, { cancelSignal: Context.current().cancellationSignal });
            } catch (err) {
              if (!isNotFound(err)) throw err;
            }
          }
          result.removed.push({ pool: a.pool, image: a.image, asideAt: a.asideAt });
        }
      });
      return result;
    },

    /**
     * Puts an aside image back under the name it came from. Refused while the
     * restore that made it runs, or while the image under the name is open (a
     * running VM). The image under the name, if any, is renamed aside (kept,
     * never deleted). Idempotent: a retry finds the displaced image's mark.
     */
    async putBackAside(input: { pools: string[]; aside: string; now: string; dryRun: boolean }): Promise<PutBackResult> {
      const parsed = parseAsideImageName(input.aside);
      if (!parsed) throw ApplicationFailure.create({ type: 'InvalidInputError', nonRetryable: true, message: `${input.aside} is not an aside image (<image>.vmbackup-aside-<time>)` });
      const image = parsed.belongsTo;
      let pool: string | undefined;
      for (const p of input.pools) if (await exists(p, input.aside)) pool = p;
      if (!pool) {
        // A retry after the rename: the displaced image records which aside image it made room for.
        const done = (await listAside(input.pools)).find((a) => a.putBackOf === input.aside);
        if (done && !input.dryRun) return { pool: done.pool, aside: input.aside, image, displacedTo: done.image, dryRun: false, plan: [] };
        throw ApplicationFailure.create({ type: 'UnknownVmError', nonRetryable: true, message: `no aside image ${input.aside} in ${input.pools.join(', ')}; see \`vmbackup aside ls\`` });
      }
      const a = await describeAside(pool, input.aside, parsed);
      if (await restoreRunning(a.restoreId)) {
        throw ApplicationFailure.create({
          type: 'DiskBusyError',
          nonRetryable: true,
          message: `the restore ${a.restoreId} that moved ${input.aside} aside is still running: cancel it (it then puts the disk back itself) or let it finish; nothing was changed`,
        });
      }
      const current = await exists(pool, image);
      const watchers = current ? await rbd.watchers(pool, image) : [];
      if (watchers.length) {
        throw ApplicationFailure.create({
          type: 'DiskBusyError',
          nonRetryable: true,
          message: `${pool}/${image} is open by ${watchers.join(', ')}: stop the VM first; nothing was changed`,
        });
      }
      const displacedTo = current ? asideImageName(image, new Date(input.now)) : undefined;
      if (displacedTo === input.aside) throw ApplicationFailure.create({ message: `${displacedTo} is the image being put back; try again in a second` });
      const plan = [
        current ? `rename ${pool}/${image} to ${displacedTo} (kept, not deleted)` : `${pool}/${image} does not exist: nothing to move out of the way`,
        `rename ${pool}/${input.aside} to ${image}`,
      ];
      if (input.dryRun) return { pool, aside: input.aside, image, displacedTo, dryRun: true, plan };
      if (displacedTo) {
        await rbd.rename(pool, image, displacedTo);
        for (const key of Object.values(ASIDE_META)) await rbd.removeImageMeta(pool, displacedTo, key);
        await rbd.setImageMeta(pool, displacedTo, ASIDE_META.putBack, input.aside);
      }
      await rbd.rename(pool, input.aside, image);
      for (const key of Object.values(ASIDE_META)) await rbd.removeImageMeta(pool, image, key);
      return { pool, aside: input.aside, image, displacedTo, dryRun: false, plan };
    },
  };
}

export type AsideActivities = ReturnType<typeof createAsideActivities>;
