/**
 * Just enough XML reading for SOAP requests, as embedded camera firmware does
 * it: elements are found by local name whatever prefix the client chose, and
 * prefixes are resolved through the xmlns declarations in the document.
 */

export function escapeXml(text: string): string {
  return text.replace(/[<>&"']/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;' })[c] ?? c)
}

function unescapeXml(text: string): string {
  return text
    .replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&apos;/g, "'")
    .replace(/&#(\d+);/g, (_m, d: string) => String.fromCodePoint(Number(d)))
    .replace(/&amp;/g, '&')
}

const NAME = '(?:[A-Za-z_][\\w.-]*:)?'

/** Text content of the first element with this local name, or undefined. */
export function childText(xml: string, localName: string): string | undefined {
  const re = new RegExp(`<${NAME}${localName}(?:\\s[^>]*)?>([^<]*)</${NAME}${localName}\\s*>`)
  const m = re.exec(xml)
  return m ? unescapeXml(m[1] ?? '').trim() : undefined
}

/** Value of an attribute (by local name) on the first element with this local name. */
export function childAttr(xml: string, localName: string, attr: string): string | undefined {
  const tag = new RegExp(`<${NAME}${localName}(\\s[^>]*)?/?>`).exec(xml)
  if (!tag?.[1]) return undefined
  const m = new RegExp(`(?:^|\\s)${NAME}${attr}\\s*=\\s*("([^"]*)"|'([^']*)')`).exec(tag[1])
  return m ? unescapeXml(m[2] ?? m[3] ?? '') : undefined
}

/** The part of the document inside the first element with this local name. */
export function section(xml: string, localName: string): string | undefined {
  const open = new RegExp(`<(${NAME})${localName}(\\s[^>]*)?>`).exec(xml)
  if (!open) return undefined
  const start = open.index + open[0].length
  const close = xml.indexOf(`</${open[1] ?? ''}${localName}`, start)
  return close < 0 ? undefined : xml.slice(start, close)
}

export interface QName {
  ns: string
  local: string
}

/** Namespace URI and local name of the first element inside the SOAP Body. */
export function firstBodyElement(xml: string): QName | undefined {
  const body = /<([A-Za-z_][\w.-]*:)?Body(\s[^>]*)?>/.exec(xml)
  if (!body) return undefined
  const rest = xml.slice(body.index + body[0].length)
  const el = /<(?:([A-Za-z_][\w.-]*):)?([A-Za-z_][\w.-]*)(\s[^>]*?)?\/?>/.exec(rest)
  if (!el?.[2]) return undefined
  const prefix = el[1]
  const attrs = el[3] ?? ''
  const own = new RegExp(`xmlns${prefix ? ':' + prefix : ''}\\s*=\\s*["']([^"']*)["']`).exec(attrs)
  if (own?.[1] !== undefined) return { ns: own[1], local: el[2] }
  // Declared on an ancestor (Envelope or Body): take the nearest declaration before the element.
  const decl = new RegExp(`xmlns${prefix ? ':' + prefix : ''}\\s*=\\s*["']([^"']*)["']`, 'g')
  const before = xml.slice(0, body.index + body[0].length)
  let ns = ''
  for (const m of before.matchAll(decl)) ns = m[1] ?? ''
  return { ns, local: el[2] }
}

/** True when the text looks like a complete SOAP envelope (a parse check a camera's gSOAP would also make). */
export function isSoapEnvelope(xml: string): boolean {
  return /<([A-Za-z_][\w.-]*:)?Envelope[\s>]/.test(xml) && /<\/([A-Za-z_][\w.-]*:)?Envelope\s*>\s*$/.test(xml.trim())
    && firstBodyElement(xml) !== undefined
}

/**
 * xs:duration (PT1M, PT10S, PT0.5S, P1DT2H) → ms, or an absolute xs:dateTime
 * → ms from now. Returns undefined for anything else.
 */
export function durationOrTimeMs(text: string, nowMs: number): number | undefined {
  const d = /^P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)?$/.exec(text.trim())
  if (d && text.trim() !== 'P' && text.trim() !== 'PT') {
    const [, days, h, m, s] = d
    return ((Number(days ?? 0) * 24 + Number(h ?? 0)) * 60 + Number(m ?? 0)) * 60_000 + Number(s ?? 0) * 1000
  }
  const t = Date.parse(text.trim())
  return Number.isNaN(t) ? undefined : t - nowMs
}
