// What every command needs: the config and, lazily, a Temporal client.
import { Client, Connection } from '@temporalio/client';
import { configFingerprint } from '../lib/config/fingerprint.ts';
import { chooseConfig, type LoadedConfig, loadConfig } from '../lib/config/load.ts';
import { InvalidInputError, VmbackupError } from '../lib/errors.ts';
import { operatorIdentity } from '../lib/audit/identity.ts';
import { tlsOptions, workflowUrl } from '../lib/temporal/connection.ts';
import { auditStamp } from './audit-stamp.ts';
import { assertWorkersRunThisConfig, configGuard } from './config-guard.ts';
import { FORMATS, type Format, type Listing, printListing } from './output/render.ts';

/** What a command that prints a document (not a listing) prints: its table form or its JSON. */
export type OutputFormat = 'table' | 'json';

export interface GlobalOptions {
  config?: string;
  format?: string;
  /** The deprecated `-o/--output`, an alias of `-f/--format`. */
  output?: string;
  column?: string[];
  reconnect?: string;
}

/** Temporal could not be reached. */
export class TemporalUnavailableError extends VmbackupError {}

export class CliContext {
  readonly config: LoadedConfig;
  /** `-f`: table, json, value or csv (value and csv only for listings: the command wrapper checks). */
  readonly format: Format;
  /** `-c`, in the order given: the columns of a listing. */
  readonly columns: readonly string[];
  /** For documents: json under `-f json`, else table. */
  readonly output: OutputFormat;
  /** How long a command watching a workflow waits for a lost Temporal to come back. */
  readonly reconnectSeconds: number;
  private client?: Client;

  constructor(options: GlobalOptions) {
    this.format = formatOf(options);
    this.columns = options.column ?? [];
    this.output = this.format === 'json' ? 'json' : 'table';
    this.reconnectSeconds = parseSeconds(options.reconnect);
    const { path, chosenBy } = chooseConfig(options.config);
    this.config = loadConfig(path);
    // Never silently another config than the operator meant: one line, on stderr so `-f json` stays clean.
    console.error(`config: ${path} (${chosenBy}), fingerprint ${configFingerprint(this.config)}`);
  }

  /** Prints a listing as `-f`/`-c` asked. */
  list<Row>(listing: Listing<Row>): void {
    printListing({ format: this.format, columns: this.columns }, listing);
  }

  /** Progress lines (on stderr) for people: under `-f table`. */
  get showProgress(): boolean {
    return this.output === 'table';
  }

  /**
   * The one way a command says it started a workflow: its id and its Web UI
   * page, on stderr (stdout stays the result, in any format).
   */
  announce(what: string, workflowId: string, runId?: string): void {
    console.error(`started ${what}: ${workflowId}\nhistory: ${workflowUrl(this.config.temporal, workflowId, runId)}`);
  }

  async temporal(): Promise<Client> {
    if (this.client) return this.client;
    const { address, namespace } = this.config.temporal;
    // Outside the try: an unreadable certificate is a config error (exit 2), not an unreachable server.
    const tls = tlsOptions(this.config.temporal);
    try {
      const connection = await Connection.connect({ address, tls, connectTimeout: '5s' });
      // Every workflow start that removes or overwrites is checked against the workers' config,
      // and every start records who started it and what it does (the audit trail).
      const identity = operatorIdentity();
      this.client = new Client({ connection, namespace, identity, interceptors: { workflow: [configGuard(this.config, () => this.client!), auditStamp(identity)] } });
      return this.client;
    } catch (err) {
      throw new TemporalUnavailableError(
        `cannot reach Temporal at ${address}: ${(err as Error).message}; nothing was started`,
        `Check that the Temporal frontend at ${address} is up (the local stack: npm run stack:up), or fix temporal.address in ${this.config.source}.` +
          (tls ? ' With mTLS, the server also refuses a client whose certificate its CA did not sign (temporal.tls.cert/key) or that expects another name (temporal.tls.server_name).' : ''),
      );
    }
  }

  /** For a change that starts no workflow (Schedules): refuses unless the workers run this config. */
  async assertWorkersRunThisConfig(what: string): Promise<void> {
    await assertWorkersRunThisConfig(await this.temporal(), this.config, what);
  }

  async close(): Promise<void> {
    await this.client?.connection.close();
  }
}

function parseSeconds(value = '600'): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n > 86_400) throw new InvalidInputError(`--reconnect must be a whole number of seconds up to 86400, got '${value}'`);
  return n;
}

/** `-f`, or the deprecated `-o` (the same values); both given must agree. */
export function formatOf(options: Pick<GlobalOptions, 'format' | 'output'>): Format {
  const { format, output } = options;
  if (format !== undefined && output !== undefined && format !== output) {
    throw new InvalidInputError(`-f/--format '${format}' and -o/--output '${output}' disagree`, '-o is the old name of -f: give -f alone.');
  }
  const value = format ?? output ?? 'table';
  if ((FORMATS as readonly string[]).includes(value)) return value as Format;
  throw new InvalidInputError(`-f/--format must be one of ${FORMATS.join(', ')}, got '${value}'`);
}
