/**
 * ONVIF event topics we act on (ONVIF Core 9.x, Profile S cameras). Pure.
 * Motion arrives as both tns1:VideoSource/MotionAlarm and
 * tns1:RuleEngine/CellMotionDetector/Motion on many cameras; the caller
 * records only changes of state, so the pair becomes one event.
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
  { match: (t) => t === 'RuleEngine/TamperDetector/Tamper', event: 'tamper', keys: ['IsTamper'] },
]

export function interpretNotification(n: Notification): { event: CameraEventKind; state: boolean } | null {
  const t = bareTopic(n.topic)
  for (const rule of RULES) {
    if (!rule.match(t)) continue
    const key = rule.keys.find((k) => k in n.data)
    if (!key) return null
    const v = n.data[key]?.toLowerCase()
    if (v !== 'true' && v !== 'false') return null
    return { event: rule.event, state: v === 'true' }
  }
  return null
}
