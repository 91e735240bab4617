import { describe, expect, it } from 'vitest'
import { MotcuaError } from '../../../common/errors.js'
import { cameraHealth } from '../../../hub/kpi/alerts/camera.js'
import { detectCameraProblems, detectDissatisfiedRuns, detectLowIndex } from '../../../hub/kpi/alerts/detect.js'
import { acknowledgeAlert, evaluateAlerts, reconcileAlerts, type AlertSnapshot } from '../../../hub/kpi/alerts/state.js'
import { DEFAULT_ALERT_THRESHOLDS as T, EMPTY_ALERT_STATE, type AlertState } from '../../../hub/kpi/alerts/types.js'
import { MIN, rating, vn } from './fixtures.js'

const snap = (s: Partial<AlertSnapshot>): AlertSnapshot => ({ ratings: [], cameras: [], edges: [], ...s })
const bad = (local: string, counter = 'q01') => rating(local, 4, { counter })
const good = (local: string, counter = 'q01') => rating(local, 1, { counter })
const codeOf = (fn: () => unknown) => {
  try {
    fn()
  } catch (e) {
    return e instanceof MotcuaError ? e.code : String(e)
  }
  return 'no error'
}

describe('dissatisfied run at one counter (default 3 within 15 minutes)', () => {
  it('raises once for three within the window, with a satisfied rating in between', () => {
    const ratings = [bad('2026-11-21T09:00'), good('2026-11-21T09:03'), bad('2026-11-21T09:05'), bad('2026-11-21T09:14')]
    const { state, raised } = evaluateAlerts(EMPTY_ALERT_STATE, snap({ ratings }), vn('2026-11-21T09:14'))
    expect(raised).toHaveLength(1)
    expect(raised[0]).toMatchObject({
      id: `dissatisfied_run:ct-center/q01:${vn('2026-11-21T09:00')}`,
      kind: 'dissatisfied_run',
      site: 'ct-center',
      subject: 'ct-center/q01',
      title: { vi: 'Nhiều đánh giá không hài lòng liên tiếp tại quầy', en: 'Run of dissatisfied ratings at a counter' },
      details: { count: 3, firstAt: vn('2026-11-21T09:00'), lastAt: vn('2026-11-21T09:14') },
      clearedAt: null,
      ack: null,
    })
    expect(state.alerts).toHaveLength(1)
  })

  it('does not raise for three spread over 16 minutes, for misuse presses, or across two counters', () => {
    const now = vn('2026-11-21T09:16')
    const spread = [bad('2026-11-21T09:00'), bad('2026-11-21T09:08'), bad('2026-11-21T09:16')]
    expect(detectDissatisfiedRuns(spread, now, T.run)).toEqual([])
    const misuse = [0, 1, 2].map((i) => rating(vn('2026-11-21T09:10') + i * 1000, 4, { misuse: 'rapid' }))
    expect(detectDissatisfiedRuns(misuse, now, T.run)).toEqual([])
    const split = [bad('2026-11-21T09:10', 'q01'), bad('2026-11-21T09:11', 'q02'), bad('2026-11-21T09:12', 'q01')]
    expect(detectDissatisfiedRuns(split, now, T.run)).toEqual([])
  })

  it('a fourth rating continues the same alert; quiet for the window clears it; a later run is a new alert', () => {
    let ratings = [bad('2026-11-21T09:00'), bad('2026-11-21T09:05'), bad('2026-11-21T09:14')]
    let r = evaluateAlerts(EMPTY_ALERT_STATE, snap({ ratings }), vn('2026-11-21T09:14'))
    const first = r.raised[0]!.id
    ratings = [...ratings, bad('2026-11-21T09:20')]
    r = evaluateAlerts(r.state, snap({ ratings }), vn('2026-11-21T09:20'))
    expect(r.raised).toEqual([])
    expect(r.state.alerts).toHaveLength(1)
    expect(r.state.alerts[0]).toMatchObject({ id: first, details: { count: 4 }, seenAt: vn('2026-11-21T09:20') })
    r = evaluateAlerts(r.state, snap({ ratings }), vn('2026-11-21T09:35'))
    expect(r.cleared).toEqual([]) // 15 minutes since the last one: still current
    r = evaluateAlerts(r.state, snap({ ratings }), vn('2026-11-21T09:35:01'))
    expect(r.cleared.map((a) => a.id)).toEqual([first])
    ratings = [...ratings, bad('2026-11-21T10:00'), bad('2026-11-21T10:01'), bad('2026-11-21T10:02')]
    r = evaluateAlerts(r.state, snap({ ratings }), vn('2026-11-21T10:02'))
    // Six poor ratings within the hour also bring the counter's index down.
    expect(r.raised.map((a) => a.id)).toEqual([
      `dissatisfied_run:ct-center/q01:${vn('2026-11-21T10:00')}`,
      `low_index:ct-center/q01:${vn('2026-11-21T10:02')}`,
    ])
    expect(r.state.alerts.map((a) => [a.kind, a.clearedAt === null])).toEqual([
      ['dissatisfied_run', false],
      ['dissatisfied_run', true],
      ['low_index', true],
    ])
  })

  it('two hub instances evaluating the same data at different moments derive the same id', () => {
    const ratings = [bad('2026-11-21T09:00'), bad('2026-11-21T09:05'), bad('2026-11-21T09:14')]
    const a = evaluateAlerts(EMPTY_ALERT_STATE, snap({ ratings }), vn('2026-11-21T09:14'))
    const b = evaluateAlerts(EMPTY_ALERT_STATE, snap({ ratings }), vn('2026-11-21T09:20'))
    expect(a.raised[0]!.id).toBe(b.raised[0]!.id)
  })
})

