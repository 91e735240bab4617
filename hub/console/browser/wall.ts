/**
 * The camera wall: every camera the person may watch, grouped by site, each
 * with the edge's connection badge. Video starts on demand (each viewing
 * is on the audit log) through the hub relay, with the edge's own MSE player.
 */
import { LivePlayer, type PlayerStatus } from '../../../common/live/browser/player.js'
import type { TextKey } from '../i18n.js'
import { el, getJson, state, tr } from './dom.js'

interface WallCamera {
  site: string
  siteName: string
  id: string
  name: string
  counter: string | null
  edgeConnected: boolean
  viewers: number
}

interface Tile {
  cam: WallCamera
  root: HTMLElement
  badge: HTMLElement
  overlay: HTMLElement
  button: HTMLButtonElement
  video: HTMLVideoElement
  player: LivePlayer | null
  status: PlayerStatus | 'idle'
  reason: string | undefined
}

const tiles = new Map<string, Tile>()
let timer: number | undefined
// Read before the tabs rewrite the address.
const requested = /camera=([a-z0-9-]+)\/([a-z0-9-]+)/.exec(location.hash)

const root = () => document.getElementById('cameras') as HTMLElement
const keyOf = (c: { site: string; id: string }) => `${c.site}/${c.id}`

export function startWall(video: boolean): void {
  const r = root()
  if (!video) {
    r.replaceChildren(el('p', 'notice', tr('noVideoRole')))
    return
  }
  if (timer !== undefined) return
  r.replaceChildren(el('div', undefined))
  const wall = el('div')
  wall.id = 'wall'
  const empty = el('p', 'muted', tr('noCameras'))
  empty.id = 'wall-empty'
  r.replaceChildren(empty, wall)
  state.rerender.push(() => {
    empty.textContent = tr('noCameras')
    for (const tile of tiles.values()) render(tile)
  })
  void refresh()
  timer = window.setInterval(() => void refresh().catch(() => undefined), 3000)
}

/** Opens a camera given in the address (#cameras&camera=site/id), so a link can point straight at one the person may watch. */
function openRequested(): void {
  if (requested) tiles.get(`${requested[1]}/${requested[2]}`)?.button.click()
}

async function refresh(): Promise<void> {
  const data = await getJson<{ cameras: WallCamera[] }>('/console/api/cameras')
  if (!data) return
  const wall = document.getElementById('wall') as HTMLElement
  ;(document.getElementById('wall-empty') as HTMLElement).hidden = data.cameras.length > 0
  const first = tiles.size === 0
  for (const cam of data.cameras) {
    let tile = tiles.get(keyOf(cam))
    if (!tile) {
      tile = makeTile(cam)
      tiles.set(keyOf(cam), tile)
      wall.append(tile.root)
    }
    tile.cam = cam
    render(tile)
  }
  if (first) openRequested()
}

function makeTile(cam: WallCamera): Tile {
  const root = el('section', 'tile')
  root.dataset.camera = keyOf(cam)
  const head = el('header')
  const title = el('h2', undefined, cam.name)
  title.append(el('div', 'muted', cam.siteName))
  title.lastElementChild?.setAttribute('style', 'font-weight:400;font-size:12px')
  const badge = el('span', 'badge')
  const button = el('button', 'ghost')
  head.append(title, badge, button)
  const stage = el('div', 'stage')
  const video = el('video')
  video.muted = true
  video.autoplay = true
  video.playsInline = true
  const overlay = el('div', 'overlay')
  stage.append(video, overlay)
  root.append(head, stage)
  const tile: Tile = { cam, root, badge, overlay, button, video, player: null, status: 'idle', reason: undefined }
  button.onclick = () => (tile.player ? stop(tile) : watch(tile))
  return tile
}

function watch(tile: Tile): void {
  const proto = location.protocol === 'https:' ? 'wss:' : 'ws:'
  const url = `${proto}//${location.host}/console/live/${encodeURIComponent(tile.cam.site)}/${encodeURIComponent(tile.cam.id)}`
  tile.status = 'connecting'
  tile.player = new LivePlayer(tile.video, url, (s, reason) => {
    tile.status = s
    tile.reason = s === 'playing' ? undefined : (reason ?? tile.reason)
    render(tile)
  })
  render(tile)
}

function stop(tile: Tile): void {
  tile.player?.close()
  tile.player = null
  tile.status = 'idle'
  tile.reason = undefined
  render(tile)
}

function overlayKey(tile: Tile): TextKey | null {
  if (tile.status === 'idle') return 'watch'
  if (tile.status === 'playing') return null
  if (!tile.cam.edgeConnected || tile.reason === 'edge_disconnected') return 'edgeLost'
  if (tile.reason === 'camera_unavailable') return 'cameraUnavailable'
  return tile.status === 'unsupported' ? 'unsupported' : tile.status === 'connecting' ? 'connecting' : 'reconnecting'
}

function render(tile: Tile): void {
  // The stream hears of a lost edge before the next camera-list poll does.
  const up = tile.cam.edgeConnected && tile.reason !== 'edge_disconnected'
  tile.badge.textContent = tr(up ? 'edgeOnline' : 'edgeOffline')
  tile.badge.className = `badge ${up ? 'ok' : 'bad'}`
  tile.button.textContent = tr(tile.player ? 'stopWatch' : 'watch')
  const key = overlayKey(tile)
  tile.overlay.hidden = key === null
  tile.overlay.textContent = key ? tr(key) : ''
  tile.overlay.className = `overlay${key === 'edgeLost' ? ' alert' : ''}`
  tile.root.dataset.player = tile.status
  tile.root.dataset.edge = up ? 'up' : 'down'
  tile.root.dataset.reason = tile.reason ?? ''
}
