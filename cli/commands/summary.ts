import type { Command } from 'commander';

export function registerSummary(_program: Command): void {}
