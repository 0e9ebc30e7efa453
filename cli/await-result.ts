// A workflow's result, waited for through a Temporal that goes away for a
// while (a restart, a cut network). The workflow goes on without the CLI, so
// losing the frontend is no reason to report the operation failed: the CLI says
// what happened, asks again until the frontend is back, and reports the result;
// after `reconnectSeconds` it gives up with the workflow's id and where to
// follow it. The SDK's own retries cover only about 20 s.
import { setTimeout as sleep } from 'node:timers/promises';
import { isGrpcServiceError, ServiceError, type WorkflowHandle } from '@temporalio/client';
import type { TemporalConfig } from '../lib/config/schema.ts';
import { workflowUrl } from '../lib/temporal/connection.ts';
import { TemporalUnavailableError } from './context.ts';

/** gRPC status codes of a frontend that cannot be reached (UNAVAILABLE) or did not answer in time (DEADLINE_EXCEEDED). */
const UNREACHABLE_CODES = new Set([14, 4]);

export interface ReconnectOptions {
  temporal: TemporalConfig;
  /** How long to keep asking once the SDK's own retries gave up. */
  reconnectSeconds: number;
  /** What the workflow does, for the messages: "restore", "backup", "night". */
  what: string;
}

/** True when `err` says the frontend is gone, not that the workflow failed. */
export function isTemporalUnreachable(err: unknown): boolean {
  const grpc = err instanceof ServiceError ? err.cause : err;
  return isGrpcServiceError(grpc) && UNREACHABLE_CODES.has(grpc.code);
}

/** The gRPC error's own text ("14 UNAVAILABLE: No connection established"), not the SDK's wrapper's. */
function grpcDetail(err: unknown): string {
  return (err instanceof ServiceError && err.cause ? err.cause : (err as Error)).message;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function awaitResult<R>(handle: WorkflowHandle<(...args: any[]) => Promise<R>>, options: ReconnectOptions): Promise<R> {
  const { address } = options.temporal;
  let lostAt: number | undefined;
  for (;;) {
    try {
      const result = await handle.result();
      if (lostAt !== undefined) console.error(`reconnected to Temporal at ${address}`);
      return result;
    } catch (err) {
      if (!isTemporalUnreachable(err)) throw err;
      const url = workflowUrl(options.temporal, handle.workflowId);
      if (lostAt === undefined) {
        lostAt = Date.now();
        console.error(
          `lost Temporal at ${address} (${grpcDetail(err)}); the ${options.what} goes on without the CLI (${handle.workflowId}). ` +
            `Reconnecting for up to ${options.reconnectSeconds} s; Ctrl-C stops only the watching.`,
        );
      }
      if (Date.now() - lostAt >= options.reconnectSeconds * 1000) {
        throw new TemporalUnavailableError(
          `lost Temporal at ${address} while watching ${options.what} ${handle.workflowId}; it was not back within ${options.reconnectSeconds} s. The ${options.what} goes on without the CLI.`,
          `Once Temporal at ${address} is up again, follow the ${options.what} at ${url} or with \`vmbackup status\`; check the frontend (and temporal.address in your config) meanwhile.`,
        );
      }
      await sleep(2_000);
    }
  }
}
