// Which host backs up a project, and which names are never backed up. Pure
// functions of the config: the nightly workflow, `where` and
// `remove-unhandled` all decide with these, so they always agree.
import type { Exclusions, ProjectAssignments } from '../config/schema.ts';

export type Assignment = { kind: 'host'; host: string; rule: string } | { kind: 'ignored'; rule: string } | { kind: 'unassigned' };

/** The host a project's disks go to, with the rule that said so. */
export function assignmentOf(projectId: string, assignments: ProjectAssignments): Assignment {
  const listed = assignments.projects[projectId];
  if (listed !== undefined) {
    const rule = `project_assignments.projects.${projectId}`;
    return listed === 'ignore' ? { kind: 'ignored', rule } : { kind: 'host', host: listed, rule };
  }
  const fallback = assignments.default;
  if (fallback === undefined) return { kind: 'unassigned' };
  return fallback === 'ignore' ? { kind: 'ignored', rule: 'project_assignments.default' } : { kind: 'host', host: fallback, rule: 'project_assignments.default' };
}

/** The first exclusion rule that matches `name` in full (project rules first), or undefined. */
export function exclusionOf(name: string, projectId: string | undefined, exclusions: Exclusions, key: 'servers' | 'volumes'): string | undefined {
  const lists: Array<[string, string[]]> = [];
  if (projectId !== undefined) lists.push([`exclude.${key}.projects.${projectId}`, exclusions.projects[projectId] ?? []]);
  lists.push([`exclude.${key}.global`, exclusions.global]);
  for (const [where, regexes] of lists) {
    for (const source of regexes) {
      if (wholeNamePattern(source).test(name)) return `${where} /${source}/`;
    }
  }
  return undefined;
}

/** An exclusion regex as it is matched: against the whole name (lib/config/regex-safety.ts checks this form). */
export function wholeNamePattern(source: string): RegExp {
  return new RegExp(`^(?:${source})$`);
}
