// `vmbackup --version` / `-V`, asked before any subcommand. Not a commander
// option: commander recognises program options after the subcommand too, and
// `restore VM --version UID` (and its kin) must keep their own --version.
// Not commander's .version() either: that wants the text up front, and
// finding the commit runs git on every command.

/** True when `-V`/`--version` comes before the first subcommand name in `args` (argv after the script). */
export function wantsVersion(args: readonly string[], subcommands: readonly string[]): boolean {
  for (const arg of args) {
    if (arg === '--') return false;
    if (subcommands.includes(arg)) return false;
    if (arg === '--version' || arg === '-V') return true;
  }
  return false;
}
