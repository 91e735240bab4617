/**
 * The supervisor page: a grid of the site's cameras, each with live video,
 * a health badge and the latest snapshot. Camera states are polled from the
 * edge every two seconds; video comes over one WebSocket per camera.
 */
import { isLang, other, t, type Lang, type TextKey } from '../i18n.js'
import { LivePlayer, type PlayerStatus } from '../../../common/live/browser/player.js'

interface CameraView {
  id: string
  name: string
  counter: string | null
  state: string
  detail: string
  motion: boolean
  tamper: boolean
  latestSnapshot: string | null
}

interface Tile {
  root: HTMLElement
  badge: HTMLElement
  tamper: HTMLElement
  motion: HTMLElement
  overlay: HTMLElement
  snapshot: HTMLImageElement
  player: LivePlayer
  status: PlayerStatus
  view: CameraView
}

const BASE = '/supervisor'
const stored = localStorage.getItem('motcua.lang')
let lang: Lang = isLang(stored) ? stored : isLang(document.documentElement.lang) ? document.documentElement.lang : 'vi'
const tiles = new Map<string, Tile>()

function el<K extends keyof HTMLElementTagNameMap>(tag: K, cls?: string, text?: string): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag)
  if (cls) e.className = cls
  if (text !== undefined) e.textContent = text
  return e
}

function applyTexts(): void {
  document.documentElement.lang = lang
  document.querySelectorAll<HTMLElement>('[data-t]').forEach((n) => (n.textContent = t(n.dataset.t as TextKey, lang)))
  for (const tile of tiles.values()) renderTile(tile)
}

function wsUrl(camera: string): string {
  const proto = location.protocol === 'https:' ? 'wss:' : 'ws:'
  return `${proto}//${location.host}${BASE}/live/${encodeURIComponent(camera)}`
}

function makeTile(view: CameraView): Tile {
  const root = el('section', 'tile')
  root.dataset.camera = view.id
  const head = el('header')
  const title = el('h2', undefined, view.name)
  const badge = el('span', 'badge')
  const tamper = el('span', 'badge warn')
  const motion = el('span', 'badge info')
  head.append(title, badge, tamper, motion)
  const stage = el('div', 'stage')
  const video = el('video')
  video.muted = true
  video.autoplay = true
  video.playsInline = true
  const overlay = el('div', 'overlay')
  stage.append(video, overlay)
  const foot = el('footer')
  const snapLabel = el('span', 'snap-label')
  snapLabel.dataset.t = 'lastSnapshot'
  const snapshot = el('img', 'snap')
  snapshot.alt = ''
  const shoot = el('button', 'shoot')
  shoot.dataset.t = 'takeSnapshot'
  shoot.onclick = () => void fetch(`${BASE}/api/cameras/${encodeURIComponent(view.id)}/snapshot`, { method: 'POST' }).then(refresh)
  foot.append(snapLabel, snapshot, shoot)
  root.append(head, stage, foot)
  const tile: Tile = { root, badge, tamper, motion, overlay, snapshot, status: 'connecting', view, player: null as unknown as LivePlayer }
  tile.player = new LivePlayer(video, wsUrl(view.id), (s) => {
    tile.status = s
    renderTile(tile)
  })
  return tile
}

function renderTile(tile: Tile): void {
  const v = tile.view
  const state = (['online', 'offline', 'no_stream', 'auth_failed', 'clock_skew'].includes(v.state) ? v.state : 'unknown') as TextKey
  tile.badge.textContent = t(state, lang)
  tile.badge.className = `badge state-${state}`
  tile.badge.title = v.detail
  tile.tamper.textContent = t('tamper', lang)
  tile.tamper.hidden = !v.tamper
  tile.motion.textContent = t('motion', lang)
  tile.motion.hidden = !v.motion
  tile.root.dataset.state = v.state
  tile.root.dataset.player = tile.status
  const overlayText: Record<PlayerStatus, string> = {
    connecting: t('connecting', lang), playing: '', reconnecting: t('reconnecting', lang), unsupported: t('unsupported', lang),
  }
  tile.overlay.textContent = overlayText[tile.status]
  tile.overlay.hidden = tile.status === 'playing'
  const src = v.latestSnapshot ? `${BASE}/snapshots/${encodeURIComponent(v.latestSnapshot)}` : ''
  if (src && tile.snapshot.getAttribute('src') !== src) tile.snapshot.src = src
  tile.snapshot.hidden = !src
  ;(tile.root.querySelector('.snap-label') as HTMLElement).hidden = !src
  tile.root.querySelectorAll<HTMLElement>('[data-t]').forEach((n) => (n.textContent = t(n.dataset.t as TextKey, lang)))
}

async function refresh(): Promise<void> {
  const res = await fetch(`${BASE}/api/cameras`, { cache: 'no-store' })
  if (res.status === 401) {
    location.href = `${BASE}/`
    return
  }
  const { cameras } = (await res.json()) as { cameras: CameraView[] }
  const grid = document.getElementById('grid') as HTMLElement
  const empty = document.getElementById('empty') as HTMLElement
  empty.hidden = cameras.length > 0
  for (const view of cameras) {
    let tile = tiles.get(view.id)
    if (!tile) {
      tile = makeTile(view)
      tiles.set(view.id, tile)
      grid.append(tile.root)
    }
    tile.view = view
    renderTile(tile)
  }
}

function main(): void {
  const toggle = document.getElementById('lang') as HTMLButtonElement
  toggle.onclick = () => {
    lang = other(lang)
    localStorage.setItem('motcua.lang', lang)
    applyTexts()
  }
  applyTexts()
  void refresh()
  window.setInterval(() => void refresh().catch(() => undefined), 2000)
}

main()
