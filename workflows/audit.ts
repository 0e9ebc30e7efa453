// The audit trail inside workflows: a child says who started its parent and
// what it does, as a CLI start does (cli/audit-stamp.ts), and every operation
// ends with an Outcome an auditor can filter on.
import type { SearchAttributePair } from '@temporalio/common';
import { patched, upsertSearchAttributes, workflowInfo } from '@temporalio/workflow';
import { startDetails, startSummary } from '../lib/audit/summary.ts';
import { Outcome, Project, StartedBy, VmName } from '../lib/search-attributes.ts';

/**
 * A child's search attributes with its parent's StartedBy (an operator, or a
 * Schedule's id), and its Web UI summary. The server does not compare a child's
 * attributes or metadata on replay (only its type and id), so a running parent
 * that starts its next children with these needs no patch; the replay fixtures
 * of nightlyBackups prove it.
 */
export function childAudit(workflowType: string, attributes: SearchAttributePair[], input: object) {
  const startedBy = workflowInfo().typedSearchAttributes.get(StartedBy);
  const typedSearchAttributes = startedBy === undefined ? attributes : [...attributes, { key: StartedBy, value: startedBy }];
  const facts = { workflowType, attributes: typedSearchAttributes, input };
  const staticSummary = startSummary(facts);
  return { typedSearchAttributes, staticSummary, staticDetails: startDetails(facts, staticSummary) };
}

/**
 * Sets Outcome at the operation's end. Patched: a run that began before every
 * operation had an Outcome replays without the upsert
 * (test/fixtures/histories replay in test/unit/replay.test.ts).
 */
export function recordOutcome(value: string): void {
  if (patched('audit-outcome')) upsertSearchAttributes([{ key: Outcome, value }]);
}

/**
 * Records the VM's name (and its project, when the start did not know it) once
 * the workflow has asked the compute driver: a CLI start by id knows neither,
 * and an auditor searches by name. Patched like recordOutcome.
 */
export function recordServer(server: { name: string; projectId: string } | undefined): void {
  if (!server?.name) return;
  const known = workflowInfo().typedSearchAttributes;
  const missing: SearchAttributePair[] = [];
  if (known.get(VmName) === undefined) missing.push({ key: VmName, value: server.name });
  if ((known.get(Project) ?? 'unknown') === 'unknown' && server.projectId) missing.push({ key: Project, value: server.projectId });
  if (missing.length && patched('audit-vm-name')) upsertSearchAttributes(missing);
}
