/**
 * The recordings view (issue 17): per camera a day's time bar (recorded
 * spans, kept clips), a minute of video around any moment clicked or around
 * a rating (jumpTo, from the latest-ratings feed), seek within it, the next
 * and previous minute, export as MP4 with its sidecar JSON (the hub's
 * SHA-256 of the file), and the camera's snapshots. Every clip and picture
 * needs the reason typed in, which the hub puts on the audit log with it.
 * The clip is fetched whole into a blob (the page's CSP lets media come only
 * from blobs), so seeking within it never goes back to the site.
 */
import { TEXT, type TextKey } from '../i18n.js'
import { el, getJson, state, timeText, tr } from './dom.js'

interface Cam { site: string; siteName: string; id: string; name: string; counter: string | null; edgeConnected: boolean }
interface Span { from: number; to: number; kind: string }
interface Kept { id: string; from: number; to: number; reason: string }
interface Snapshot { name: string; camera: string; at: number; reason: string }

/** Around a rating: the half minute before (the service) and after (the reaction). */
export const AROUND_MS = 30_000
/** Vietnam has one time zone and no daylight saving: a day starts at 17:00 UTC the day before. */
const TZ_OFFSET_MS = 7 * 3_600_000
const DAY_MS = 86_400_000

let cams: Cam[] = []
let cam: Cam | null = null
let day = 0
let clip: { from: number; to: number } | null = null
let blobUrl: string | null = null
let started = false
let allowed = false
const ui = {} as {
  camera: HTMLSelectElement; day: HTMLInputElement; reason: HTMLInputElement; bar: HTMLElement; kept: HTMLElement
  video: HTMLVideoElement; status: HTMLElement; snapshots: HTMLElement; picture: HTMLImageElement; range: HTMLElement
}

const root = () => document.getElementById('recordings') as HTMLElement
const dayOf = (ms: number) => Math.floor((ms + TZ_OFFSET_MS) / DAY_MS) * DAY_MS - TZ_OFFSET_MS
const dayText = (start: number) => new Date(start + TZ_OFFSET_MS).toISOString().slice(0, 10)
const reason = () => ui.reason.value.trim()
const enc = encodeURIComponent
const word = (key: string, otherwise: string) => (key in TEXT ? tr(key as TextKey) : otherwise)

function say(key: TextKey | null, extra = ''): void {
  ui.status.textContent = key ? `${tr(key)}${extra}` : extra
  ui.status.dataset.key = key ?? ''
}

/** The code of a hub error answer, worded if the view knows it. */
async function sayError(res: Response): Promise<void> {
  const code = ((await res.json().catch(() => null)) as { error?: { code?: string } } | null)?.error?.code ?? ''
  say(null, word(`err_${code}`, code))
  ui.status.dataset.code = code
}

/** Set once from the person's role: whether ratings offer a jump to their video. */
export function allowRecordings(may: boolean): void {
  allowed = may
}

export const mayJump = () => allowed

export function startRecordings(may: boolean): void {
  if (!may) return void root().replaceChildren(el('p', 'notice', tr('recNoRole')))
  if (started) return
  started = true
  build()
  state.rerender.push(() => {
    root().replaceChildren()
    build()
    renderCams()
    void loadDay()
  })
  void loadCams()
}

