// What every benchmark case shares: timing from a dropped page cache, the
// median of a few runs, and figures rounded for docs/bench/results.json.
import { writeFileSync } from 'node:fs';
import { execa } from 'execa';

export const log = (text: string) => console.error(`[bench] ${text}`);

export async function dropCaches(): Promise<void> {
  await execa('sync');
  try {
    writeFileSync('/proc/sys/vm/drop_caches', '3\n');
  } catch (err) {
    log(`could not drop the page cache (${(err as Error).message}); figures include a warm cache`);
  }
}

/** Seconds `fn` takes, started from a cold page cache. */
export async function timed(fn: () => Promise<unknown>): Promise<number> {
  await dropCaches();
  const t0 = performance.now();
  await fn();
  return (performance.now() - t0) / 1000;
}

export const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
export const round = (x: number, digits = 3) => Number(x.toFixed(digits));

/** Runs `fn` on every item, `lanes` at a time, each lane taking the next item (as the nightly workflow does). */
export async function inLanes<T>(items: readonly T[], lanes: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const lane = async () => {
    while (next < items.length) await fn(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(lanes, items.length) }, lane));
}
