// The replay fixtures: a recorded history of each workflow type (`<type>.json`,
// the newest), with the id it ran under (child ids and lock holders derive from
// it, so a replay must use it), plus `<type>.<patch>.json`: a run recorded before
// that patch, kept while a running workflow could still need the patch's old path.
// Written by scripts/record-histories.ts, replayed by test/unit/replay.test.ts.
import { fileURLToPath } from 'node:url';

export const HISTORIES_DIR = fileURLToPath(new URL('../fixtures/histories/', import.meta.url));

/** Every workflow type the workers run that a running execution could see change. */
export const REPLAYED_TYPES = [
  'backupInstance',
  'nightlyBackups',
  'restoreInstance',
  'restoreProject',
  'rescueInstance',
  'purgeExpired',
  'purgeAside',
  'danglingSnapshots',
  'removeInvalids',
  'removeUnhandled',
  'listBackups',
  'listInventory',
  'verifyBackups',
  'restoreDrill',
  'nightForecast',
  'hostListing',
] as const;

export interface RecordedHistory {
  workflowType: string;
  workflowId: string;
  /** The history as `historyToJSON` writes it (proto3 JSON, as `temporal workflow show -o json` prints). */
  history: unknown;
}
