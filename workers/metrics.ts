// Prometheus metrics of a worker: the runtime's telemetry options. The SDK's
// own metrics and ours (lib/metrics.ts) come out of one endpoint, `/metrics`
// on the address given; none is served without one (tests and the local stack
// run several workers per machine, and their ports must not collide).
import type { TelemetryOptions } from '@temporalio/worker';

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
