// Keeps a long activity's heartbeat going while it waits on a child process:
// the latest progress is sent every few seconds, so the server notices a dead
// host within the heartbeat timeout and the CLI can show how far along it is.
import { Context } from '@temporalio/activity';

export interface HeartbeatProgress {
  step: string;
  percent?: number;
  bytesDone?: number;
  bytesTotal?: number;
}

export async function withHeartbeat<T>(first: HeartbeatProgress, work: (report: (p: HeartbeatProgress) => void) => Promise<T>): Promise<T> {
  const ctx = Context.current();
  let latest = first;
  ctx.heartbeat(latest);
  const timer = setInterval(() => ctx.heartbeat(latest), 1_000);
  try {
    // Progress lines can come hundreds of times a second; only the timer sends them on.
    return await work((p) => {
      latest = p;
    });
  } finally {
    clearInterval(timer);
  }
}
