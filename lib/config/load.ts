// Reads, validates and resolves the config file.
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, isAbsolute, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import yaml from 'js-yaml';
import { z } from 'zod';
import { ConfigError } from '../errors.ts';
import { type Config, ConfigSchema } from './schema.ts';

/** The embedded default: the local stack brought up by `npm run stack:up`. */
export const LOCAL_CONFIG = fileURLToPath(new URL('../../config/local.yaml', import.meta.url));
const SYSTEM_CONFIG = '/etc/vmbackup/config.yaml';

/** `--config` wins, then $VMBACKUP_CONFIG, then /etc/vmbackup/config.yaml, then the local stack's. */
export function configPath(explicit?: string): string {
  return chooseConfig(explicit).path;
}

/** The config file to use, and what chose it (what the CLI tells the operator). */
export function chooseConfig(explicit?: string): { path: string; chosenBy: string } {
  if (explicit) return { path: resolve(explicit), chosenBy: '--config' };
  if (process.env.VMBACKUP_CONFIG) return { path: resolve(process.env.VMBACKUP_CONFIG), chosenBy: '$VMBACKUP_CONFIG' };
  if (existsSync(SYSTEM_CONFIG)) return { path: SYSTEM_CONFIG, chosenBy: 'the system default' };
  return { path: LOCAL_CONFIG, chosenBy: `the local stack's, as neither --config, $VMBACKUP_CONFIG nor ${SYSTEM_CONFIG} was there` };
}

export type LoadedConfig = Config & { readonly source: string };

/** Loads and validates `file`; every error names the file, the key path and what was expected. */
export function loadConfig(file: string = configPath()): LoadedConfig {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError(`${file}: cannot read: ${(err as Error).message}`, 'Pass --config FILE or set VMBACKUP_CONFIG.');
  }
  let raw: unknown;
  try {
    raw = yaml.load(text, { filename: file });
  } catch (err) {
    throw new ConfigError(`${file}: not valid YAML: ${(err as Error).message}`, 'Fix the line and column named above; `vmbackup config check FILE` checks it.');
  }
  const parsed = ConfigSchema.safeParse(raw ?? {});
  if (!parsed.success) {
    throw new ConfigError(`${file}: invalid configuration\n${z.prettifyError(parsed.error)}`, 'Fix the keys named above (`vmbackup config check FILE` shows the line and column of each); see docs/configuration.md.');
  }
  return { ...resolvePaths(parsed.data, dirname(file)), source: file };
}

/** Relative paths are relative to the config file, `~` is the home folder; bare command names stay as they are. */
export function resolvePaths(config: Config, base: string): Config {
  const path = (p: string) => (p.startsWith('~/') ? resolve(homedir(), p.slice(2)) : isAbsolute(p) ? p : resolve(base, p));
  const command = (p: string) => (p.includes('/') ? path(p) : p);
  const tls = config.temporal.tls;
  return {
    ...config,
    temporal: {
      ...config.temporal,
      tls: tls && {
        ...tls,
        ca: tls.ca && path(tls.ca),
        cert: tls.cert && path(tls.cert),
        key: tls.key && path(tls.key),
      },
    },
    ceph: { ...config.ceph, conf: path(config.ceph.conf), rbd_bin: command(config.ceph.rbd_bin) },
    engine: { ...config.engine, bin: command(config.engine.bin) },
    hosts: config.hosts.map((h) => ({
      ...h,
      backy2_config: path(h.backy2_config),
      state_dir: path(h.state_dir),
      temporal_tls: h.temporal_tls && { cert: path(h.temporal_tls.cert), key: path(h.temporal_tls.key) },
    })),
    inventory: { ...config.inventory, file: config.inventory.file && path(config.inventory.file) },
  };
}

/** The host entry named `name`, or a ConfigError listing the known ones. */
export function hostConfig(config: LoadedConfig, name: string) {
  const host = config.hosts.find((h) => h.name === name);
  if (!host) {
    const known = config.hosts.map((h) => h.name).join(', ');
    throw new ConfigError(`${config.source}: no backup host '${name}' (known: ${known})`, 'Use one of the hosts named under `hosts:`.');
  }
  return host;
}
