// Task queue names. Fleet-wide workflows (listing, and later the nightly fan-out)
// run on one shared queue that every host's worker polls; a single disk's
// operation runs, workflow and activities, on the queue of the host whose
// backy2 store it uses.

export function hostTaskQueue(base: string, host: string): string {
  return `${base}.host.${host}`;
}
