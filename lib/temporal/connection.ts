// Connections to Temporal as the config describes them (address, namespace, TLS).
import { readFileSync } from 'node:fs';
import type { TLSConfig } from '@temporalio/client';
import type { TemporalConfig } from '../config/schema.ts';

/** TLS options for Connection/NativeConnection, or undefined for plain TCP. */
export function tlsOptions(config: TemporalConfig): TLSConfig | undefined {
  const tls = config.tls;
  if (!tls) return undefined;
  return {
    serverNameOverride: tls.server_name,
    serverRootCACertificate: tls.ca ? readFileSync(tls.ca) : undefined,
    clientCertPair: tls.cert && tls.key ? { crt: readFileSync(tls.cert), key: readFileSync(tls.key) } : undefined,
  };
}

/** Web UI link of one workflow execution. */
export function workflowUrl(config: TemporalConfig, workflowId: string, runId?: string): string {
  const base = `${config.web_ui.replace(/\/$/, '')}/namespaces/${encodeURIComponent(config.namespace)}/workflows/${encodeURIComponent(workflowId)}`;
  return runId ? `${base}/${runId}/history` : base;
}
