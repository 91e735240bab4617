import { escapeXml } from './xml.js'

/** Namespaces as ONVIF devices declare them (gSOAP-based firmware puts them all on the Envelope). */
export const NS = {
  env: 'http://www.w3.org/2003/05/soap-envelope',
  xs: 'http://www.w3.org/2001/XMLSchema',
  xsi: 'http://www.w3.org/2001/XMLSchema-instance',
  wsa5: 'http://www.w3.org/2005/08/addressing',
  wsnt: 'http://docs.oasis-open.org/wsn/b-2',
  wstop: 'http://docs.oasis-open.org/wsn/t-1',
  tt: 'http://www.onvif.org/ver10/schema',
  tds: 'http://www.onvif.org/ver10/device/wsdl',
  trt: 'http://www.onvif.org/ver10/media/wsdl',
  tev: 'http://www.onvif.org/ver10/events/wsdl',
  ter: 'http://www.onvif.org/ver10/error',
  tns1: 'http://www.onvif.org/ver10/topics',
  wsse: 'http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd',
  wsu: 'http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd',
} as const

const DECLS = Object.entries(NS).map(([p, uri]) => `xmlns:${p}="${uri}"`).join(' ')

/** A full SOAP 1.2 envelope; `header` is optional WS-Addressing content. */
export function envelope(body: string, header = ''): string {
  return `<?xml version="1.0" encoding="UTF-8"?>\n<env:Envelope ${DECLS}><env:Header>${header}</env:Header><env:Body>${body}</env:Body></env:Envelope>`
}

/** WS-Addressing Action header, as devices echo it in responses. */
export function actionHeader(action: string, relatesTo?: string): string {
  return `<wsa5:Action env:mustUnderstand="1">${escapeXml(action)}</wsa5:Action>` +
    (relatesTo ? `<wsa5:RelatesTo>${escapeXml(relatesTo)}</wsa5:RelatesTo>` : '')
}

export interface SoapFault {
  /** SOAP 1.2 top-level code: Sender (client's fault) or Receiver (device's). */
  code: 'env:Sender' | 'env:Receiver'
  /** ONVIF subcodes, outermost first, e.g. ['ter:NotAuthorized'] or ['ter:InvalidArgVal', 'ter:NoProfile']. */
  subcodes: string[]
  reason: string
  /** HTTP status: SOAP 1.2 HTTP binding maps Sender faults to 400, Receiver to 500; auth may use 401. */
  httpStatus: number
}

export function faultXml(f: SoapFault): string {
  let sub = ''
  for (const s of [...f.subcodes].reverse()) sub = `<env:Subcode><env:Value>${s}</env:Value>${sub}</env:Subcode>`
  return envelope(
    `<env:Fault><env:Code><env:Value>${f.code}</env:Value>${sub}</env:Code>` +
    `<env:Reason><env:Text xml:lang="en">${escapeXml(f.reason)}</env:Text></env:Reason></env:Fault>`,
    actionHeader('http://www.w3.org/2005/08/addressing/soap/fault'),
  )
}

/** ONVIF Core, "Authentication": a request without valid credentials. */
export const NOT_AUTHORIZED: SoapFault = {
  code: 'env:Sender', subcodes: ['ter:NotAuthorized'], reason: 'Sender not Authorized', httpStatus: 400,
}

export const ACTION_NOT_SUPPORTED: SoapFault = {
  code: 'env:Receiver', subcodes: ['ter:ActionNotSupported'], reason: 'Optional Action Not Implemented', httpStatus: 500,
}

export const NOT_WELL_FORMED: SoapFault = {
  code: 'env:Sender', subcodes: ['ter:WellFormed'], reason: 'XML Well-formed violation', httpStatus: 400,
}

export function noProfile(token: string): SoapFault {
  return { code: 'env:Sender', subcodes: ['ter:InvalidArgVal', 'ter:NoProfile'], reason: `No such profile: ${token}`, httpStatus: 400 }
}

export const RESOURCE_UNKNOWN: SoapFault = {
  code: 'env:Sender', subcodes: ['ter:InvalidArgVal', 'ter:ResourceUnknown'],
  reason: 'The subscription does not exist or has expired', httpStatus: 400,
}

/** xs:dateTime in UTC without milliseconds, as cameras print it. */
export function isoSeconds(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z')
}
