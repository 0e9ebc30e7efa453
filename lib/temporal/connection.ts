// Connections to Temporal as the config describes them (address, namespace, TLS).
import { readFileSync } from 'node:fs';
import type { TLSConfig } from '@temporalio/client';
import type { HostConfig, TemporalConfig } from '../config/schema.ts';
import { ConfigError } from '../errors.ts';

/**
 * TLS options for Connection/NativeConnection, or undefined for plain TCP.
 * `host`: a worker's host, whose own certificate (`temporal_tls`), if any, replaces `temporal.tls.cert`/`key`.
 * The server certificate is always verified: against `ca` (or the system's CAs), for `server_name`
 * (or the host of `address`).
 */
export function tlsOptions(config: TemporalConfig, host?: Pick<HostConfig, 'name' | 'temporal_tls'>): TLSConfig | undefined {
  const tls = config.tls;
  if (!tls) return undefined;
  const own = host?.temporal_tls;
  const pair = own ? { ...own, at: `hosts[${host.name}].temporal_tls` } : tls.cert && tls.key ? { cert: tls.cert, key: tls.key, at: 'temporal.tls' } : undefined;
  return {
    serverNameOverride: tls.server_name,
    serverRootCACertificate: tls.ca ? readPem(tls.ca, 'temporal.tls.ca') : undefined,
    clientCertPair: pair && { crt: readPem(pair.cert, `${pair.at}.cert`), key: readPem(pair.key, `${pair.at}.key`) },
  };
}

/** A PEM file's bytes; a ConfigError naming the key and the file when it cannot be read or is not PEM. */
function readPem(file: string, key: string): Buffer {
  let data: Buffer;
  try {
    data = readFileSync(file);
  } catch (err) {
    throw new ConfigError(`${key}: cannot read ${file}: ${(err as Error).message}`, 'Fix the path in the config, or make the certificates (scripts/production/certs.sh DIR makes a CA, a server and one client certificate per host).');
  }
  if (!data.includes('-----BEGIN ')) {
    throw new ConfigError(`${key}: ${file} is not a PEM file (no -----BEGIN line)`, 'Point it at the PEM certificate or key, not a DER or PKCS#12 file (convert with openssl x509/pkcs12).');
  }
  return data;
}

/** Web UI link of one workflow execution. */
export function workflowUrl(config: TemporalConfig, workflowId: string, runId?: string): string {
  const base = `${config.web_ui.replace(/\/$/, '')}/namespaces/${encodeURIComponent(config.namespace)}/workflows/${encodeURIComponent(workflowId)}`;
  return runId ? `${base}/${runId}/history` : base;
}
