// Every workflow the workers run. Workers load this file as `workflowsPath`.
export { backupInstance } from './backup-instance.ts';
export { listBackups } from './list-backups.ts';
export { restoreInstance } from './restore-instance.ts';
export { restoreProject } from './restore-project.ts';
export { rescueInstance } from './rescue-instance.ts';
export { purgeAside } from './purge-aside.ts';
export { listAside, putBackAside } from './aside-images.ts';
export { purgeExpired } from './purge-expired.ts';
export { danglingSnapshots } from './dangling-snapshots.ts';
export { removeInvalids } from './remove-invalids.ts';
export { nightlyBackups } from './nightly-backups.ts';
export { removeUnhandled } from './remove-unhandled.ts';
export { listInventory } from './list-inventory.ts';
export { diskLock } from './disk-lock.ts';
export { verifyBackups } from './verify-backups.ts';
export { restoreDrill } from './restore-drill.ts';
export { nightForecast } from './night-forecast.ts';
export { hostListing } from './host-listing.ts';
