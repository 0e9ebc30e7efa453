// Project moves that even out the hosts' nights (`vmbackup plan`): greedy, by
// each project's predicted cost. Only ever a proposal: it is printed as a
// project_assignments snippet for an operator to paste, never applied.
import { type ProjectWork, OTHER_PROJECTS } from './disk-work.ts';
import { addWork, type HostModel, laneSeconds, NO_WORK, predictSeconds, type Work } from './model.ts';

export interface HostLoad {
  host: string;
  model: HostModel;
  windowSeconds: number;
  projects: ProjectWork[];
}

export interface Move {
  project: string;
  from: string;
  to: string;
  /** The project's steady night cost on `to`, in lane-seconds. */
  steadySeconds: number;
  /** What its first night on `to` copies whole. */
  firstNightBytes: number;
}

/** Beyond this gap between the most and least loaded host (share of their windows), moves are proposed. */
export const IMBALANCE_THRESHOLD = 0.25;
/** Moves one proposal holds at most: a few big projects, not a reshuffle of the cloud. */
export const MOVES_MAX = 20;

const sum = (works: Work[]): Work => works.reduce(addWork, NO_WORK);

/** A host's night with these projects, steady state (every disk has a version). */
export const steadySeconds = (h: HostLoad, projects: ProjectWork[]): number => predictSeconds(sum(projects.map((p) => p.steady)), h.model);

/** Tonight's night (full copies of the disks with no version yet). */
export const tonightSeconds = (h: HostLoad): number => predictSeconds(sum(h.projects.map((p) => p.tonight)), h.model);

const load = (h: HostLoad, projects: ProjectWork[]) => steadySeconds(h, projects) / h.windowSeconds;

/** Whether the hosts need moves: one does not fit its window tonight or steady, or they are uneven beyond `threshold`. */
export function needsBalancing(hosts: readonly HostLoad[], threshold = IMBALANCE_THRESHOLD): boolean {
  if (hosts.length < 2) return false;
  if (hosts.some((h) => tonightSeconds(h) > h.windowSeconds || steadySeconds(h, h.projects) > h.windowSeconds)) return true;
  const loads = hosts.map((h) => load(h, h.projects));
  return Math.max(...loads) - Math.min(...loads) > threshold;
}

/**
 * Greedy: the most loaded host (steady night over its window) gives the
 * project that best lowers the larger of the two loads to the least loaded
 * host; repeated while that improves, up to MOVES_MAX moves.
 */
export function proposeMoves(hosts: readonly HostLoad[], max = MOVES_MAX): { moves: Move[]; after: HostLoad[] } {
  const state = hosts.map((h) => ({ ...h, projects: [...h.projects] }));
  const moves: Move[] = [];
  while (moves.length < max && state.length >= 2) {
    const byLoad = [...state].sort((a, b) => load(b, b.projects) - load(a, a.projects));
    const from = byLoad[0]!;
    const to = byLoad.at(-1)!;
    const before = load(from, from.projects);
    let best: { index: number; peak: number } | undefined;
    from.projects.forEach((p, index) => {
      if (p.project === OTHER_PROJECTS) return;
      const rest = from.projects.filter((_, i) => i !== index);
      const peak = Math.max(load(from, rest), load(to, [...to.projects, p]));
      if (peak < (best?.peak ?? before) - 1e-9) best = { index, peak };
    });
    if (!best) break;
    const [p] = from.projects.splice(best.index, 1);
    to.projects.push(p!);
    moves.push({ project: p!.project, from: from.host, to: to.host, steadySeconds: laneSeconds(p!.steady, to.model), firstNightBytes: p!.sizeBytes });
  }
  return { moves: collapse(moves), after: state };
}

/** A project moved twice (a → b → c) is one move a → c; one moved back is none. */
function collapse(moves: Move[]): Move[] {
  const out = new Map<string, Move>();
  for (const m of moves) {
    const first = out.get(m.project);
    out.set(m.project, first ? { ...m, from: first.from } : m);
  }
  return [...out.values()].filter((m) => m.from !== m.to);
}

/** The moves as lines to merge into the config's project_assignments.projects. */
export function movesYaml(moves: readonly Move[], hours: (seconds: number) => string): string {
  const lines = ['project_assignments:', '  projects:'];
  for (const m of moves) lines.push(`    ${quoteKey(m.project)}: ${m.to}   # from ${m.from}; about ${hours(m.steadySeconds)} of lane time a night`);
  return lines.join('\n');
}

/** YAML keys that could read as something else (numbers, booleans, `~`) are quoted. */
function quoteKey(key: string): string {
  return /^[A-Za-z_][A-Za-z0-9_.-]*$/.test(key) && !/^(true|false|yes|no|on|off|null)$/i.test(key) ? key : `'${key}'`;
}
