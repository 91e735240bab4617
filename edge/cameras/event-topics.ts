/**
 * ONVIF event topics we act on (ONVIF Core 9.x, Profile S cameras). Pure.
 * Motion arrives as both tns1:VideoSource/MotionAlarm and
 * tns1:RuleEngine/CellMotionDetector/Motion on many cameras; the caller
 * records only changes of state, so the pair becomes one event.
 *
 * Field cameras differ in the data item they fill: the Core spec's
 * TamperDetector/Tamper carries `IsTamper`, while some firmware sends `State`
 * there (as on the scene-change topic). Every item a rule names is accepted,
 * in that rule's order. Values are xs:boolean, so `true`/`false` and `1`/`0`.
 */
import type { Notification } from './onvif-client.js'

export type CameraEventKind = 'motion' | 'tamper'

/** Namespace prefixes differ between cameras (tns1:, ns2:...): compare the bare topic path. */
const bareTopic = (topic: string) =>
  topic
    .trim()
    .split('/')
    .map((seg) => seg.replace(/^[^:]*:/, ''))
    .join('/')

const RULES: { match: (t: string) => boolean; event: CameraEventKind; keys: string[] }[] = [
  { match: (t) => t === 'VideoSource/MotionAlarm', event: 'motion', keys: ['State'] },
  { match: (t) => t === 'RuleEngine/CellMotionDetector/Motion', event: 'motion', keys: ['IsMotion'] },
  { match: (t) => t.startsWith('VideoSource/GlobalSceneChange/'), event: 'tamper', keys: ['State'] },
  { match: (t) => t === 'RuleEngine/TamperDetector/Tamper', event: 'tamper', keys: ['IsTamper', 'State'] },
]

/** xs:boolean's lexical forms (XML Schema 1.0 §3.2.2), spaces around them allowed; null for anything else. */
export function xsBoolean(value: string | undefined): boolean | null {
  switch (value?.trim().toLowerCase()) {
    case 'true': case '1': return true
    case 'false': case '0': return false
    default: return null
  }
}

export function interpretNotification(n: Notification): { event: CameraEventKind; state: boolean } | null {
  const t = bareTopic(n.topic)
  for (const rule of RULES) {
    if (!rule.match(t)) continue
    const key = rule.keys.find((k) => k in n.data)
    if (!key) return null
    const state = xsBoolean(n.data[key])
    return state === null ? null : { event: rule.event, state }
  }
  return null
}
