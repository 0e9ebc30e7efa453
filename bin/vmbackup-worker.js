#!/usr/bin/env node
// The backup-host worker as an installed command (systemd's ExecStart, the
// package's `vmbackup-worker` bin): runs workers/backup-host.ts through tsx's loader.
import { register } from 'tsx/esm/api';

register();
await import('../workers/backup-host.ts');
