// Real worker processes on this test file's private task queue.
import { startWorker as start, type WorkerProcess } from '../../scripts/support/worker-process.ts';
import { CONFIG_FILE } from './stack.ts';

export type { WorkerProcess };
export const startWorker = (host: string, extraArgs: string[] = []) => start(host, CONFIG_FILE, extraArgs);
