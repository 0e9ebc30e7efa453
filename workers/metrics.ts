// Prometheus metrics of a worker: the runtime's telemetry options. The SDK's
// own metrics and ours (lib/metrics.ts) come out of one endpoint, `/metrics`
// on the address given; none is served without one (tests and the local stack
// run several workers per machine, and their ports must not collide).
import type { TelemetryOptions } from '@temporalio/worker';
import { ConfigError } from '../lib/errors.ts';

/** The address to serve on: the worker's `--metrics-address` over the host's `metrics_address`; undefined is off. */
export function metricsAddress(flag: string | undefined, configured: string | undefined): string | undefined {
  return flag ?? configured;
}

export function telemetryOptions(bindAddress: string | undefined): TelemetryOptions | undefined {
  if (bindAddress === undefined) return undefined;
  return {
    metrics: {
      prometheus: {
        bindAddress,
        // Prometheus conventions: counters end in _total, durations are in seconds.
        countersTotalSuffix: true,
        useSecondsForDurations: true,
      },
    },
  };
}

/** Runs `install` (Runtime.install), turning a metrics endpoint that cannot bind into an error that says what to do. */
export function withMetricsHint<T>(bindAddress: string | undefined, install: () => T): T {
  try {
    return install();
  } catch (err) {
    const message = (err as Error).message;
    if (bindAddress === undefined || !/metrics|address|bind/i.test(message)) throw err;
    throw new ConfigError(
      `cannot serve metrics at ${bindAddress}: ${message}`,
      'Another process (another worker on this machine?) holds that port: give each worker its own hosts[].metrics_address or --metrics-address, or omit both to serve none.',
    );
  }
}
