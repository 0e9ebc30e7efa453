// The queries (and, when there are any, signals and updates) of every
// workflow, defined once: the workflows set their handlers with these, and the
// CLI and tests query with the same objects, so a name or a type never drifts.
import { defineQuery } from '@temporalio/workflow';
import type { StepProgress } from '../lib/operations/backup.ts';
import type { NightlyProgress } from '../lib/operations/nightly.ts';

/** The step a backup or restore is at (and what it waits for). */
export const stepProgressQuery = defineQuery<StepProgress>('progress');

/** How far a night is: planned, done, running, failed, skipped. */
export const nightlyProgressQuery = defineQuery<NightlyProgress>('progress');
