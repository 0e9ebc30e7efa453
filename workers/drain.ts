// How a worker drains when it is told to stop (SIGTERM from systemd, docker
// stop, scripts/workers.sh): it stops polling at once, gives running activities
// `--drain-seconds` to finish, then cancels the rest. A cancelled activity
// stops its rbd/backy2 child and removes what it half made; the workflow
// retries it on the next start. Short steps (a snapshot, the hints) finish
// within a drain; a copy of a large disk is cancelled rather than waited for.
// The default, 0, cancels at once: what tests and dev workers want.
import type { Logger } from '@temporalio/common';
import { Runtime } from '@temporalio/worker';
import { z } from 'zod';

/** Seconds to let running activities finish after a stop; an hour at most (the service manager's stop timeout must exceed it). */
export const DrainSeconds = z.coerce.number().int().min(0).max(3600);

/**
 * Keeps a stop signal from killing the worker outright while a child runs.
 * execa's `cleanup` listens through signal-exit, which re-raises a signal when
 * it finds itself the only listener; the SDK's Runtime removes its own
 * listener as it starts shutting down. So a SIGTERM during an rbd or backy2
 * run killed the worker on the spot: no drain, no cancellation, the child left
 * behind. A listener of ours stays for the worker's life (call it after
 * Runtime.install, which handles the signal), and says in the log what a stop does.
 */
export function holdStopSignals(logger: Logger, drainSeconds: number): void {
  let stops = 0;
  for (const signal of Runtime.instance().options.shutdownSignals) {
    process.on(signal, () => {
      if (stops++ === 0) {
        logger.info(`${signal}: stopping: no new tasks; running activities ${drainSeconds ? `have ${drainSeconds} s to finish, then are` : 'are'} cancelled`, { signal, drainSeconds });
      } else {
        logger.warn(`${signal}: already stopping; SIGKILL stops at once (cancelled work is cleaned up by the next start)`, { signal });
      }
    });
  }
}
