// How a worker drains when it is told to stop (SIGTERM from systemd, docker
// stop, scripts/workers.sh): it stops polling at once, gives running activities
// `--drain-seconds` to finish, then cancels the rest. A cancelled activity
// stops its rbd/backy2 child and removes what it half made; the workflow
// retries it on the next start. Short steps (a snapshot, the hints) finish
// within a drain; a copy of a large disk is cancelled rather than waited for.
// The default, 0, cancels at once: what tests and dev workers want.
import { z } from 'zod';

/** Seconds to let running activities finish after a stop; an hour at most (the service manager's stop timeout must exceed it). */
export const DrainSeconds = z.coerce.number().int().min(0).max(3600);
