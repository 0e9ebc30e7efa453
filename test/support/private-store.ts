// A backy2 store of a test's own: the local stack's backy2 config of backup1
// with every path moved under `dir` (the data folder to `dataDir` when given,
// e.g. a small filesystem the test mounted), and its metadata DB made by the
// real `backy2 initdb`. Versions made there are the test's alone.
import { makeStoreLike } from '../../scripts/support/private-store.ts';
import { config } from './stack.ts';

/** Makes the store and returns its backy2 config file. */
export function makePrivateStore(dir: string, options: { dataDir?: string } = {}): Promise<string> {
  return makeStoreLike(config.hosts[0]!.backy2_config, config.engine.bin, dir, options);
}