describe('counter index below a threshold (default < 60 over 60 minutes, at least 5 ratings)', () => {
  const now = vn('2026-11-21T10:00')
  const fiveBad = ['09:10', '09:20', '09:30', '09:40', '09:50'].map((m) => rating(`2026-11-21T${m}`, 3)) // score 33.3, neutral

  it('one or four poor ratings do not raise; the fifth does', () => {
    expect(evaluateAlerts(EMPTY_ALERT_STATE, snap({ ratings: fiveBad.slice(0, 1) }), now).raised).toEqual([])
    expect(evaluateAlerts(EMPTY_ALERT_STATE, snap({ ratings: fiveBad.slice(0, 4) }), now).raised).toEqual([])
    const r = evaluateAlerts(EMPTY_ALERT_STATE, snap({ ratings: fiveBad }), now)
    expect(r.raised).toHaveLength(1)
    expect(r.raised[0]).toMatchObject({ kind: 'low_index', since: vn('2026-11-21T09:50'), details: { ratings: 5, below: 60 } })
    expect(r.raised[0]!.details.index).toBeCloseTo(33.3, 10)
  })

  it('holds in the margin above the threshold and clears at threshold + margin', () => {
    const r0 = evaluateAlerts(EMPTY_ALERT_STATE, snap({ ratings: fiveBad }), now)
    const goods = (n: number) => Array.from({ length: n }, (_, i) => rating(vn('2026-11-21T09:51') + i * 1000, 1))
    // 5 × 33.3 + 4 × 100 = 566.5 / 9 = 62.9: inside the margin, the alert stays open.
    let r = evaluateAlerts(r0.state, snap({ ratings: [...fiveBad, ...goods(4)] }), now)
    expect([r.raised.length, r.cleared.length, r.state.alerts[0]!.clearedAt]).toEqual([0, 0, null])
    // Without an open alert the same 62.9 raises nothing.
    expect(evaluateAlerts(EMPTY_ALERT_STATE, snap({ ratings: [...fiveBad, ...goods(4)] }), now).state.alerts).toEqual([])
    // 5 × 33.3 + 5 × 100 = 666.5 / 10 = 66.65 ≥ 65: cleared.
    r = evaluateAlerts(r.state, snap({ ratings: [...fiveBad, ...goods(5)] }), now)
    expect(r.cleared).toHaveLength(1)
  })

  it('ratings older than the window do not count', () => {
    expect(detectLowIndex(fiveBad, vn('2026-11-21T10:10'), T.lowIndex)).toEqual([
      expect.objectContaining({ raise: false, details: expect.objectContaining({ ratings: 4 }) }),
    ])
    expect(detectLowIndex(fiveBad, vn('2026-11-21T11:00'), T.lowIndex)).toEqual([])
  })
})

