// One writer at a time per backup store: backy2 2.9 holds SQLite's write lock
// for a whole backup, and a second writer fails after 5 s with "database is
// locked". Writes queue here instead (one worker process serves a host, so an
// in-process queue covers every writer of that store); reads do not wait.

export class SerialQueue {
  private tail: Promise<unknown> = Promise.resolve();
  private waiting = 0;

  /** Runs `work` after every earlier one has settled; `onWait` is told when it has to queue. */
  run<T>(work: () => Promise<T>, onWait?: (ahead: number) => void): Promise<T> {
    if (this.waiting > 0) onWait?.(this.waiting);
    this.waiting++;
    const result = this.tail.then(work);
    this.tail = result.catch(() => undefined).finally(() => this.waiting--);
    return result;
  }
}
