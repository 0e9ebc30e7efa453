// Images a restore moved aside (`<image>.vmbackup-aside-<YYYYmmddTHHMMSS>`) are
// kept for restore.keep_aside_days, then removed here. Nothing else is touched:
// only names of exactly that form, and only once they are old enough.
import { log } from '@temporalio/activity';
import { isNotFound } from './ceph/rbd.ts';
import type { HostDeps } from './host-deps.ts';

const ASIDE = /\.vmbackup-aside-(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})$/;

/** When an image was moved aside, from its name; undefined for any other image. */
export function asideTime(image: string): Date | undefined {
  const m = ASIDE.exec(image);
  return m ? new Date(`${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6]}Z`) : undefined;
}

export interface AsidePurgeResult {
  removed: Array<{ pool: string; image: string; asideAt: string }>;
  kept: Array<{ pool: string; image: string; asideAt: string; reason: string }>;
}

export function createAsideActivities(deps: HostDeps) {
  return {
    async purgeAsideImages(input: { pools: string[]; keepDays: number; now: string; dryRun: boolean }): Promise<AsidePurgeResult> {
      const result: AsidePurgeResult = { removed: [], kept: [] };
      const cutoff = Date.parse(input.now) - input.keepDays * 86_400_000;
      for (const pool of input.pools) {
        for (const image of await deps.rbd.listImages(pool)) {
          const at = asideTime(image);
          if (!at) continue;
          if (at.getTime() > cutoff) {
            result.kept.push({ pool, image, asideAt: at.toISOString(), reason: `younger than ${input.keepDays} days` });
            continue;
          }
          if (!input.dryRun) {
            log.info(`removing ${pool}/${image}, moved aside ${at.toISOString()}`);
            try {
              await deps.rbd.purgeSnapshots(pool, image);
              await deps.rbd.removeImage(pool, image);
            } catch (err) {
              if (!isNotFound(err)) throw err;
            }
          }
          result.removed.push({ pool, image, asideAt: at.toISOString() });
        }
      }
      return result;
    },
  };
}

export type AsideActivities = ReturnType<typeof createAsideActivities>;
