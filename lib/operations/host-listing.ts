// Input and result of the `hostListing` workflow: the read-only listings of one
// backup host that the CLI cannot get from a single disk's look-up (`ls --host`,
// `snapshots --vm`, `show-excess`). Each is computed and cut on the host.
import { z } from 'zod';
import type { EngineVersion } from '../../activities/engine/engine.ts';
import { KeepRules } from '../keep-policy.ts';
import type { ExcessDisk } from '../listings/excess.ts';
import { MAX_PAGE, type Page } from '../listings/page.ts';
import { ImageName, PoolName, Workload } from '../naming.ts';

const Limit = z.number().int().min(1).max(MAX_PAGE);
const Offset = z.number().int().min(0).default(0);

export const HostListingInput = z.discriminatedUnion('listing', [
  /** Every version in the host's store, newest first. */
  z.strictObject({ listing: z.literal('versions'), host: z.string(), limit: Limit, offset: Offset }),
  /** Every snapshot of one disk, with the host whose backup made it. */
  z.strictObject({ listing: z.literal('snapshots'), host: z.string(), pool: PoolName, image: ImageName }),
  /** The disks over their policy in this host's store and pools. */
  z.strictObject({
    listing: z.literal('excess'),
    host: z.string(),
    targets: z.array(z.strictObject({ workload: Workload, pool: PoolName })),
    policy: z.strictObject({
      asOf: z.string(),
      minAgeDays: z.number(),
      liveForDays: z.partialRecord(Workload, z.number()),
      keep: z.partialRecord(Workload, KeepRules).optional(),
    }),
    limit: Limit,
    offset: Offset,
  }),
]);
export type HostListingInput = z.input<typeof HostListingInput>;

export interface DiskSnapshot {
  name: string;
  /** The backup host whose backup made it (its `_<host>` suffix); undefined: not this system's. */
  owner: string | undefined;
  takenAt: string | undefined;
  protected: boolean;
}

export type HostListingResult =
  | { listing: 'versions'; host: string; page: Page<EngineVersion> }
  | { listing: 'snapshots'; host: string; pool: string; image: string; exists: boolean; snapshots: DiskSnapshot[] }
  | { listing: 'excess'; host: string; asOf: string; page: Page<ExcessDisk> };
