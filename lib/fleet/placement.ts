// Where a manual `vmbackup backup` goes: the host project_assignments gives the
// VM's project (from the inventory), as the night would, unless the operator
// names another. Pure, so the rule and its warnings are unit-tested.
import type { ProjectAssignments } from '../config/schema.ts';
import { InvalidInputError } from '../errors.ts';
import { type Assignment, assignmentOf } from './policy.ts';
import type { ResolvedDisk } from './resolve-disk.ts';
import { describeAssignment } from './where.ts';

export interface Placement {
  host: string;
  /** Recorded on the version (project_ tag) and the workflow (Project). */
  project: string | undefined;
  /** What the operator should know: an override against the assignment. */
  warnings: string[];
}

/**
 * `asked`: --host and --project, when given. A VM the inventory gives no project
 * falls under project_assignments.default, the only rule that can speak for it.
 * Without --host, an ignored or unassigned project is refused (exit 2): the
 * night would not back it up either, so a host must be chosen on purpose.
 */
export function backupPlacement(config: { project_assignments: ProjectAssignments }, disk: Pick<ResolvedDisk, 'id' | 'projectId'>, asked: { host?: string | undefined; project?: string | undefined }): Placement {
  const warnings: string[] = [];
  if (asked.project !== undefined && disk.projectId !== undefined && asked.project !== disk.projectId) {
    warnings.push(`--project ${asked.project} is not the inventory's project of ${disk.id} (${disk.projectId}); recording ${asked.project}`);
  }
  const project = asked.project ?? disk.projectId;
  const assignment: Assignment =
    project !== undefined ? assignmentOf(project, config.project_assignments) : assignmentOf('', { default: config.project_assignments.default, projects: {} });
  const assigned = assignment.kind === 'host' ? assignment.host : undefined;
  const whose = project === undefined ? `${disk.id} (no project in the inventory)` : `project ${project}`;
  if (asked.host !== undefined) {
    if (asked.host !== assigned) warnings.push(`--host ${asked.host} overrides the assignment: ${whose} is backed up on ${describeAssignment(assignment)}`);
    return { host: asked.host, project, warnings };
  }
  if (assigned === undefined) {
    throw new InvalidInputError(`${whose} is ${describeAssignment(assignment)}; nothing was started`, 'Give --host to back it up anyway, or assign the project in project_assignments.');
  }
  return { host: assigned, project, warnings };
}
