/**
 * The live channel's watchdog (common/live/channel.ts), driven by a source that
 * is told what to do: a stream that hands over nothing and reports nothing is
 * replaced and its viewers told; a source that reports its own failures is
 * left to restart by itself; a closed channel keeps no timer.
 */
import { afterEach, describe, expect, it, vi } from 'vitest'
import { LiveChannel, NO_MEDIA, type Viewer } from '../../../common/live/channel.js'
import type { Fmp4Piece } from '../../../common/live/fmp4.js'
import type { Remuxer, RemuxerStatus } from '../../../common/live/source.js'

interface Source extends Remuxer {
  started: boolean
  stopped: boolean
  piece(p: Fmp4Piece): void
  ended(reason: string): void
}

function channelWithSources(noMediaMs: number, lingerMs = 0, startGraceMs = 0) {
  const sources: Source[] = []
  const channel = new LiveChannel({
    noMediaMs,
    lingerMs,
    startGraceMs,
    makeRemuxer(onPiece, onRunEnded) {
      const s: Source = {
        started: false,
        stopped: false,
        start: () => void (s.started = true),
        stop: async () => void (s.stopped = true),
        status: () => ({ running: s.started && !s.stopped }) as RemuxerStatus,
        piece: onPiece,
        ended: onRunEnded,
      }
      sources.push(s)
      return s
    },
  })
  return { channel, sources }
}

function recordingViewer() {
  const got: string[] = []
  const v: Viewer = {
    init: () => void got.push('init'),
    fragment: () => void got.push('fragment'),
    interrupted: (reason) => void got.push(`interrupted:${reason}`),
    backlog: () => 0,
  }
  return { v, got }
}

const init: Fmp4Piece = { kind: 'init', codec: 'avc1.42c01e', data: Buffer.from('init') }
const key: Fmp4Piece = { kind: 'segment', keyframe: true, data: Buffer.from('key') }

afterEach(() => {
  vi.useRealTimers()
})

describe('live channel watchdog', () => {
  it('replaces a source that delivers nothing, tells the viewers, and counts the heal', async () => {
    vi.useFakeTimers()
    const { channel, sources } = channelWithSources(4000)
    const a = recordingViewer()
    channel.add(a.v)
    await vi.advanceTimersByTimeAsync(0)
    expect(sources).toHaveLength(1)
    expect(sources[0]!.started).toBe(true)
    await vi.advanceTimersByTimeAsync(3900)
    expect(sources).toHaveLength(1)
    await vi.advanceTimersByTimeAsync(1200)
    expect(sources).toHaveLength(2)
    expect(sources[0]!.stopped).toBe(true)
    expect(sources[1]!.started).toBe(true)
    expect(a.got).toEqual([`interrupted:${NO_MEDIA}`])
    expect(channel.counters).toMatchObject({ runs: 2, heals: 1, segments: 0 })
    // The new source delivers: the viewer plays and no further heal comes while media flows.
    sources[1]!.piece(init)
    for (let i = 0; i < 10; i++) {
      sources[1]!.piece(key)
      await vi.advanceTimersByTimeAsync(1000)
    }
    expect(sources).toHaveLength(2)
    expect(a.got.slice(1)).toEqual(['init', ...Array.from({ length: 10 }, () => 'fragment')])
    expect(channel.counters).toMatchObject({ runs: 2, heals: 1, segments: 10, delivered: 10 })
    await channel.remove(a.v)
    expect(sources[1]!.stopped).toBe(true)
  })

  it('leaves a source that reports its own failures to restart by itself', async () => {
    vi.useFakeTimers()
    const { channel, sources } = channelWithSources(4000)
    const a = recordingViewer()
    channel.add(a.v)
    for (let i = 0; i < 5; i++) {
      await vi.advanceTimersByTimeAsync(3000)
      sources[0]!.ended('connection refused')
    }
    expect(sources).toHaveLength(1)
    expect(channel.counters.heals).toBe(0)
    expect(a.got).toEqual(Array.from({ length: 5 }, () => 'interrupted:connection refused'))
    await channel.close()
  })

  it('doubles the silence it allows after each restart in a row, so a slow source is given time', async () => {
    vi.useFakeTimers()
    const { channel, sources } = channelWithSources(1000)
    const a = recordingViewer()
    channel.add(a.v)
    // Windows of 1, 2, 4 and 8 s (the cap), checked every 250 ms: restarts at 1.25, 3.5, 7.75, 16 and 24.25 s.
    const restartsBy = async (ms: number) => {
      await vi.advanceTimersByTimeAsync(ms)
      return sources.length - 1
    }
    expect(await restartsBy(1500)).toBe(1) // t = 1.5 s
    expect(await restartsBy(2500)).toBe(2) // 4 s
    expect(await restartsBy(3500)).toBe(2) // 7.5 s: the 4 s window is not over
    expect(await restartsBy(1000)).toBe(3) // 8.5 s
    expect(await restartsBy(9000)).toBe(4) // 17.5 s
    expect(await restartsBy(8500)).toBe(5) // 26 s: capped at 8 s
    // Media resets the window to 1 s.
    sources.at(-1)!.piece(init)
    sources.at(-1)!.piece(key)
    expect(await restartsBy(1500)).toBe(6)
    await channel.close()
  })

  it('with lingerMs keeps the source for a viewer who comes back, and stops it once nobody did', async () => {
    vi.useFakeTimers()
    const { channel, sources } = channelWithSources(0, 5000)
    const a = recordingViewer()
    channel.add(a.v)
    await vi.advanceTimersByTimeAsync(0)
    sources[0]!.piece(init)
    sources[0]!.piece(key)
    await channel.remove(a.v)
    await vi.advanceTimersByTimeAsync(3000)
    expect(sources[0]!.stopped).toBe(false)
    // Back within the linger: the same source, and the cached init and keyframe at once.
    const b = recordingViewer()
    channel.add(b.v)
    expect(sources).toHaveLength(1)
    expect(b.got).toEqual(['init', 'fragment'])
    await channel.remove(b.v)
    await vi.advanceTimersByTimeAsync(5100)
    expect(sources[0]!.stopped).toBe(true)
  })

  it('gives a cold source its start grace before the first segment, then the short window', async () => {
    vi.useFakeTimers()
    const { channel, sources } = channelWithSources(1000, 0, 5000)
    const a = recordingViewer()
    channel.add(a.v)
    await vi.advanceTimersByTimeAsync(4500)
    expect(sources).toHaveLength(1)
    sources[0]!.piece(init)
    sources[0]!.piece(key)
    // Flowing now: one second of silence is enough to restart it.
    await vi.advanceTimersByTimeAsync(1500)
    expect(sources).toHaveLength(2)
    expect(a.got.at(-1)).toBe(`interrupted:${NO_MEDIA}`)
    await channel.close()
  })

  it('keeps no timer once closed', async () => {
    vi.useFakeTimers()
    const { channel, sources } = channelWithSources(1000)
    const a = recordingViewer()
    channel.add(a.v)
    await channel.remove(a.v)
    expect(vi.getTimerCount()).toBe(0)
    await vi.advanceTimersByTimeAsync(10_000)
    expect(sources).toHaveLength(1)
  })
})
