/**
 * The one router of the edge's and the hub's HTTP servers (pure). A pattern
 * is a path whose segments are literal, `:name` (one segment, decoded), or a
 * last `*name` / `*` (the rest of the path, one or more segments; `*` takes it
 * without capturing, so a mount's paths are never decoded). Literal segments
 * compare undecoded, so an escape cannot dress up as a fixed path. Routes are
 * tried in the order they were added; method `*` takes any method.
 */

export type Params = Readonly<Record<string, string>>

export type Match<H> =
  | { kind: 'found'; handler: H; params: Params }
  | { kind: 'not_found' }
  /** The path exists with other methods: answer 405 with this Allow header. */
  | { kind: 'method_not_allowed'; allow: string }
  /** A parameter holds a malformed percent-escape: answer 400. */
  | { kind: 'bad_path' }

interface Route<H> {
  method: string
  segments: string[]
  /** The name of a trailing `*name`, '' for a bare `*`, null when the pattern has none. */
  rest: string | null
  handler: H
}

export class Router<H> {
  private readonly routes: Route<H>[] = []

  add(method: string, pattern: string, handler: H): this {
    if (!pattern.startsWith('/')) throw new Error(`route pattern must start with "/": ${pattern}`)
    const segments = pattern.slice(1).split('/')
    const last = segments.at(-1) ?? ''
    const rest = last.startsWith('*') ? last.slice(1) : null
    if (rest !== null) segments.pop()
    this.routes.push({ method: method.toUpperCase(), segments, rest, handler })
    return this
  }

  /** `prefix` and every path under it, any method: for a part that routes its own paths. */
  mount(prefix: string, handler: H): this {
    return this.add('*', prefix, handler).add('*', `${prefix}/*`, handler)
  }

  match(method: string, path: string): Match<H> {
    const parts = path.slice(1).split('/')
    const allow = new Set<string>()
    for (const r of this.routes) {
      const raw = capture(r, parts)
      if (!raw) continue
      if (r.method !== '*' && r.method !== method.toUpperCase()) {
        allow.add(r.method)
        continue
      }
      const params: Record<string, string> = {}
      for (const [name, value] of Object.entries(raw)) {
        const decoded = decode(value)
        if (decoded === null) return { kind: 'bad_path' }
        params[name] = decoded
      }
      return { kind: 'found', handler: r.handler, params }
    }
    return allow.size ? { kind: 'method_not_allowed', allow: [...allow].sort().join(', ') } : { kind: 'not_found' }
  }
}

/** The raw (undecoded) parameters when `parts` fit the route's pattern, else null. */
function capture(r: Route<unknown>, parts: readonly string[]): Record<string, string> | null {
  if (r.rest === null ? parts.length !== r.segments.length : parts.length <= r.segments.length) return null
  const raw: Record<string, string> = {}
  for (const [i, seg] of r.segments.entries()) {
    const part = parts[i]!
    if (seg.startsWith(':')) {
      if (part === '') return null
      raw[seg.slice(1)] = part
    } else if (seg !== part) return null
  }
  if (r.rest) raw[r.rest] = parts.slice(r.segments.length).join('/')
  return raw
}

function decode(s: string): string | null {
  try {
    return decodeURIComponent(s)
  } catch {
    return null
  }
}
