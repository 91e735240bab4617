import { existsSync } from 'node:fs'
import { isAbsolute } from 'node:path'
import { loadConfigFile, readSecretFile, relativeTo, validateConfig } from '../../common/config.js'
import { hubConfigSchema, type HubConfig } from './schema.js'

/**
 * Loads the hub config once at start, as the edge loads its own
 * (edge/config/load.ts): relative paths (the TLS files, the session secret
 * file) are resolved against the config file's folder, and the session
 * secret is read from its file here, so a missing or short one is a config
 * error naming the key instead of a failure half-way through the start.
 */
export function loadHubConfig(file: string): Readonly<HubConfig> {
  const parsed = loadConfigFile(file, hubConfigSchema)
  const near = relativeTo(file)
  // Before issue 12 the hub read relative paths from its working directory: a file found only there is still used.
  const at = (p: string) => (isAbsolute(p) || existsSync(near(p)) || !existsSync(p) ? near(p) : p)

  const tls = parsed.http.tls ? { cert: at(parsed.http.tls.cert), key: at(parsed.http.tls.key) } : undefined
  const secretFile = parsed.sessionSecretFile === undefined ? undefined : at(parsed.sessionSecretFile)
  const mail = parsed.reports.mail
  const mailPasswordFile = mail?.passwordFile === undefined ? undefined : at(mail.passwordFile)
  const reports = mail
    ? {
        ...parsed.reports,
        mail: {
          ...mail,
          ...(mail.ca === undefined ? {} : { ca: at(mail.ca) }),
          ...(mailPasswordFile === undefined ? {} : { passwordFile: mailPasswordFile, password: readSecretFile(file, 'reports.mail.passwordFile', mailPasswordFile, 'a password', 1) }),
        },
      }
    : parsed.reports
  // Webhook secrets for alert delivery (hub/config/alerts.ts), like the mail password: from their files, here.
  const webhooks = parsed.alerts.delivery.webhooks.map((w, i) =>
    w.secretFile === undefined ? w : { ...w, secretFile: at(w.secretFile), secret: readSecretFile(file, `alerts.delivery.webhooks.${i}.secretFile`, at(w.secretFile), 'a secret', 16) })
  const resolved = {
    ...parsed,
    reports,
    alerts: { ...parsed.alerts, delivery: { ...parsed.alerts.delivery, webhooks } },
    http: { ...parsed.http, ...(tls ? { tls } : {}) },
    ...(secretFile === undefined
      ? {}
      : { sessionSecretFile: secretFile, sessionSecret: parsed.sessionSecret ?? readSecretFile(file, 'sessionSecretFile', secretFile, 'a secret', 32) }),
  }
  return validateConfig(file, resolved, hubConfigSchema)
}
