// Every workflow id the CLI starts ends in a time stamp or, for a read-only
// look-up, a random part: one home for both, so ids read alike in the Web UI
// (`restore/<vm>/2026-11-25T200102`, `purge/backup1/2026-11-25T200102/dry-run`).
import { randomUUID } from 'node:crypto';

/** The operation's second, UTC, without colons: `YYYY-mm-ddTHHMMSS`. Ids of one command run share it. */
export const idStamp = (at: Date = new Date()): string => at.toISOString().slice(0, 19).replaceAll(':', '');

/** The id of a look-up that changes nothing (ls, where, aside ls): many run in one second, so unique by a UUID. */
export const lookupId = (...parts: string[]): string => [...parts, randomUUID()].join('/');
