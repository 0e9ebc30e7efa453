// Which versions one verify run scrubs: a rolling share, so that every valid
// version is scrubbed at least once within `everyNights` runs. Each run takes
// the ceil(1/N) of the versions scrubbed least recently (never-scrubbed ones
// first, then the oldest scrub); ties go to the older version, so the order is
// stable and a version added today cannot push an old one out for ever.
// Pure: the host activity reads the store and the record, this decides.

export interface ShareCandidate {
  uid: string;
  /** When the version was made (ISO 8601). */
  date: string;
}

/** uid → when it was last scrubbed clean (ISO 8601). */
export type ScrubRecord = Readonly<Record<string, string>>;

/** How many of `total` versions one run scrubs so that N runs cover them all. */
export function shareSize(total: number, everyNights: number): number {
  if (total <= 0) return 0;
  return Math.min(total, Math.ceil(total / Math.max(1, everyNights)));
}

/** The versions this run scrubs, in the order it scrubs them. */
export function pickScrubShare<T extends ShareCandidate>(versions: readonly T[], record: ScrubRecord, everyNights: number): T[] {
  const key = (v: T) => record[v.uid] ?? '';
  const ordered = [...versions].sort((a, b) => key(a).localeCompare(key(b)) || a.date.localeCompare(b.date) || a.uid.localeCompare(b.uid));
  return ordered.slice(0, shareSize(versions.length, everyNights));
}

/** The record without keys (version uids, disk names) that no longer exist, so it never grows past the store. */
export function pruneRecord(record: ScrubRecord, existing: ReadonlySet<string>): Record<string, string> {
  return Object.fromEntries(Object.entries(record).filter(([uid]) => existing.has(uid)));
}
