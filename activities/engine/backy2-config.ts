// Settings of a backy2 config file (INI sections such as [MetaBackend], [DataBackend]).
import { readFileSync } from 'node:fs';
import { ConfigError } from '../../lib/errors.ts';

/** The value of `key` in `[section]` of the backy2 config `configFile`, or undefined. */
export function backy2Setting(configFile: string, section: string, key: string): string | undefined {
  let text: string;
  try {
    text = readFileSync(configFile, 'utf8');
  } catch (err) {
    throw new ConfigError(`backy2 config ${configFile} is not readable: ${(err as Error).message}`, 'Fix hosts[].backy2_config, or run `npm run stack:up` for the local stack.');
  }
  const body = new RegExp(`^\\[${section}\\]([\\s\\S]*?)(^\\[|$(?![\\s\\S]))`, 'm').exec(text)?.[1] ?? '';
  return new RegExp(`^\\s*${key}\\s*[:=]\\s*(\\S+)`, 'm').exec(body)?.[1];
}
