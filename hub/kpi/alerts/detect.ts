/**
 * Detectors: facts and the time in, conditions out. Misuse-flagged presses
 * (a child hammering one button) never count towards an alert.
 */
import { localDayStart, openingSessions, type DutyInterval, type DutySchedule } from '../duty.js'
import type { RatingFact, TicketFact } from '../facts.js'
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

/**
 * A counter with a kiosk (only there can anyone sign in, so only there is a
 * counter known to be unstaffed) that nobody is signed in at while the site
 * is open (hub/kpi/duty.ts `openingSessions`). Unstaffed since the later of
 * the session's start and the last sign-out there, so the id is the same for
 * every instance; raised once that is `graceMs` ago, so a break or a handover
 * does not alert. Outside opening hours, or once someone signs in, it clears.
 * `intervals` are hub/kpi/duty.ts `dutyIntervals` at `now` (an interval still
 * running ends `open`).
 */
export function detectUnstaffedCounters(
  intervals: readonly DutyInterval[],
  sites: readonly string[],
  schedule: Pick<DutySchedule, 'kioskCounters' | 'hours'>,
  now: number,
  cfg: AlertThresholds['unstaffed'],
): AlertCondition[] {
  // By counter first: a province is 600 sites × 20 counters, and its morning as many intervals.
  const byCounter = new Map<string, DutyInterval[]>()
  for (const iv of intervals) {
    if (iv.from > now) continue
    const key = `${iv.site}\u0000${iv.counter}`
    const list = byCounter.get(key)
    if (list) list.push(iv)
    else byCounter.set(key, [iv])
  }
  const out: AlertCondition[] = []
  for (const site of sites) {
    const session = openingSessions(schedule.hours(site), localDayStart(now)).find(([from, to]) => from <= now && now < to)
    if (!session) continue
    for (const counter of schedule.kioskCounters(site)) {
      const here = byCounter.get(`${site}\u0000${counter}`) ?? []
      if (here.some((iv) => iv.end === 'open')) continue
      const since = Math.max(session[0], ...here.map((iv) => iv.to).filter((to) => to <= now))
      out.push({
        kind: 'counter_unstaffed',
        site,
        subject: `${site}/${counter}`,
        since,
        raise: now - since >= cfg.graceMs,
        details: { unstaffedSince: since, sessionEnd: session[1], graceMin: Math.round(cfg.graceMs / 60_000) },
      })
    }
  }
  return out
}

/** What the overload alert reads of a ticket event (a TicketFact is one). */
export type QueueEvent = Pick<TicketFact, 't' | 'site' | 'ticket' | 'event'>

/**
 * The hall's queue at one site now, from its ticket events: tickets issued
 * today and neither called nor finished yet, left out once older than
 * `abandonAfterMs` (a citizen who left is never called). Raised when the
 * longest wait reaches `waitMs` or the queue `queueLength`; kept open while
 * either is at least `keepRatio` of its threshold. `since` is when the queue
 * first crossed a threshold by the tickets still waiting: the oldest issue
 * plus `waitMs`, or the issue of the `queueLength`-th ticket. Numbers restart
 * every morning, so a ticket is one visit per site and day.
 */
export function detectOverload(tickets: readonly QueueEvent[], now: number, cfg: AlertThresholds['overload']): AlertCondition[] {
  const today = localDayStart(now)
  const visits = new Map<string, { site: string; issuedAt: number | null; moved: boolean }>()
  for (const e of tickets) {
    if (e.t < today || e.t > now) continue
    const key = `${e.site}\u0000${e.ticket}`
    let v = visits.get(key)
    if (!v) visits.set(key, (v = { site: e.site, issuedAt: null, moved: false }))
    if (e.event === 'issued') v.issuedAt = Math.min(v.issuedAt ?? e.t, e.t)
    else v.moved = true
  }
  const waitingBySite = new Map<string, number[]>()
  for (const v of visits.values()) {
    if (v.issuedAt === null || v.moved || now - v.issuedAt > cfg.abandonAfterMs) continue
    const list = waitingBySite.get(v.site)
    if (list) list.push(v.issuedAt)
    else waitingBySite.set(v.site, [v.issuedAt])
  }
  const out: AlertCondition[] = []
  for (const [site, issued] of waitingBySite) {
    issued.sort((a, b) => a - b)
    const longestWaitMs = now - issued[0]!
    const overWait = longestWaitMs >= cfg.waitMs
    const overQueue = issued.length >= cfg.queueLength
    const raise = overWait || overQueue
    if (!raise && longestWaitMs < cfg.waitMs * cfg.keepRatio && issued.length < cfg.queueLength * cfg.keepRatio) continue
    const crossings = [...(overWait ? [issued[0]! + cfg.waitMs] : []), ...(overQueue ? [issued[cfg.queueLength - 1]!] : [])]
    out.push({
      kind: 'overload',
      site,
      subject: site,
      since: crossings.length ? Math.min(...crossings) : issued[0]!,
      raise,
      details: { waiting: issued.length, longestWaitMin: Math.floor(longestWaitMs / 60_000), waitMin: cfg.waitMs / 60_000, queueLength: cfg.queueLength },
    })
  }
  return out
}
