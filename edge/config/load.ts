import { readFileSync } from 'node:fs'
import { dirname, isAbsolute, resolve } from 'node:path'
import { ConfigError, loadConfigFile, validateConfig } from '../../common/config.js'
import { edgeConfigSchema, type EdgeConfig } from './schema.js'

/**
 * Loads the edge config once at start. Relative paths are resolved against
 * the config file's folder so the edge behaves the same whatever directory a
 * systemd unit or a technician starts it from; the hub token is read from
 * `hub.tokenFile` so the secret never has to sit in the config itself.
 */
export function loadEdgeConfig(file: string): Readonly<EdgeConfig> {
  const parsed = loadConfigFile(file, edgeConfigSchema)
  const base = dirname(resolve(file))
  const at = (p: string) => (isAbsolute(p) ? p : resolve(base, p))

  const hub = { ...parsed.hub }
  if (hub.ca) hub.ca = at(hub.ca)
  if (hub.tokenFile) {
    hub.tokenFile = at(hub.tokenFile)
    hub.token = readToken(file, hub.tokenFile)
  }
  const tls = parsed.broker.tls ? { cert: at(parsed.broker.tls.cert), key: at(parsed.broker.tls.key) } : undefined
  const resolved = {
    ...parsed,
    hub,
    broker: { ...parsed.broker, ...(tls ? { tls } : {}) },
    outbox: { ...parsed.outbox, dir: at(parsed.outbox.dir) },
    officers: parsed.officers.map((o) => (o.photo ? { ...o, photo: at(o.photo) } : o)),
  }
  return validateConfig(file, resolved, edgeConfigSchema)
}

function readToken(file: string, tokenFile: string): string {
  let token: string
  try {
    token = readFileSync(tokenFile, 'utf8').trim()
  } catch (err) {
    throw new ConfigError(file, [`hub.tokenFile: expected a readable file, cannot read "${tokenFile}": ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`])
  }
  if (token.length < 16) throw new ConfigError(file, [`hub.tokenFile: expected a token of at least 16 characters in "${tokenFile}"`])
  return token
}
