// `vmbackup check`: the health of every backup host, for monitoring systems
// that run a command (Nagios, Icinga): one line per finding, and the plugin
// exit codes 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN. It is the one command
// whose exit codes are Nagios's, not cli/exit-codes.ts's.
import type { Command } from 'commander';
import { hostConfig } from '../../lib/config/load.ts';
import { judgeHost, NAGIOS, renderLines, verdict } from '../../lib/health/conditions.ts';
import { fetchHostFacts } from '../../lib/health/facts.ts';
import { CliContext, type GlobalOptions } from '../context.ts';

export function registerCheck(program: Command): void {
  program
    .command('check')
    .description('health of the backup hosts for Nagios/Icinga: exit 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN')
    .option('--host <name>', 'only this backup host')
    .addHelpText(
      'after',
      `
Checks, per host: a worker polls its queue; each scheduled workload had a
successful night within monitoring.night_max_age_hours and its last night did
not fail; no night runs past monitoring.night_window_hours; its Schedules exist
and are not paused; its last verify and drill found nothing bad.

Unlike every other command, the exit code is the Nagios plugin state:
0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN (config unreadable, Temporal unreachable).

Examples:
  vmbackup check
  vmbackup check --host backup1 -f json`,
    )
    .action(async (options: { host?: string }, command: Command) => {
      process.exitCode = await runCheck(command.optsWithGlobals<GlobalOptions>(), options);
    });
}

async function runCheck(globals: GlobalOptions, options: { host?: string }): Promise<number> {
  let ctx: CliContext | undefined;
  try {
    ctx = new CliContext(globals);
    const { config } = ctx;
    const hosts = options.host === undefined ? config.hosts : [hostConfig(config, options.host)];
    const facts = await fetchHostFacts(await ctx.temporal(), config, hosts);
    const v = verdict(facts.flatMap((f) => judgeHost(f, config.monitoring, new Date())));
    if (ctx.output === 'json') console.log(JSON.stringify({ status: v.severity, exitCode: v.exitCode, findings: v.findings, hosts: facts }, null, 2));
    else for (const line of renderLines(v, hosts.map((h) => h.name))) console.log(line);
    return v.exitCode;
  } catch (err) {
    // Whatever stops the check itself is UNKNOWN: the monitoring system must not read it as a host's state.
    const message = err instanceof Error ? err.message : String(err);
    if ((globals.format ?? globals.output) === 'json') console.log(JSON.stringify({ status: 'UNKNOWN', exitCode: NAGIOS.UNKNOWN, error: message }));
    else console.log(`UNKNOWN: ${message.split('\n')[0]}`);
    return NAGIOS.UNKNOWN;
  } finally {
    await ctx?.close();
  }
}
