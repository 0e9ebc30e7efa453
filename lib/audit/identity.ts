// Who is at the keyboard: `<user>@<host>` from the OS. The CLI connects to
// Temporal with it (the client `identity`, shown on each history event it
// causes) and stamps it into every start's `StartedBy`; a Schedule's runs carry
// the Schedule's id instead (lib/schedules.ts).
import { hostname, userInfo } from 'node:os';

/**
 * `alice@backup-admin1`. Under sudo the person who ran sudo (`$SUDO_USER`), not
 * `root`: operators run the CLI with sudo to read the config's keyrings, and an
 * auditor asks who, not which uid. `$USER` when the OS has no passwd entry for
 * the uid (a container).
 */
export function operatorIdentity(env: NodeJS.ProcessEnv = process.env): string {
  return `${osUser(env)}@${hostname()}`;
}

function osUser(env: NodeJS.ProcessEnv): string {
  let user: string;
  try {
    user = userInfo().username;
  } catch {
    user = env.USER ?? env.LOGNAME ?? `uid${process.getuid?.() ?? '?'}`;
  }
  // Only root's SUDO_USER counts: any other user can set the variable at will.
  return user === 'root' && env.SUDO_USER && /^[a-z_][a-z0-9_.-]*$/i.test(env.SUDO_USER) ? env.SUDO_USER : user;
}
