// The scratch image a restore drill restores into: `vmbackup-drill-<host>-<uid>`.
// It can never be a real disk's name: Nova's are `<id>_disk`, Cinder's
// `volume-<id>`, and Glance's pool is refused outright (there any name is an
// image), so the drill never writes where a disk lives; and no two drills of
// different versions or hosts share one.
import { diskIdFromImage, HostName, ImageName, VersionUid, type Workload } from '../naming.ts';
import { InvalidInputError } from '../errors.ts';

export const SCRATCH_PREFIX = 'vmbackup-drill-';

export function scratchImageName(host: string, uid: string): string {
  const name = ImageName.parse(`${SCRATCH_PREFIX}${HostName.parse(host)}-${VersionUid.parse(uid)}`);
  for (const w of ['vms', 'volumes'] as const satisfies Workload[]) {
    if (diskIdFromImage(w, name) !== undefined) throw new InvalidInputError(`scratch name ${name} would read as a ${w} disk`);
  }
  return name;
}

/** Refuses a scratch pool where every name is a disk (the Glance images pool). */
export function checkScratchPool(pool: string, imagesPool: string | undefined): void {
  if (imagesPool !== undefined && pool === imagesPool) {
    throw new InvalidInputError(
      `drill.pool ${pool} is the Glance images pool, where any image name is an image: choose another pool for scratch images`,
      'Set drill.pool to the VM pool or a pool of its own.',
    );
  }
}

export const isScratchImage = (name: string) => name.startsWith(SCRATCH_PREFIX);