function build(): void {
  const bar = el('div', 'toolbar')
  bar.style.flexWrap = 'wrap'
  ui.camera = el('select')
  ui.camera.id = 'rec-camera'
  ui.camera.onchange = () => {
    cam = cams.find((c) => `${c.site}/${c.id}` === ui.camera.value) ?? null
    void loadDay()
  }
  ui.day = el('input')
  ui.day.type = 'date'
  ui.day.id = 'rec-day'
  ui.day.onchange = () => {
    day = Date.parse(`${ui.day.value}T00:00:00+07:00`) || day
    void loadDay()
  }
  ui.reason = el('input')
  ui.reason.id = 'rec-reason'
  ui.reason.placeholder = tr('recReason')
  ui.reason.maxLength = 300
  ui.reason.style.cssText = 'flex:1;min-width:260px;padding:6px;border-radius:6px;border:1px solid #4a5a6e;background:#0f1620;color:inherit;font:inherit'
  bar.append(el('span', 'muted', tr('recCamera')), ui.camera, el('span', 'muted', tr('recDay')), ui.day, ui.reason)
  ui.bar = el('div')
  ui.bar.id = 'rec-bar'
  ui.bar.style.cssText = 'position:relative;height:34px;background:#243244;border-radius:6px;cursor:pointer;margin:6px 0'
  ui.bar.onclick = (e) => {
    const r = ui.bar.getBoundingClientRect()
    const at = day + Math.round(((e.clientX - r.left) / r.width) * DAY_MS)
    play(at - AROUND_MS, at + AROUND_MS)
  }
  ui.kept = el('ul', 'feed')
  ui.kept.id = 'rec-kept'
  const stage = el('div', 'stage')
  stage.style.maxWidth = '960px'
  ui.video = el('video')
  ui.video.id = 'rec-video'
  ui.video.controls = true
  ui.video.muted = true
  ui.video.playsInline = true
  ui.video.onloadeddata = () => {
    ui.video.dataset.state = 'playing'
    say(null, '')
  }
  stage.append(ui.video)
  ui.range = el('div', 'muted')
  ui.range.id = 'rec-range'
  const moves = el('div', 'toolbar')
  const earlier = el('button', 'ghost', tr('recEarlier'))
  earlier.onclick = () => clip && play(clip.from - 60_000, clip.from)
  const later = el('button', 'ghost', tr('recLater'))
  later.onclick = () => clip && play(clip.to, clip.to + 60_000)
  const exp = el('button', undefined, tr('recExport'))
  exp.id = 'rec-export'
  exp.onclick = () => void exportClip()
  moves.append(earlier, later, exp)
  ui.status = el('p', 'muted')
  ui.status.id = 'rec-status'
  ui.status.setAttribute('role', 'status')
  ui.snapshots = el('ul', 'feed')
  ui.snapshots.id = 'rec-snapshots'
  ui.picture = el('img')
  ui.picture.id = 'rec-picture'
  ui.picture.style.maxWidth = '480px'
  ui.picture.hidden = true
  const left = el('div', 'panel')
  left.append(el('h2', undefined, tr('recKept')), ui.kept)
  const right = el('div', 'panel')
  right.append(el('h2', undefined, tr('recSnapshots')), ui.snapshots, ui.picture)
  const panels = el('div', 'panels')
  panels.append(left, right)
  root().replaceChildren(bar, el('p', 'muted', tr('recTimelineHint')), ui.bar, ui.range, ui.status, stage, moves, panels)
}

async function loadCams(): Promise<void> {
  cams = (await getJson<{ cameras: Cam[] }>('/console/api/cameras'))?.cameras ?? []
  cam ??= cams[0] ?? null
  day ||= dayOf(Date.now())
  renderCams()
  await loadDay()
}

function renderCams(): void {
  ui.camera.replaceChildren(...cams.map((c) => {
    const o = el('option', undefined, `${c.siteName} · ${c.name}`)
    o.value = `${c.site}/${c.id}`
    return o
  }))
  if (cam) ui.camera.value = `${cam.site}/${cam.id}`
  ui.day.value = dayText(day)
}

/** The day's spans and kept clips on the bar, and the camera's snapshots. */
async function loadDay(): Promise<void> {
  if (!cam) return
  const c = cam
  const base = `/console/api/recordings/${enc(c.site)}`
  const [tl, snaps] = await Promise.all([
    fetch(`${base}/cameras/${enc(c.id)}/timeline?from=${day}&to=${day + DAY_MS}`, { cache: 'no-store' }),
    getJson<{ snapshots: Snapshot[] }>(`${base}/snapshots?camera=${enc(c.id)}`),
  ])
  if (cam !== c) return
  if (!tl.ok) await sayError(tl)
  const data = tl.ok ? ((await tl.json()) as { spans: Span[]; clips: Kept[] }) : { spans: [], clips: [] }
  const block = (from: number, to: number, colour: string, top: number, h: number) => {
    const b = el('i')
    const l = Math.max(0, (from - day) / DAY_MS)
    b.style.cssText = `position:absolute;top:${top}px;height:${h}px;left:${l * 100}%;width:${Math.max(0.1, (Math.min(day + DAY_MS, to) - Math.max(day, from)) / DAY_MS * 100)}%;background:${colour}`
    return b
  }
  ui.bar.replaceChildren(...data.spans.map((s) => block(s.from, s.to, '#4f86c6', 4, 26)), ...data.clips.map((k) => block(k.from, k.to, '#e0902f', 0, 34)))
  ui.bar.dataset.spans = String(data.spans.length)
  ui.kept.replaceChildren(...data.clips.map((k) => {
    const li = el('li')
    const b = el('button', 'ghost', tr('recPlay'))
    b.onclick = () => play(k.from, Math.min(k.to, k.from + 10 * 60_000))
    li.append(el('span', 'when muted', timeText(k.from)), el('span', 'what', word(`reason_${k.reason}`, k.reason)), b)
    return li
  }))
  if (data.clips.length === 0) ui.kept.append(el('li', 'muted', tl.ok && data.spans.length === 0 ? tr('recNothing') : '–'))
  const list = snaps?.snapshots ?? []
  ui.snapshots.replaceChildren(...list.slice(0, 50).map((s) => {
    const li = el('li')
    li.dataset.name = s.name
    const b = el('button', 'ghost', tr('recShowSnapshot'))
    b.onclick = () => showSnapshot(c, s.name)
    li.append(el('span', 'when muted', timeText(s.at)), el('span', 'what', s.reason), b)
    return li
  }))
  if (list.length === 0) ui.snapshots.append(el('li', 'muted', tr('recNoSnapshots')))
}

