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

function channelWithSources(noMediaMs: number) {
  const sources: Source[] = []
  const channel = new LiveChannel({
    noMediaMs,
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
