// Task queue names. Workflow tasks go to one shared queue (any host may decide);
// activities that touch a host's backy2 store go to that host's own queue.

export function hostTaskQueue(base: string, host: string): string {
  return `${base}.host.${host}`;
}
