/**
 * Reads what the edge sends down to the kiosk. The edge is trusted but a
 * kiosk must keep working whatever arrives, so anything malformed is
 * rejected (null) and the screen stays as it was.
 */
import type { DeviceConfigMessage } from '../../../protocol/messages.js'
import { TICKET_PATTERN } from '../../../protocol/patterns.js'
import { SCALES, SCALE_SIZES, type ScaleSize } from '../../../protocol/scales.js'

export type KioskConfig = DeviceConfigMessage

const isObj = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x)
const isStr = (x: unknown): x is string => typeof x === 'string' && x.length > 0
const named = (x: unknown): { id: string; name: string } | null =>
  isObj(x) && isStr(x.id) && isStr(x.name) ? { id: x.id, name: x.name } : null

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text)
  } catch {
    return null
  }
}

export function parseConfig(text: string): KioskConfig | null {
  const m = parseJson(text)
  if (!isObj(m) || m.v !== 1) return null
  const site = named(m.site)
  const counter = named(m.counter)
  const department = named(m.department)
  const scale = m.scale as ScaleSize
  if (!site || !counter || !department || !SCALE_SIZES.includes(scale)) return null
  // Labels that do not fit the scale are replaced by the protocol's own, so the buttons always match the levels.
  const given = Array.isArray(m.labels) ? m.labels : []
  const labelsFit = given.length === scale && given.every((l) => isObj(l) && isStr(l.vi) && isStr(l.en))
  const labels = labelsFit
    ? (given as { vi: string; en: string }[]).map((l) => ({ vi: l.vi, en: l.en }))
    : SCALES[scale].map((l) => ({ vi: l.vi, en: l.en }))
  const reasons = (Array.isArray(m.reasons) ? m.reasons : [])
    .filter((r): r is { id: string; vi: string; en: string } => isObj(r) && isStr(r.id) && isStr(r.vi) && isStr(r.en))
    .map((r) => ({ id: r.id, vi: r.vi, en: r.en }))
  let officer: KioskConfig['officer'] = null
  const o = named(m.officer)
  if (o) officer = isObj(m.officer) && isStr(m.officer.photo) ? { ...o, photo: m.officer.photo } : o
  const config: KioskConfig = { v: 1, site, counter, department, scale, labels, reasons, officer }
  if (Array.isArray(m.officers)) config.officers = m.officers.map(named).filter((x) => x !== null)
  return config
}

export function parsePromptTicket(text: string): string | null {
  const m = parseJson(text)
  return isObj(m) && typeof m.ticket === 'string' && TICKET_PATTERN.test(m.ticket) ? m.ticket : null
}

export interface ErrorReply {
  code: string
  id: string | null
  message: string
}

export function parseErrorReply(text: string): ErrorReply | null {
  const m = parseJson(text)
  if (!isObj(m) || !isStr(m.code)) return null
  return { code: m.code, id: isStr(m.id) ? m.id : null, message: typeof m.message === 'string' ? m.message.slice(0, 200) : '' }
}
