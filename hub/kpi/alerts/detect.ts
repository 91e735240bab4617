/**
 * Detectors: facts and the time in, conditions out. Misuse-flagged presses
 * (a child hammering one button) never count towards an alert.
 */
import type { RatingFact } from '../facts.js'
import type { AlertCondition, AlertThresholds, CameraHealth, EdgeHealth } from './types.js'

const counterSubject = (r: RatingFact) => `${r.site}/${r.counter}`

function byCounter(ratings: readonly RatingFact[], keep: (r: RatingFact) => boolean): Map<string, RatingFact[]> {
  const map = new Map<string, RatingFact[]>()
  for (const r of ratings) {
    if (r.misuse !== null || !keep(r)) continue
    const list = map.get(counterSubject(r))
    if (list) list.push(r)
    else map.set(counterSubject(r), [r])
  }
  return map
}

/**
 * A run starts when `count` dissatisfied ratings fall within `windowMs` at one
 * counter (satisfied ones in between do not break it) and goes on while each
 * next dissatisfied rating comes within `windowMs` of the previous one; it is
 * current until `windowMs` pass without one. Only current runs are reported:
 * the alert is about what is happening at the counter now.
 */
export function detectDissatisfiedRuns(
  ratings: readonly RatingFact[],
  now: number,
  cfg: AlertThresholds['run'],
): AlertCondition[] {
  const out: AlertCondition[] = []
  for (const [subject, list] of byCounter(ratings, (r) => r.dissatisfied)) {
    const times = list.map((r) => r.t).sort((a, b) => a - b)
    let i = 0
    while (i + cfg.count - 1 < times.length) {
      if (times[i + cfg.count - 1]! - times[i]! > cfg.windowMs) {
        i++
        continue
      }
      let last = i + cfg.count - 1
      while (last + 1 < times.length && times[last + 1]! - times[last]! <= cfg.windowMs) last++
      const [first, end] = [times[i]!, times[last]!]
      if (now - end <= cfg.windowMs) {
        out.push({
          kind: 'dissatisfied_run',
          site: list[0]!.site,
          subject,
          since: first,
          raise: true,
          details: { count: last - i + 1, firstAt: first, lastAt: end, windowMs: cfg.windowMs },
        })
      }
      i = last + 1
    }
  }
  return out
}

/**
 * A counter's index over the last `windowMs` (ratings in (now − window, now]).
 * `since` is the newest rating in the window: the one that brought the index
 * down, the same for every hub instance evaluating the same data.
 */
export function detectLowIndex(
  ratings: readonly RatingFact[],
  now: number,
  cfg: AlertThresholds['lowIndex'],
): AlertCondition[] {
  const out: AlertCondition[] = []
  for (const [subject, list] of byCounter(ratings, (r) => r.t > now - cfg.windowMs && r.t <= now)) {
    const index = list.reduce((sum, r) => sum + r.score, 0) / list.length
    const raise = list.length >= cfg.minRatings && index < cfg.below
    if (!raise && index >= cfg.below + cfg.clearMargin) continue
    out.push({
      kind: 'low_index',
      site: list[0]!.site,
      subject,
      since: Math.max(...list.map((r) => r.t)),
      raise,
      details: { index, ratings: list.length, below: cfg.below, windowMs: cfg.windowMs },
    })
  }
  return out
}

export function detectCameraProblems(
  cameras: readonly CameraHealth[],
  now: number,
  cfg: AlertThresholds['camera'],
): AlertCondition[] {
  const out: AlertCondition[] = []
  for (const c of cameras) {
    const subject = `${c.site}/${c.camera}`
    if (c.offlineSince !== null) {
      // A camera rebooting or a short Wi-Fi drop is not worth a supervisor's attention.
      const raise = now - c.offlineSince >= cfg.offlineAfterMs
      out.push({ kind: 'camera_offline', site: c.site, subject, since: c.offlineSince, raise, details: { offlineSince: c.offlineSince } })
    }
    if (c.tamperedSince !== null) {
      out.push({ kind: 'camera_tampered', site: c.site, subject, since: c.tamperedSince, raise: true, details: { tamperedSince: c.tamperedSince } })
    }
  }
  return out
}

export function detectEdgeProblems(edges: readonly EdgeHealth[], now: number, cfg: AlertThresholds['edge']): AlertCondition[] {
  const out: AlertCondition[] = []
  for (const e of edges) {
    if (e.lastSeenAt !== null && now - e.lastSeenAt > cfg.silentAfterMs) {
      out.push({
        kind: 'edge_silent',
        site: e.site,
        subject: e.site,
        since: e.lastSeenAt,
        raise: true,
        details: { lastSeenAt: e.lastSeenAt, silentS: Math.floor((now - e.lastSeenAt) / 1000) },
      })
    }
    if (e.outboxOldestAgeS !== null && e.healthAt !== null && e.outboxOldestAgeS > cfg.backlogAfterS) {
      out.push({
        kind: 'edge_backlog',
        site: e.site,
        subject: e.site,
        // Whole seconds: the age is reported as a float and successive reports must agree.
        since: Math.floor((e.healthAt - e.outboxOldestAgeS * 1000) / 1000) * 1000,
        raise: true,
        details: { outboxOldestAgeS: e.outboxOldestAgeS, healthAt: e.healthAt },
      })
    }
  }
  return out
}
