// `vmbackup plan` as one pure function: each host's facts (from its worker) and
// measured nights (from visibility) in; each host's predicted night, whether it
// fits its window, and the proposed moves out. The CLI fetches and prints.
import { type HostLoad, needsBalancing, proposeMoves, type Move, steadySeconds, tonightSeconds } from './balance.ts';
import type { ProjectWork } from './disk-work.ts';
import { fitHostModel, type HostModel, type MeasuredNight } from './model.ts';

export interface HostInput {
  host: string;
  concurrency: number;
  windowSeconds: number;
  planned: number;
  full: number;
  readBytesPerSecond: number | undefined;
  projects: ProjectWork[];
  nights: MeasuredNight[];
}

export interface HostPlan {
  host: string;
  planned: number;
  full: number;
  windowSeconds: number;
  /** `measured`: fitted from this host's nights; `fleet`: the other hosts' median (no night measured here yet). */
  modelFrom: 'measured' | 'fleet' | 'none';
  model: HostModel | undefined;
  /** Tonight, full copies included; undefined without a model. */
  predictedSeconds: number | undefined;
  /** A night once every disk has a version. */
  steadySeconds: number | undefined;
  fits: boolean | undefined;
}

export interface FleetPlan {
  hosts: HostPlan[];
  balance: { needed: boolean; moves: Move[]; after: Array<{ host: string; steadySeconds: number; windowSeconds: number }> } | undefined;
}

/** A night's memo (`summaryMemo`) as a measured night; undefined for a night that backed nothing up or has no duration. */
export function measuredNight(memo: unknown): MeasuredNight | undefined {
  const s = (memo as { summary?: { counts?: Record<string, number>; bytesRead?: number; durationSeconds?: number } } | undefined)?.summary;
  const c = s?.counts;
  if (!c || typeof s.durationSeconds !== 'number' || typeof s.bytesRead !== 'number') return undefined;
  // A failed disk took lane time too (its bytes are unknown, most fail early).
  const disks = (c.full ?? 0) + (c.incremental ?? 0) + (c.failed ?? 0);
  return disks > 0 && s.durationSeconds > 0 ? { durationSeconds: s.durationSeconds, disks, bytesRead: s.bytesRead } : undefined;
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
};

export function planFleet(inputs: readonly HostInput[], options: { balance: boolean; threshold?: number }): FleetPlan {
  const fitted = inputs.map((h) => fitHostModel(h.nights, h.readBytesPerSecond, h.concurrency));
  const known = fitted.filter((m): m is HostModel => m !== undefined);
  // A host with no measured night yet (a new one) borrows the others' median figures.
  const borrowed = (concurrency: number): HostModel | undefined =>
    known.length
      ? {
          fixedSecondsPerDisk: median(known.map((m) => m.fixedSecondsPerDisk)),
          readBytesPerSecond: median(known.map((m) => m.readBytesPerSecond)),
          concurrency,
          nights: 0,
        }
      : undefined;
  const loads: Array<HostLoad | undefined> = [];
  const hosts = inputs.map((h, i): HostPlan => {
    const model = fitted[i] ?? borrowed(h.concurrency);
    const modelFrom = fitted[i] ? 'measured' : model ? 'fleet' : 'none';
    const load = model && { host: h.host, model, windowSeconds: h.windowSeconds, projects: h.projects };
    loads.push(load);
    const predicted = load && tonightSeconds(load);
    return {
      host: h.host,
      planned: h.planned,
      full: h.full,
      windowSeconds: h.windowSeconds,
      modelFrom,
      model,
      predictedSeconds: predicted,
      steadySeconds: load && steadySeconds(load, load.projects),
      fits: predicted === undefined ? undefined : predicted <= h.windowSeconds,
    };
  });
  const all = loads.filter((l): l is HostLoad => l !== undefined);
  if (!options.balance || all.length < 2 || all.length < inputs.length) return { hosts, balance: undefined };
  const needed = needsBalancing(all, options.threshold);
  if (!needed) return { hosts, balance: { needed, moves: [], after: [] } };
  const { moves, after } = proposeMoves(all);
  return { hosts, balance: { needed, moves, after: after.map((h) => ({ host: h.host, steadySeconds: steadySeconds(h, h.projects), windowSeconds: h.windowSeconds })) } };
}
