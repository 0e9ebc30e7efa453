// What every command needs: the config and, lazily, a Temporal client.
import { Client, Connection } from '@temporalio/client';
import { configPath, type LoadedConfig, loadConfig } from '../lib/config/load.ts';
import { InvalidInputError, VmbackupError } from '../lib/errors.ts';
import { tlsOptions } from '../lib/temporal/connection.ts';

export type OutputFormat = 'table' | 'json';

export interface GlobalOptions {
  config?: string;
  output?: string;
}

/** Temporal could not be reached. */
export class TemporalUnavailableError extends VmbackupError {}

export class CliContext {
  readonly config: LoadedConfig;
  readonly output: OutputFormat;
  private client?: Client;

  constructor(options: GlobalOptions) {
    this.output = parseOutput(options.output);
    this.config = loadConfig(configPath(options.config));
  }

  async temporal(): Promise<Client> {
    if (this.client) return this.client;
    const { address, namespace } = this.config.temporal;
    try {
      const connection = await Connection.connect({ address, tls: tlsOptions(this.config.temporal), connectTimeout: '5s' });
      this.client = new Client({ connection, namespace });
      return this.client;
    } catch (err) {
      throw new TemporalUnavailableError(
        `cannot reach Temporal at ${address}: ${(err as Error).message}`,
        `Start the local stack (npm run stack:up) or fix temporal.address in ${this.config.source}.`,
      );
    }
  }

  async close(): Promise<void> {
    await this.client?.connection.close();
  }
}

function parseOutput(value = 'table'): OutputFormat {
  if (value === 'table' || value === 'json') return value;
  throw new InvalidInputError(`-o/--output must be 'table' or 'json', got '${value}'`);
}