describe('cameras and edges', () => {
  const now = vn('2026-11-21T10:00')

  it('a camera offline for less than 2 minutes is not an alert; longer is; back online clears it', () => {
    const cam = (offlineSince: number | null) => ({ site: 'ct-center', camera: 'cam-01', offlineSince, tamperedSince: null })
    expect(evaluateAlerts(EMPTY_ALERT_STATE, snap({ cameras: [cam(now - MIN)] }), now).raised).toEqual([])
    const r = evaluateAlerts(EMPTY_ALERT_STATE, snap({ cameras: [cam(now - 2 * MIN)] }), now)
    expect(r.raised.map((a) => [a.id, a.title.vi])).toEqual([[`camera_offline:ct-center/cam-01:${now - 2 * MIN}`, 'Camera mất kết nối']])
    expect(evaluateAlerts(r.state, snap({ cameras: [cam(null)] }), now + MIN).cleared).toHaveLength(1)
  })

  it('tampering raises at once', () => {
    const c = detectCameraProblems([{ site: 'ct-center', camera: 'cam-02', offlineSince: null, tamperedSince: now }], now, T.camera)
    expect(c).toEqual([expect.objectContaining({ kind: 'camera_tampered', subject: 'ct-center/cam-02', raise: true })])
  })

  it('an edge silent for more than 10 minutes, and one whose oldest unsent record is over 15 minutes old', () => {
    const edges = [
      { site: 'ct-center', lastSeenAt: now - 9 * MIN, outboxOldestAgeS: 60, healthAt: now - 9 * MIN },
      { site: 'ct-ninh-kieu', lastSeenAt: now - 11 * MIN, outboxOldestAgeS: 0, healthAt: now - 11 * MIN },
      { site: 'ct-cai-rang', lastSeenAt: now - 5_000, outboxOldestAgeS: 1000.4, healthAt: now - 5_000 },
      { site: 'ct-o-mon', lastSeenAt: null, outboxOldestAgeS: null, healthAt: null },
    ]
    const r = evaluateAlerts(EMPTY_ALERT_STATE, snap({ edges }), now)
    expect(r.raised.map((a) => [a.kind, a.subject, a.since])).toEqual([
      ['edge_silent', 'ct-ninh-kieu', now - 11 * MIN],
      // (now − 5 s − 1000.4 s), floored to the second.
      ['edge_backlog', 'ct-cai-rang', Math.floor((now - 5_000 - 1_000_400) / 1000) * 1000],
    ])
  })
})

