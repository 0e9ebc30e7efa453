// The per-host commands that remove (purge, remove-invalids, remove-unhandled,
// snapshots purge): each host's workflow plans; a dry run shows the plans and
// the line that confirms them; the real run passes each host the digest it
// confirmed, and the workflow removes nothing if its own plan differs.
import type { Client, WorkflowHandle, WorkflowResultType } from '@temporalio/client';
import type { Workflow } from '@temporalio/common';
import type { OperationName } from '../lib/search-attributes.ts';
import { carryOutPlan, type Consent, type PlannedHostResult } from './confirm.ts';
import type { CliContext } from './context.ts';
import type { Rows } from './output/render.ts';
import { executeHostWorkflow, runPerHost, wantedHosts } from './per-host.ts';
import { withProgressLine, workflowsProgress } from './watch-progress.ts';
import { idStamp } from './workflow-id.ts';

export interface PlannedHostCommand<W extends Workflow> {
  workflowType: string;
  idPrefix: string;
  /** The workflow's input on `host`; `confirmedPlan` is undefined for a dry run. */
  input(host: string, confirmedPlan: string | undefined): Parameters<W>[0];
  /** What the Web UI's `Operation` says; default `plan` for a dry run, else `purge`. */
  operation?: (dryRun: boolean) => OperationName;
  /** The id's time part; default now. */
  stamp?: () => string;
  sharedQueue?: boolean;
  useExisting?: boolean;
  /** For the question on a terminal, e.g. "remove 12 versions on backup1". */
  describe(results: ReadonlyArray<WorkflowResultType<W>>): string;
  /** Prints a plan (on a terminal, before the question). */
  show(results: Array<WorkflowResultType<W>>): void;
}

export function runPlannedPerHost<W extends Workflow>(ctx: CliContext, client: Client, consent: Consent, only: string | undefined, command: PlannedHostCommand<W>) {
  type R = WorkflowResultType<W> & PlannedHostResult;
  return carryOutPlan<R>(consent, wantedHosts(ctx, only), {
    run: (plans) => {
      const dryRun = plans === undefined;
      const stamp = command.stamp?.() ?? idStamp();
      const started: Array<{ label: string; handle: WorkflowHandle }> = [];
      const runs = runPerHost(ctx, client, only, (host) =>
        executeHostWorkflow<W>(ctx, client, {
          workflowType: command.workflowType,
          idPrefix: command.idPrefix,
          host,
          stamp,
          dryRun,
          operation: command.operation?.(dryRun) ?? (dryRun ? 'plan' : 'purge'),
          input: command.input(host, plans?.get(host)),
          ...(command.sharedQueue ? { sharedQueue: true } : {}),
          ...(command.useExisting ? { useExisting: true } : {}),
          onStart: (label, handle) => started.push({ label, handle }),
        }) as Promise<R>,
      );
      // A dry run is a quick look; the real run can take long (a purge's cleanup, many removals).
      return withProgressLine(runs, ctx.showProgress && !dryRun, 2000, workflowsProgress(started));
    },
    describe: (results) => command.describe(results),
    show: ({ results }) => command.show(results),
  });
}

/**
 * What a planned command prints: under `-f json` the dry-run flag, the plan
 * token, the results (under `key`) and the hosts that did not answer; under
 * `-f table` its report and, after a dry run, the line that carries the plan
 * out; under value or csv (or with `-c`) its rows.
 */
export function printPlanned<R, Row>(
  ctx: CliContext,
  outcome: { dryRun: boolean; plan?: string | undefined; confirm?: string | undefined; results: R[]; errors: Array<{ host: string; error: string }> },
  listing: { rows?: (results: R[]) => Rows<Row>; show: (results: R[]) => void },
  key: 'hosts' | 'results' = 'hosts',
): void {
  ctx.list({
    // A command that is no listing (takeover) has only its report and its document.
    ...(listing.rows?.(outcome.results) ?? { rows: [], fields: [] }),
    document: { dryRun: outcome.dryRun, plan: outcome.plan, [key]: outcome.results, errors: outcome.errors },
    report: () => {
      listing.show(outcome.results);
      if (outcome.confirm) console.log(`to carry out this plan: ${outcome.confirm}`);
    },
  });
}
