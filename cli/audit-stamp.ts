// Every workflow the CLI starts says who started it and what it does: the
// `StartedBy` search attribute (the operator's `<user>@<host>`) and the Web
// UI's staticSummary/staticDetails, worded from the start's own search
// attributes and input (lib/audit/summary.ts). An interceptor, like the config
// guard beside it, so no command can forget; a command that knows more (a
// restore knows its version's date) sets its own summary, which is kept.
import type { WorkflowClientInterceptor, WorkflowStartInput } from '@temporalio/client';
import { type SearchAttributePair, TypedSearchAttributes } from '@temporalio/common';
import { startDetails, startSummary, type StartFacts } from '../lib/audit/summary.ts';
import { StartedBy } from '../lib/search-attributes.ts';

/** The start's search attributes as pairs, whichever form the command gave them in. */
function pairsOf(attributes: SearchAttributePair[] | TypedSearchAttributes | undefined): SearchAttributePair[] {
  if (attributes === undefined) return [];
  return attributes instanceof TypedSearchAttributes ? attributes.getAll() : [...attributes];
}

/** The start with StartedBy and the summaries added (what the command set itself is kept). */
export function stampStart<T extends Pick<WorkflowStartInput, 'workflowType' | 'options'>>(input: T, startedBy: string): T {
  const given = pairsOf(input.options.typedSearchAttributes);
  const attributes = given.some((a) => a.key.name === StartedBy.name) ? given : [...given, { key: StartedBy, value: startedBy }];
  const facts: StartFacts = { workflowType: input.workflowType, attributes, input: input.options.args[0] as object | undefined };
  const staticSummary = input.options.staticSummary ?? startSummary(facts);
  return {
    ...input,
    options: { ...input.options, typedSearchAttributes: attributes, staticSummary, staticDetails: input.options.staticDetails ?? startDetails(facts, staticSummary) },
  };
}

export function auditStamp(startedBy: string): WorkflowClientInterceptor {
  return {
    async startWithDetails(input, next) {
      return next(stampStart(input, startedBy));
    },
    async signalWithStart(input, next) {
      return next(stampStart(input, startedBy));
    },
  };
}
