/**
 * MQTT topic scheme, version 1. Every topic is built and parsed here; nothing
 * else in the code base writes a topic string by hand. See docs/protocol.md.
 *
 *   motcua/v1/{site}/{counter}/rating                    device → edge  QoS 1
 *   motcua/v1/{site}/{counter}/ticket                    queue  → edge  QoS 1
 *   motcua/v1/{site}/{counter}/status/{device}           device → edge  QoS 1, retained, last-will
 *   motcua/v1/{site}/{counter}/heartbeat/{device}        device → edge  QoS 0
 *   motcua/v1/{site}/{counter}/officer                   kiosk  → edge  QoS 1 (officer sign-in/out)
 *   motcua/v1/{site}/{counter}/complaint                 kiosk  → edge  QoS 1 (comment / call-back after a dissatisfied rating)
 *   motcua/v1/{site}/{counter}/down/{device}/config      edge → device  QoS 1, retained
 *   motcua/v1/{site}/{counter}/down/{device}/error       edge → device  QoS 1
 *   motcua/v1/{site}/{counter}/down/{device}/prompt      edge → device  QoS 1 (ticket called: "please rate")
 *   motcua/v1/{site}/{counter}/alert/{device}            edge           retained (device alert, e.g. stuck button)
 *   motcua/v1/{site}/edge/status                         edge           retained, last-will
 *   motcua/v1/{site}/camera/{camera}/state               edge           retained (camera health)
 */
import { ID_PATTERN } from './patterns.js'

export const PROTOCOL_VERSION = 1
export const TOPIC_ROOT = `motcua/v${PROTOCOL_VERSION}`

/** Counter id reserved for the edge's own topics, so it can never collide with a counter. */
export const EDGE_LEVEL = 'edge'
/** Counter id reserved for the edge's camera topics, for the same reason. */
export const CAMERA_LEVEL = 'camera'
/** Ids that can never be counter ids. */
export const RESERVED_COUNTER_IDS: readonly string[] = [EDGE_LEVEL, CAMERA_LEVEL]

export const UPLINK_KINDS = ['rating', 'ticket', 'officer', 'status', 'heartbeat', 'complaint'] as const
export type UplinkKind = (typeof UPLINK_KINDS)[number]
export const DOWNLINK_KINDS = ['config', 'error', 'prompt'] as const
export type DownlinkKind = (typeof DOWNLINK_KINDS)[number]

export const topics = {
  rating: (site: string, counter: string) => `${TOPIC_ROOT}/${site}/${counter}/rating`,
  ticket: (site: string, counter: string) => `${TOPIC_ROOT}/${site}/${counter}/ticket`,
  officer: (site: string, counter: string) => `${TOPIC_ROOT}/${site}/${counter}/officer`,
  complaint: (site: string, counter: string) => `${TOPIC_ROOT}/${site}/${counter}/complaint`,
  status: (site: string, counter: string, device: string) => `${TOPIC_ROOT}/${site}/${counter}/status/${device}`,
  heartbeat: (site: string, counter: string, device: string) => `${TOPIC_ROOT}/${site}/${counter}/heartbeat/${device}`,
  down: (site: string, counter: string, device: string, kind: DownlinkKind) =>
    `${TOPIC_ROOT}/${site}/${counter}/down/${device}/${kind}`,
  /** Everything a device may subscribe to: its own downlink. */
  downAll: (site: string, counter: string, device: string) => `${TOPIC_ROOT}/${site}/${counter}/down/${device}/#`,
  /** Edge-owned, retained: a device's alert (stuck button) for supervisors' screens. */
  alert: (site: string, counter: string, device: string) => `${TOPIC_ROOT}/${site}/${counter}/alert/${device}`,
  edgeStatus: (site: string) => `${TOPIC_ROOT}/${site}/${EDGE_LEVEL}/status`,
  cameraState: (site: string, camera: string) => `${TOPIC_ROOT}/${site}/${CAMERA_LEVEL}/${camera}/state`,
} as const

export type ParsedTopic =
  | { kind: 'rating' | 'ticket' | 'officer' | 'complaint'; site: string; counter: string }
  | { kind: 'status' | 'heartbeat'; site: string; counter: string; device: string }
  | { kind: 'down'; site: string; counter: string; device: string; downlink: DownlinkKind }
  | { kind: 'alert'; site: string; counter: string; device: string }
  | { kind: 'edge-status'; site: string }
  | { kind: 'camera-state'; site: string; camera: string }

const isId = (s: string | undefined): s is string => s !== undefined && ID_PATTERN.test(s)

/** Parses a concrete (wildcard-free) topic; returns null for anything outside the scheme. */
export function parseTopic(topic: string): ParsedTopic | null {
  const parts = topic.split('/')
  if (parts[0] !== 'motcua' || parts[1] !== `v${PROTOCOL_VERSION}`) return null
  const [, , site, counter, kind, device, downlink, ...rest] = parts
  if (!isId(site) || !isId(counter) || rest.length > 0) return null
  if (counter === EDGE_LEVEL) {
    return kind === 'status' && device === undefined ? { kind: 'edge-status', site } : null
  }
  if (counter === CAMERA_LEVEL) {
    return isId(kind) && device === 'state' && downlink === undefined ? { kind: 'camera-state', site, camera: kind } : null
  }
  switch (kind) {
    case 'rating':
    case 'ticket':
    case 'officer':
    case 'complaint':
      return device === undefined ? { kind, site, counter } : null
    case 'status':
    case 'heartbeat':
    case 'alert':
      return isId(device) && downlink === undefined ? { kind, site, counter, device } : null
    case 'down':
      return isId(device) && (DOWNLINK_KINDS as readonly string[]).includes(downlink ?? '')
        ? { kind: 'down', site, counter, device, downlink: downlink as DownlinkKind }
        : null
    default:
      return null
  }
}
