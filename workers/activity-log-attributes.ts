// Every log line of an activity names the disk it works on, beside the
// workflowId, workflowType, activityType and taskQueue the SDK already adds: an
// operator greps a night's log for one disk, not for one activity id.
//
// The SDK builds an activity's log attributes through outbound interceptors
// (getLogAttributes), but only the inbound `execute` sees the activity's
// arguments: the inbound half reads the disk from the input, the outbound half
// adds it to every line logged after that. The SDK's own "Activity started"
// line (DEBUG) is logged before `execute` and so carries no disk; its
// "Activity failed" line (WARN) does.
import type { ActivityInterceptorsFactory } from '@temporalio/worker';

/** Activities whose input has an `image` that is not a disk: a Glance image a rescue server boots from. */
const IMAGE_IS_NOT_A_DISK = new Set(['createRescueServer']);

/**
 * `disk` (`pool/image`, or the image name when the input has no pool) and
 * `vmId`, from an activity's first argument, when it names them. Host-wide
 * activities (planning a purge, listing the inventory) name none.
 */
export function diskAttributes(activityType: string, args: readonly unknown[]): Record<string, string> {
  const input = args[0];
  if (typeof input !== 'object' || input === null) return {};
  const { pool, image, vmId } = input as Record<string, unknown>;
  const out: Record<string, string> = {};
  if (typeof image === 'string' && !IMAGE_IS_NOT_A_DISK.has(activityType)) out.disk = typeof pool === 'string' ? `${pool}/${image}` : image;
  if (typeof vmId === 'string') out.vmId = vmId;
  return out;
}

/** One interceptor pair per activity execution (the SDK calls the factory for each). */
export const activityLogAttributes: ActivityInterceptorsFactory = (ctx) => {
  let disk: Record<string, string> = {};
  return {
    inbound: {
      execute(input, next) {
        disk = diskAttributes(ctx.info.activityType, input.args);
        return next(input);
      },
    },
    outbound: {
      getLogAttributes(input, next) {
        // The task token completes the activity from outside: a credential, and 100+ characters of noise per line.
        const { taskToken: _taskToken, ...rest } = input;
        return next({ ...rest, ...disk });
      },
    },
  };
};
