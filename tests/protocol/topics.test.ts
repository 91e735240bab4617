import { describe, expect, it } from 'vitest'
import { parseTopic, topics } from '../../protocol/topics.js'

describe('topics', () => {
  it('parses what the builders build', () => {
    expect(parseTopic(topics.rating('ct-hq', 'q01'))).toEqual({ kind: 'rating', site: 'ct-hq', counter: 'q01' })
    expect(parseTopic(topics.ticket('ct-hq', 'q01'))).toEqual({ kind: 'ticket', site: 'ct-hq', counter: 'q01' })
    expect(parseTopic(topics.officer('ct-hq', 'q01'))).toEqual({ kind: 'officer', site: 'ct-hq', counter: 'q01' })
    expect(parseTopic(topics.status('ct-hq', 'q01', 'k1'))).toEqual({ kind: 'status', site: 'ct-hq', counter: 'q01', device: 'k1' })
    expect(parseTopic(topics.heartbeat('ct-hq', 'q01', 'k1'))).toEqual({ kind: 'heartbeat', site: 'ct-hq', counter: 'q01', device: 'k1' })
    expect(parseTopic(topics.down('ct-hq', 'q01', 'k1', 'error'))).toEqual({
      kind: 'down', site: 'ct-hq', counter: 'q01', device: 'k1', downlink: 'error',
    })
    expect(parseTopic(topics.edgeStatus('ct-hq'))).toEqual({ kind: 'edge-status', site: 'ct-hq' })
    expect(parseTopic(topics.cameraState('ct-hq', 'cam1'))).toEqual({ kind: 'camera-state', site: 'ct-hq', camera: 'cam1' })
  })

  it.each([
    '',
    'motcua',
    'motcua/v2/ct-hq/q01/rating',
    'other/v1/ct-hq/q01/rating',
    'motcua/v1/CT/q01/rating',
    'motcua/v1/ct-hq/q01/rating/extra',
    'motcua/v1/ct-hq/q01/status',
    'motcua/v1/ct-hq/q01/down/k1/reboot',
    'motcua/v1/ct-hq/edge/rating',
    'motcua/v1/ct-hq/q01/unknown',
    'motcua/v1/ct-hq/-q/rating',
    'motcua/v1/ct-hq//rating',
    'motcua/v1/ct-hq/q01/heartbeat/a/b',
    'motcua/v1/ct-hq/camera/cam1',
    'motcua/v1/ct-hq/camera/cam1/status',
    'motcua/v1/ct-hq/camera/Cam1/state',
  ])('rejects %j', (topic) => {
    expect(parseTopic(topic)).toBeNull()
  })
})
