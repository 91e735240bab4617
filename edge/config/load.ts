import { ConfigError, loadConfigFile, readSecretFile, relativeTo, validateConfig } from '../../common/config.js'
import { edgeConfigSchema, type EdgeConfig } from './schema.js'
import { resolveTls, tlsFileProblems } from './tls.js'

/**
 * Loads the edge config once at start. Relative paths are resolved against
 * the config file's folder so the edge behaves the same whatever directory a
 * systemd unit or a technician starts it from; the hub token is read from
 * `hub.tokenFile` so the secret never has to sit in the config itself.
 */
export function loadEdgeConfig(file: string): Readonly<EdgeConfig> {
  const parsed = loadConfigFile(file, edgeConfigSchema)
  const at = relativeTo(file)

  const hub = { ...parsed.hub }
  if (hub.ca) hub.ca = at(hub.ca)
  if (hub.tokenFile) {
    hub.tokenFile = at(hub.tokenFile)
    hub.token = readSecretFile(file, 'hub.tokenFile', hub.tokenFile, 'a token', 16)
  }
  const brokerTls = resolveTls(parsed.broker.tls, at)
  const httpTls = resolveTls(parsed.http.tls, at)
  // Checked here so a missing certificate is a config error (exit 78, no restart loop), not a crash at listen.
  const tlsProblems = [...tlsFileProblems('http.tls', httpTls), ...tlsFileProblems('broker.tls', brokerTls)]
  if (tlsProblems.length) throw new ConfigError(file, tlsProblems)
  const resolved = {
    ...parsed,
    hub,
    broker: { ...parsed.broker, ...(brokerTls ? { tls: brokerTls } : {}) },
    http: { ...parsed.http, ...(httpTls ? { tls: httpTls } : {}) },
    outbox: { ...parsed.outbox, dir: at(parsed.outbox.dir) },
    officers: parsed.officers.map((o) => (o.photo ? { ...o, photo: at(o.photo) } : o)),
  }
  return validateConfig(file, resolved, edgeConfigSchema)
}
