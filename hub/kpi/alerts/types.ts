/**
 * Alerts for supervisors and the operations center. Detection and state
 * changes are pure: the caller passes the current state, the facts and the
 * time, and stores the state it gets back.
 */
export const ALERT_KINDS = [
  'dissatisfied_run',
  'low_index',
  'camera_offline',
  'camera_tampered',
  'edge_silent',
  'edge_backlog',
  'counter_unstaffed',
  'overload',
  'case_deadline',
] as const
export type AlertKind = (typeof ALERT_KINDS)[number]

/** What supervisors read: Vietnamese first, English available. */
export const ALERT_TITLES: Readonly<Record<AlertKind, { vi: string; en: string }>> = {
  dissatisfied_run: { vi: 'Nhiều đánh giá không hài lòng liên tiếp tại quầy', en: 'Run of dissatisfied ratings at a counter' },
  low_index: { vi: 'Chỉ số hài lòng của quầy xuống thấp', en: 'Counter satisfaction index below threshold' },
  camera_offline: { vi: 'Camera mất kết nối', en: 'Camera offline' },
  camera_tampered: { vi: 'Camera bị che, xoay hoặc can thiệp', en: 'Camera tampered with' },
  edge_silent: { vi: 'Thiết bị biên không gửi dữ liệu', en: 'Edge box silent' },
  edge_backlog: { vi: 'Thiết bị biên tồn đọng dữ liệu chưa gửi', en: 'Edge box backlogged' },
  counter_unstaffed: { vi: 'Quầy không có cán bộ trong giờ tiếp dân', en: 'Counter unstaffed during opening hours' },
  overload: { vi: 'Quá tải: người dân chờ lâu hoặc hàng chờ dài', en: 'Overload: long wait or long queue' },
  case_deadline: { vi: 'Phản ánh, kiến nghị sắp đến hạn hoặc quá hạn xử lý', en: 'Complaint case deadline near or passed' },
}

export type AlertDetails = Readonly<Record<string, number | string | null>>

/**
 * A condition found by a detector. `raise` false means "still bad enough to
 * keep an open alert, not bad enough to open one" (hysteresis), so an index
 * hovering at the threshold does not raise, clear and raise again.
 */
export interface AlertCondition {
  kind: AlertKind
  site: string
  /** What the alert is about: "site/counter", "site/camera" or "site". */
  subject: string
  /** When the condition began, from the data itself, so every hub instance derives the same alert id. */
  since: number
  raise: boolean
  details: AlertDetails
}

export interface AlertAck {
  by: string
  at: number
  comment: string
}

export interface Alert {
  /** `${kind}:${subject}:${since}` — stable for the life of the condition. */
  id: string
  kind: AlertKind
  site: string
  subject: string
  title: { vi: string; en: string }
  since: number
  raisedAt: number
  /** Last evaluation that still found the condition. */
  seenAt: number
  details: AlertDetails
  /** When the condition went away; the alert stays listed until acknowledged. */
  clearedAt: number | null
  ack: AlertAck | null
}

export interface AlertState {
  readonly alerts: readonly Alert[]
}

export const EMPTY_ALERT_STATE: AlertState = { alerts: [] }

/** Defaults follow issue 5 ("3 in 15 minutes") and field practice; every value can be overridden. */
export interface AlertThresholds {
  run: { count: number; windowMs: number }
  lowIndex: {
    windowMs: number
    /** Raise when the window's index is below this (0–100). */
    below: number
    /** So one unhappy citizen cannot flag a counter. */
    minRatings: number
    /** Clear only once the index is back at `below + clearMargin` or the window is empty. */
    clearMargin: number
  }
  camera: { offlineAfterMs: number }
  edge: { silentAfterMs: number; backlogAfterS: number }
  /** A counter with a kiosk nobody is signed in at during opening hours, for longer than the grace (a break, a handover). */
  unstaffed: { graceMs: number }
  overload: {
    /** Raise when a ticket still waiting has waited this long. */
    waitMs: number
    /** Raise when this many tickets are waiting. */
    queueLength: number
    /** Keep an open alert while either measure is at least this share of its threshold (hysteresis). */
    keepRatio: number
    /** A ticket issued longer ago than this and never called is taken as abandoned (the citizen left). */
    abandonAfterMs: number
  }
  /** Cleared and acknowledged alerts are dropped from the state after this. */
  retainMs: number
}

const MIN = 60_000
export const DEFAULT_ALERT_THRESHOLDS: AlertThresholds = {
  run: { count: 3, windowMs: 15 * MIN },
  lowIndex: { windowMs: 60 * MIN, below: 60, minRatings: 5, clearMargin: 5 },
  camera: { offlineAfterMs: 2 * MIN },
  edge: { silentAfterMs: 10 * MIN, backlogAfterS: 15 * 60 },
  unstaffed: { graceMs: 15 * MIN },
  overload: { waitMs: 60 * MIN, queueLength: 40, keepRatio: 0.8, abandonAfterMs: 4 * 60 * MIN },
  retainMs: 7 * 24 * 60 * MIN,
}

/** A camera's health as last reported by its edge. */
export interface CameraHealth {
  site: string
  camera: string
  /** Since when the camera has been offline; null while online. */
  offlineSince: number | null
  /** Since when tampering (covered, moved, defocused) has been detected; null when not. */
  tamperedSince: number | null
}

/** What the hub knows about an edge from its batches. */
export interface EdgeHealth {
  site: string
  /** Time of the last batch received; null if the edge was never heard from. */
  lastSeenAt: number | null
  /** From the edge's latest edge_health record; null if none yet. */
  outboxOldestAgeS: number | null
  /** Point time of that edge_health record. */
  healthAt: number | null
}
