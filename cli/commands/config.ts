// `vmbackup config check [FILE]`: validates a config before a worker or a
// command trips over it, and shows where each value comes from. It reads only
// the file: no Temporal, no Ceph, so it runs on an operator's laptop or in CI.
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { checkConfigText, formatProblem, type ValueOrigin } from '../../lib/config/check.ts';
import { configFingerprint } from '../../lib/config/fingerprint.ts';
import { chooseConfig } from '../../lib/config/load.ts';
import { ConfigError } from '../../lib/errors.ts';
import { formatOf, type GlobalOptions } from '../context.ts';
import { EXIT } from '../exit-codes.ts';
import { type Field, printListing, type RenderOptions } from '../output/render.ts';
import { renderTable } from '../output/table.ts';

export function registerConfig(program: Command): void {
  const config = program.command('config').description('the config file: check it');
  config
    .command('check')
    .description('validate a config file and show where each value comes from: exit 0 valid, 2 invalid')
    .argument('[file]', 'the config to check (default: the one every command would use: --config, $VMBACKUP_CONFIG, /etc/vmbackup/config.yaml, the local stack)')
    .addHelpText(
      'after',
      `
Reads only the file. Each value is shown as the tools use it (paths resolved
against the file) with where it comes from: "file LINE:COL", or "default" (the
schema's). No environment variable overrides a value; $VMBACKUP_CONFIG only
chooses the file. Problems are printed on stderr as FILE:LINE:COL: KEY: MESSAGE.
config/vmbackup.schema.json gives editors the same keys as you type.

Examples:
  vmbackup config check
  vmbackup config check /etc/vmbackup/config.yaml
  vmbackup config check candidate.yaml -f json
  vmbackup config check -f value -c key -c from`,
    )
    // No withContext: the context loads the config, and a config that does not load is what this reports.
    .action((file: string | undefined, _opts: unknown, cmd: Command) => {
      const globals = cmd.optsWithGlobals<GlobalOptions>();
      process.exitCode = checkCommand(file ?? globals.config, file !== undefined, { format: formatOf(globals), columns: globals.column ?? [] });
    });
}

function checkCommand(explicit: string | undefined, named: boolean, render: RenderOptions): number {
  const json = render.format === 'json';
  const chosen = chooseConfig(explicit);
  const { path } = chosen;
  const chosenBy = named ? 'named on the command line' : chosen.chosenBy;
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new ConfigError(`${path}: cannot read: ${(err as Error).message}`, 'Name a readable file, or set --config / VMBACKUP_CONFIG.');
  }
  const result = checkConfigText(text, path);
  if (!result.valid) {
    if (json) console.log(JSON.stringify({ file: path, chosenBy, valid: false, problems: result.problems }, null, 2));
    for (const p of result.problems) console.error(formatProblem(path, p));
    console.error(`${path}: invalid (${result.problems.length} problem${result.problems.length === 1 ? '' : 's'})`);
    return EXIT.invalidInput;
  }
  const fingerprint = configFingerprint(result.config);
  const fields: Field<ValueOrigin>[] = [
    { header: 'KEY', value: (o) => o.path },
    { header: 'VALUE', value: (o) => (typeof o.value === 'string' ? o.value : JSON.stringify(o.value)) },
    { header: 'FROM', value: (o) => (o.from === 'file' ? `file ${o.line}:${o.column}` : 'default') },
  ];
  printListing(render, {
    rows: result.origins,
    fields,
    document: { file: path, chosenBy, valid: true, fingerprint, values: result.origins },
    report: () => {
      console.log(`${path}: valid (${chosenBy}), fingerprint ${fingerprint}\n`);
      console.log(renderTable(result.origins, fields));
    },
  });
  return EXIT.ok;
}
