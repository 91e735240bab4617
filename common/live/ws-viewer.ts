/**
 * A browser WebSocket as a live viewer, in the framing the browser player
 * (common/live/browser/player.ts) reads: text `{"type":"init","codec":...}`
 * then the binary init segment, binary media segments, and text
 * `{"type":"interrupted","reason":...}` when the stream restarts. The edge's
 * supervisor page and the hub's relay serve their viewers the same way.
 */
import type { WebSocket } from 'ws'
import type { Viewer } from './channel.js'

export function wsViewer(ws: WebSocket): Viewer {
  const send = (data: Buffer | string) => {
    if (ws.readyState === ws.OPEN) ws.send(data)
  }
  return {
    init(codec, data) {
      send(JSON.stringify({ type: 'init', codec }))
      send(data)
    },
    fragment: (data) => send(data),
    interrupted: (reason) => send(JSON.stringify({ type: 'interrupted', reason })),
    backlog: () => ws.bufferedAmount,
  }
}
