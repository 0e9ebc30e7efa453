// Who is at the keyboard: `<user>@<host>` from the OS. The CLI connects to
// Temporal with it (the client `identity`, shown on each history event it
// causes) and stamps it into every start's `StartedBy`; a Schedule's runs carry
// the Schedule's id instead (lib/schedules.ts).
import { hostname, userInfo } from 'node:os';

/** `root@backup-admin1`; `$USER` when the OS has no passwd entry for the uid (a container). */
export function operatorIdentity(): string {
  let user: string;
  try {
    user = userInfo().username;
  } catch {
    user = process.env.USER ?? process.env.LOGNAME ?? `uid${process.getuid?.() ?? '?'}`;
  }
  return `${user}@${hostname()}`;
}
