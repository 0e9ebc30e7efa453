// One page of a long listing, and how much was left out: listings that span a
// host or the fleet travel through a workflow's result (Temporal refuses
// payloads over 2 MB), so they are cut on the host and the rest is counted.

/** Rows one page holds at most (a version row is about 300 bytes of JSON). */
export const MAX_PAGE = 2000;

export interface Page<T> {
  rows: T[];
  /** Rows in the whole listing. */
  total: number;
  offset: number;
}

/** `rows[offset, offset + limit)` of an already sorted listing. */
export function pageOf<T>(rows: readonly T[], offset: number, limit: number): Page<T> {
  return { rows: rows.slice(offset, offset + limit), total: rows.length, offset };
}

/** Rows after this page, for the "N more" line: `--offset` reads them. */
export const leftAfter = (page: Pick<Page<unknown>, 'rows' | 'total' | 'offset'>): number => Math.max(0, page.total - page.offset - page.rows.length);