function needReason(): boolean {
  if (reason().length >= 5) return false
  say('recReasonMissing')
  ui.reason.focus()
  return true
}

const clipUrl = (c: Cam, from: number, to: number, download: boolean) =>
  `/console/recordings/${enc(c.site)}/cameras/${enc(c.id)}/clip.mp4?from=${from}&to=${to}&reason=${enc(reason())}${download ? '&download=1' : ''}`

function play(from: number, to: number): void {
  clip = { from, to }
  if (!cam || needReason()) return
  const c = cam
  ui.range.textContent = `${timeText(from)} – ${timeText(to)}`
  ui.video.dataset.state = 'loading'
  ui.video.dataset.clickedAt = String(performance.now())
  say('recLoading')
  void (async () => {
    const res = await fetch(clipUrl(c, from, to, false), { cache: 'no-store' })
    if (!res.ok) {
      ui.video.dataset.state = 'failed'
      return sayError(res)
    }
    const blob = await res.blob()
    if (blobUrl) URL.revokeObjectURL(blobUrl)
    blobUrl = URL.createObjectURL(blob)
    ui.video.src = blobUrl
    void ui.video.play().catch(() => undefined)
  })()
}

async function exportClip(): Promise<void> {
  if (!cam || !clip || needReason()) return
  const res = await fetch(clipUrl(cam, clip.from, clip.to, true), { cache: 'no-store' })
  if (!res.ok) return sayError(res)
  const file = /filename="([^"]+)"/.exec(res.headers.get('content-disposition') ?? '')?.[1] ?? 'clip.mp4'
  const mp4 = await res.blob()
  // The hub kept the file's SHA-256 as it streamed; asked for once the last byte is here. Another hub instance
  // reads it from the audit log, whose entry may still be on its way: asked again a few times.
  const sidecarUrl = `/console/api/recording-exports/${enc(res.headers.get('x-motcua-clip') ?? '')}`
  let side = await fetch(sidecarUrl, { cache: 'no-store' })
  for (let tries = 0; side.status === 404 && tries < 3; tries++) {
    await new Promise((r) => setTimeout(r, 1000))
    side = await fetch(sidecarUrl, { cache: 'no-store' })
  }
  if (!side.ok) return sayError(side)
  const sidecar = new Blob([JSON.stringify(await side.json(), null, 2)], { type: 'application/json' })
  for (const [blob, name] of [[mp4, file], [sidecar, `${file}.json`]] as const) {
    const a = el('a')
    a.href = URL.createObjectURL(blob)
    a.download = name
    document.body.append(a)
    a.click()
    a.remove()
  }
  say('recExported')
}

function showSnapshot(c: Cam, name: string): void {
  if (needReason()) return
  ui.picture.hidden = false
  ui.picture.onerror = () => say('err_HUB_RECORDING_NOT_FOUND')
  ui.picture.src = `/console/recordings/${enc(c.site)}/snapshots/${enc(name)}?reason=${enc(reason())}`
}

/** From a rating: the camera of its counter, its day, and the minute around it (played at once when a reason is there). */
export async function jumpTo(site: string, counter: string, at: number): Promise<void> {
  if (!started) return
  if (cams.length === 0) await loadCams()
  const r = await getJson<{ camera: string | null }>(`/console/api/recordings/${enc(site)}/counters/${enc(counter)}`)
  const found = r?.camera ? cams.find((c) => c.site === site && c.id === r.camera) : undefined
  if (!found) return say('recNoCamera')
  cam = found
  day = dayOf(at)
  renderCams()
  play(at - AROUND_MS, at + AROUND_MS)
  await loadDay()
}
