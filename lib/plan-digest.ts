// A short digest of what a destructive run would remove, so that `--yes` carries
// out the plan the operator was shown and not a fresh one. The dry run prints it;
// the real run passes it back in the workflow's input, and the workflow, after
// planning again, removes nothing unless its own plan has the same digest.
// Pure and deterministic (no Node crypto): workflows compute it too.
import { z } from 'zod';
import { HostName } from './naming.ts';

/** What a plan removes: the kind is part of the digest, so a purge's plan never confirms another command's. */
export type PlanKind = 'purge' | 'remove-invalids' | 'remove-unhandled' | 'snapshots-purge' | 'schedules' | 'takeover';

export const PlanDigest = z.string().regex(/^[0-9a-f]{10}$/, 'a plan digest: 10 hex digits, as the dry run printed it');

/** The digest of removing `items` (uids, snapshot or schedule ids) on `host`; the order of `items` does not matter. */
export function planDigest(kind: PlanKind, host: string, items: readonly string[]): string {
  const text = [kind, host, ...[...new Set(items)].sort()].join('\n');
  return cyrb53(text).toString(16).padStart(14, '0').slice(-10);
}

/** cyrb53 (public domain): a fast 53-bit string hash with good spread; not a security boundary, a check of sameness. */
function cyrb53(text: string): number {
  let h1 = 0xdeadbeef;
  let h2 = 0x41c6ce57;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    h1 = Math.imul(h1 ^ c, 2654435761);
    h2 = Math.imul(h2 ^ c, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return 4294967296 * (2097151 & h2) + (h1 >>> 0);
}

/**
 * The plan one command run confirms, host by host: `backup1:3f2a9c1e04,backup2:77aa01bc55`.
 * One token for every host the dry run covered, so the operator copies one value.
 */
export const PlanToken = z
  .string()
  .transform((text) => text.split(',').map((pair) => pair.split(':')))
  .pipe(z.array(z.tuple([HostName, PlanDigest])).min(1))
  .transform((pairs) => new Map(pairs));

export function formatPlanToken(digests: ReadonlyArray<{ host: string; planDigest: string }>): string {
  return digests.map((d) => `${d.host}:${d.planDigest}`).join(',');
}

/** Refusal of a run whose plan is not the one confirmed: nothing was removed. */
export function planChangedMessage(host: string, confirmed: string, now: string, removals: number, what: string): string {
  return (
    `${host}: the plan changed since it was shown (confirmed ${confirmed}, now ${now}: ${removals} ${what} would go); nothing was removed. ` +
    'Run the command with --dry-run again, check the new plan, and confirm it with --yes --plan.'
  );
}
