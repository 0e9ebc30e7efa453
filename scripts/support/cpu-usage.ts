// CPU-seconds from /proc, to say where a benchmark pass spent the machine's
// cores: a process's own time, the time of its children it has waited for, and
// the whole machine's busy time.
import { readFileSync } from 'node:fs';

/** Clock ticks per second: USER_HZ, 100 on every Linux this runs on. */
const TICKS = 100;

export interface ProcessCpu {
  own: number;
  children: number;
}

/** Seconds of CPU `pid` used itself, and its reaped children used (rbd, sqlite3, backy2 of a worker). */
export function processCpu(pid: number): ProcessCpu {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // The command name may hold spaces and parentheses: fields start after the last ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // utime, stime, cutime, cstime are fields 14–17 of the man page; here 11–14 (0-based, after pid and comm).
  const [utime, stime, cutime, cstime] = fields.slice(11, 15).map(Number) as [number, number, number, number];
  return { own: (utime + stime) / TICKS, children: (cutime + cstime) / TICKS };
}

/** Seconds all cores were busy since boot (everything but idle and iowait). */
export function machineBusy(): number {
  const cpu = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
  const [user, nice, system, , , irq, softirq, steal] = cpu as number[];
  return (user! + nice! + system! + irq! + softirq! + steal!) / TICKS;
}

export interface CpuDuring<T, G extends string> {
  result: T;
  /** Per group of processes: their own CPU-seconds and their reaped children's. */
  groups: Record<G, ProcessCpu>;
  /** Busy CPU-seconds of the whole machine. */
  machine: number;
}

/** CPU used by each group of processes, and by the machine, while `fn` runs. */
export async function measureCpu<T, G extends string>(groups: Record<G, readonly number[]>, fn: () => Promise<T>): Promise<CpuDuring<T, G>> {
  const sample = () =>
    Object.fromEntries(
      Object.entries<readonly number[]>(groups).map(([name, pids]) => [
        name,
        pids.map(processCpu).reduce((a, b) => ({ own: a.own + b.own, children: a.children + b.children }), { own: 0, children: 0 }),
      ]),
    ) as Record<G, ProcessCpu>;
  const before = sample();
  const busy0 = machineBusy();
  const result = await fn();
  const after = sample();
  const machine = machineBusy() - busy0;
  const delta = Object.fromEntries(
    Object.keys(groups).map((g) => [g, { own: after[g as G].own - before[g as G].own, children: after[g as G].children - before[g as G].children }]),
  ) as Record<G, ProcessCpu>;
  return { result, groups: delta, machine };
}
