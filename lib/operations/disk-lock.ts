// One operation per disk: the lock every backup and restore takes on its Ceph
// image before it touches it. The lock is a workflow whose id names the image
// (`disk-lock/<pool>/<image>`), started as a child of the operation: Temporal
// refuses to start a second execution with an id that is running, in the
// history service itself, so two operations can never both hold it (a
// visibility query, which lags, could not promise that). The lock lives exactly
// as long as its holder: the parent close policy terminates it when the holder
// ends in any way (completed, failed, cancelled, terminated, timed out).
import { z } from 'zod';
import { ImageName, PoolName } from '../naming.ts';

/** What an operation does when another one holds its disk. */
export const IfBusy = z.enum(['refuse', 'wait']);
export type IfBusy = z.infer<typeof IfBusy>;

export const DiskLockInput = z.strictObject({
  pool: PoolName,
  image: ImageName,
  /** Workflow id of the operation that holds it, for the Web UI and the busy message. */
  holder: z.string().min(1),
  operation: z.string().min(1),
});
export type DiskLockInput = z.input<typeof DiskLockInput>;

/** The lock's workflow id: the image, which is what two operations must not share. */
export function diskLockId(pool: string, image: string): string {
  return `disk-lock/${pool}/${image}`;
}

/** Who holds a lock, as the describe of its workflow says. */
export interface DiskLockState {
  /** The lock workflow is running. */
  held: boolean;
  /** The holder's workflow id (the lock's parent). */
  holder?: string | undefined;
  /** The holder still runs (false: it ended and the server is about to close the lock). */
  holderRunning: boolean;
}
