// Exit codes scripts can trust; docs/operator-guide.md lists them.
export const EXIT = {
  ok: 0,
  /** The operation ran and failed (see the message and the workflow's history). */
  failed: 1,
  /** Bad arguments, names or config; nothing was started or changed. */
  invalidInput: 2,
  /** The VM, disk or version asked for does not exist; nothing was changed. */
  notFound: 3,
  /** Temporal could not be reached. */
  unavailable: 4,
  /** Another operation holds the disk; nothing was changed. Retry when it is done. */
  busy: 5,
} as const;
