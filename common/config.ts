import { readFileSync } from 'node:fs'
import { dirname, isAbsolute, resolve } from 'node:path'
import { parse as parseYaml } from 'yaml'
import type { z } from 'zod'

/** A configuration file that cannot be used; the message names the file, the key and what was expected. */
export class ConfigError extends Error {
  constructor(readonly file: string, readonly problems: string[]) {
    super(`${file}: invalid configuration\n${problems.map((p) => `  - ${p}`).join('\n')}`)
    this.name = 'ConfigError'
  }
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value)
    for (const v of Object.values(value)) deepFreeze(v)
  }
  return value
}

export function formatIssues(issues: readonly z.core.$ZodIssue[]): string[] {
  return issues.map((i) => {
    const key = i.path.length ? i.path.map(String).join('.') : '(top level)'
    return `${key}: ${i.message}`
  })
}

/** Validates an already-parsed object, returning a frozen typed config. */
export function validateConfig<S extends z.ZodType>(file: string, raw: unknown, schema: S): Readonly<z.output<S>> {
  const result = schema.safeParse(raw)
  if (!result.success) throw new ConfigError(file, formatIssues(result.error.issues))
  return deepFreeze(result.data)
}

/** Reads a YAML (or JSON, which is YAML) file and validates it once, at start. */
export function loadConfigFile<S extends z.ZodType>(file: string, schema: S): Readonly<z.output<S>> {
  let text: string
  try {
    text = readFileSync(file, 'utf8')
  } catch (err) {
    throw new ConfigError(file, [`cannot read file: ${(err as Error).message}`])
  }
  let raw: unknown
  try {
    raw = parseYaml(text)
  } catch (err) {
    throw new ConfigError(file, [`not valid YAML: ${(err as Error).message}`])
  }
  return validateConfig(file, raw, schema)
}

/** Resolves a path from a config file against the file's folder, so a program reads the same files whatever directory it was started from. */
export function relativeTo(configFile: string): (path: string) => string {
  const base = dirname(resolve(configFile))
  return (path) => (isAbsolute(path) ? path : resolve(base, path))
}

/** A secret kept in a file of its own (never in the config), trimmed; a ConfigError naming `key` if it is unreadable or short. */
export function readSecretFile(configFile: string, key: string, path: string, what: string, minLength: number): string {
  let secret: string
  try {
    secret = readFileSync(path, 'utf8').trim()
  } catch (err) {
    throw new ConfigError(configFile, [`${key}: expected a readable file, cannot read "${path}": ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`])
  }
  if (secret.length < minLength) throw new ConfigError(configFile, [`${key}: expected ${what} of at least ${minLength} characters in "${path}"`])
  return secret
}
