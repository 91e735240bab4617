/**
 * Reading what a camera (or anyone on the LAN) sends, with a real XML parser:
 * xml2js over sax, the one the onvif client uses, strict, no DTD entities (so
 * no entity expansion). Elements are found by local name inside the right
 * parent, whatever prefixes the sender chose, never by the first match
 * anywhere in the message.
 */
import { Parser, processors } from 'xml2js'

/** An element as xml2js gives it (prefixes stripped): children by local name, text in `_` when it has attributes. */
export type XmlNode = { [local: string]: XmlNode[] | string | undefined; _?: string } | string

/** Every child element with this local name. */
export const children = (node: XmlNode | undefined, local: string): XmlNode[] =>
  typeof node === 'object' ? ((node[local] as XmlNode[] | undefined) ?? []) : []

/** The first child element with this local name. */
export const child = (node: XmlNode | undefined, local: string): XmlNode | undefined => children(node, local)[0]

/** Follows a path of local names from `node`, first child at each step. */
export const path = (node: XmlNode | undefined, ...locals: string[]): XmlNode | undefined =>
  locals.reduce<XmlNode | undefined>((n, l) => child(n, l), node)

export const textOf = (node: XmlNode | undefined): string =>
  (typeof node === 'string' ? node : typeof node?._ === 'string' ? node._ : '').trim()

/** Whitespace-separated list content (XAddrs, Scopes, Types). */
export const words = (node: XmlNode | undefined): string[] => textOf(node).split(/\s+/).filter(Boolean)

/** The SOAP Envelope element of `xml`; throws for anything that is not well-formed XML. */
export function parseEnvelope(xml: string): XmlNode | undefined {
  let out: { Envelope?: XmlNode } | null | undefined
  let error: Error | null = null
  // Synchronous with xml2js' default async: false; the callback runs before parseString returns.
  new Parser({ tagNameProcessors: [processors.stripPrefix], strict: true }).parseString(xml, (err: Error | null, result: { Envelope?: XmlNode } | null) => {
    error = err
    out = result
  })
  if (error) throw error
  return out?.Envelope
}
