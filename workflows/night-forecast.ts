// nightForecast: one host's facts for `vmbackup plan`: tonight's disks by the
// given assignments, summed per project with their sizes and recent changed
// bytes, and the store's read rate. Started on the host's queue; reads only.
// The result is bounded by the number of projects (lib/forecast/disk-work.ts).
import { proxyActivities } from '@temporalio/workflow';
import type { ForecastActivities } from '../activities/forecast-activities.ts';
import { NON_RETRYABLE_TYPES } from '../lib/errors.ts';
import { type NightForecastFacts, NightForecastInput as InputSchema, type NightForecastInput } from '../lib/operations/forecast.ts';
import { parseInput } from './parse-input.ts';

const { forecastNight } = proxyActivities<ForecastActivities>({
  startToCloseTimeout: '15m',
  heartbeatTimeout: '1m',
  retry: { maximumAttempts: 3, nonRetryableErrorTypes: NON_RETRYABLE_TYPES },
});

export async function nightForecast(raw: NightForecastInput): Promise<NightForecastFacts> {
  const { host: _host, ...input } = parseInput(InputSchema, raw);
  return forecastNight(input);
}