describe('acknowledgement and alert life cycle', () => {
  const now = vn('2026-11-21T10:00')
  const offline = snap({ cameras: [{ site: 'ct-center', camera: 'cam-01', offlineSince: now - 5 * MIN, tamperedSince: null }] })
  const raisedState = (): AlertState => evaluateAlerts(EMPTY_ALERT_STATE, offline, now).state

  it('records who acknowledged, when and why; an acknowledged alert is not raised again', () => {
    const s0 = raisedState()
    const id = s0.alerts[0]!.id
    const s1 = acknowledgeAlert(s0, id, { by: 'gs-nguyen-van-a', comment: '  Đã báo IT kiểm tra nguồn camera  ' }, now + MIN)
    expect(s1.alerts[0]!.ack).toEqual({ by: 'gs-nguyen-van-a', at: now + MIN, comment: 'Đã báo IT kiểm tra nguồn camera' })
    expect(s0.alerts[0]!.ack).toBeNull() // the input state is not changed
    const r = evaluateAlerts(s1, offline, now + 2 * MIN)
    expect(r.raised).toEqual([])
    expect(r.state.alerts).toHaveLength(1)
    expect(r.state.alerts[0]!.ack?.by).toBe('gs-nguyen-van-a')
  })

  it('refuses unknown ids, empty or overlong comments, anonymous and repeated acknowledgements', () => {
    const s0 = raisedState()
    const id = s0.alerts[0]!.id
    expect(codeOf(() => acknowledgeAlert(s0, 'nope', { by: 'a', comment: 'x' }, now))).toBe('HUB_ALERT_NOT_FOUND')
    expect(codeOf(() => acknowledgeAlert(s0, id, { by: 'a', comment: '   ' }, now))).toBe('HUB_ALERT_ACK_INVALID')
    expect(codeOf(() => acknowledgeAlert(s0, id, { by: 'a', comment: 'x'.repeat(1001) }, now))).toBe('HUB_ALERT_ACK_INVALID')
    expect(codeOf(() => acknowledgeAlert(s0, id, { by: ' ', comment: 'ok' }, now))).toBe('HUB_ALERT_ACK_INVALID')
    const s1 = acknowledgeAlert(s0, id, { by: 'a', comment: 'ok' }, now)
    expect(codeOf(() => acknowledgeAlert(s1, id, { by: 'b', comment: 'again' }, now))).toBe('HUB_ALERT_ACK_INVALID')
  })

  it('cleared alerts stay listed until acknowledged, then for the retention time', () => {
    const s0 = raisedState()
    const id = s0.alerts[0]!.id
    const back = snap({})
    const cleared = evaluateAlerts(s0, back, now + MIN).state
    expect(cleared.alerts[0]!.clearedAt).toBe(now + MIN)
    // Not acknowledged: kept however long ago it cleared.
    expect(evaluateAlerts(cleared, back, now + 30 * 24 * 60 * MIN).state.alerts).toHaveLength(1)
    const acked = acknowledgeAlert(cleared, id, { by: 'a', comment: 'camera thay nguồn' }, now + 2 * MIN)
    expect(evaluateAlerts(acked, back, now + 2 * MIN + T.retainMs).state.alerts).toHaveLength(1)
    expect(evaluateAlerts(acked, back, now + 2 * MIN + T.retainMs + 1).state.alerts).toEqual([])
  })

  it('the same condition reported twice in one evaluation raises one alert', () => {
    const cam = { site: 'ct-center', camera: 'cam-01', offlineSince: now - 5 * MIN, tamperedSince: null }
    const r = evaluateAlerts(EMPTY_ALERT_STATE, snap({ cameras: [cam, { ...cam, offlineSince: now - 4 * MIN }] }), now)
    expect(r.raised.map((a) => a.since)).toEqual([now - 5 * MIN])
    expect(r.state.alerts).toHaveLength(1)
  })

  it('evaluating only some kinds leaves the other kinds alone', () => {
    const s0 = raisedState()
    const r = reconcileAlerts(s0, [], now + MIN, { kinds: ['edge_silent', 'edge_backlog'] })
    expect(r.cleared).toEqual([])
    expect(r.state.alerts[0]!.clearedAt).toBeNull()
  })
})

describe('camera health from its records', () => {
  const status = (local: string, state: 'online' | 'offline' | 'no_stream' | 'auth_failed' | 'clock_skew') =>
    ({ kind: 'camera_status', t: vn(local), state }) as const
  const tamper = (local: string, state: boolean) => ({ kind: 'camera_event', t: vn(local), event: 'tamper', state }) as const

  it('an outage runs from its first down state, whatever the reason changes to', () => {
    const h = cameraHealth('ct-center', 'cam-01', [
      status('2026-11-21T09:20', 'auth_failed'),
      status('2026-11-21T08:00', 'online'),
      status('2026-11-21T09:00', 'offline'),
      status('2026-11-21T09:10', 'no_stream'),
    ])
    expect(h).toEqual({ site: 'ct-center', camera: 'cam-01', offlineSince: vn('2026-11-21T09:00'), tamperedSince: null })
  })

  it('online or clock skew ends an outage; tamper off ends tampering; motion is ignored', () => {
    const h = cameraHealth('ct-center', 'cam-01', [
      status('2026-11-21T09:00', 'offline'),
      status('2026-11-21T09:30', 'clock_skew'),
      tamper('2026-11-21T09:40', true),
      tamper('2026-11-21T09:41', true),
      { kind: 'camera_event', t: vn('2026-11-21T09:42'), event: 'motion', state: true },
    ])
    expect(h).toMatchObject({ offlineSince: null, tamperedSince: vn('2026-11-21T09:40') })
    expect(cameraHealth('s', 'c', [tamper('2026-11-21T09:40', true), tamper('2026-11-21T09:50', false)]).tamperedSince).toBeNull()
  })
})
