/** Shared page state and small DOM helpers for the console's browser code. */
import { isLang, t, type Lang, type TextKey } from '../i18n.js'

const stored = localStorage.getItem('motcua.console.lang')
export const state: { lang: Lang; rerender: (() => void)[] } = {
  lang: isLang(stored) ? stored : isLang(document.documentElement.lang) ? document.documentElement.lang : 'vi',
  rerender: [],
}

export const tr = (key: TextKey) => t(key, state.lang)

export function el<K extends keyof HTMLElementTagNameMap>(tag: K, cls?: string, text?: string): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag)
  if (cls) e.className = cls
  if (text !== undefined) e.textContent = text
  return e
}

let leaving = false

/**
 * Back to the sign-in page, once: several polls see the same 401, and a second
 * navigation would abort the first one mid-flight.
 */
function sessionEnded(): null {
  if (!leaving) {
    leaving = true
    location.href = `/console/?expired=1&lang=${state.lang}`
  }
  return null
}

/** GET JSON from the hub; a 401 means the session ended, so back to the sign-in page. */
export async function getJson<T>(path: string): Promise<T | null> {
  const res = await fetch(path, { cache: 'no-store' })
  if (res.status === 401) return sessionEnded()
  if (!res.ok) return null
  return (await res.json()) as T
}

/** GET JSON from the hub, an error's answer included (`{ error: { code, message } }`); null when the session ended. */
export async function getAnswer<T>(path: string): Promise<{ status: number; body: T | { error?: { code?: string; message?: string } } | null } | null> {
  const res = await fetch(path, { cache: 'no-store' })
  if (res.status === 401) return sessionEnded()
  return { status: res.status, body: (await res.json().catch(() => null)) as T | null }
}

/** POST JSON to the hub; the status and the parsed answer (an error's `{ error: { code } }` included), or null when the session ended. */
export async function postJson<T>(path: string, body: unknown): Promise<{ status: number; body: T | { error?: { code?: string } } | null } | null> {
  const res = await fetch(path, { method: 'POST', cache: 'no-store', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })
  if (res.status === 401) return sessionEnded()
  return { status: res.status, body: (await res.json().catch(() => null)) as T | null }
}

/**
 * GET a file and hand it to the browser as a download, the error's answer
 * included: a refused download (503 while the hub makes other reports) is
 * told on the page in the person's language instead of a failed download.
 * Null when the session ended.
 */
export async function getFile(path: string): Promise<{ status: number; retryAfterS: number | null; code: string | null } | null> {
  const res = await fetch(path, { cache: 'no-store' })
  if (res.status === 401) return sessionEnded()
  if (!res.ok) {
    const body = (await res.json().catch(() => null)) as { error?: { code?: string } } | null
    const retry = Number(res.headers.get('retry-after'))
    return { status: res.status, retryAfterS: Number.isFinite(retry) && retry > 0 ? retry : null, code: body?.error?.code ?? null }
  }
  const name = /filename="([^"]+)"/.exec(res.headers.get('content-disposition') ?? '')?.[1] ?? ''
  const url = URL.createObjectURL(await res.blob())
  const a = el('a')
  a.href = url
  a.download = name
  document.body.append(a)
  a.click()
  a.remove()
  // The browser has taken the file by the time a person could click again.
  setTimeout(() => URL.revokeObjectURL(url), 60_000)
  return { status: res.status, retryAfterS: null, code: null }
}

export const pct = (x: number | null) => (x === null ? '–' : `${(x * 100).toFixed(1)} %`)
export const num = (x: number | null, digits = 1) => (x === null ? '–' : x.toFixed(digits))

export function timeText(ms: number): string {
  return new Date(ms).toLocaleString(state.lang === 'vi' ? 'vi-VN' : 'en-GB', { timeZone: 'Asia/Ho_Chi_Minh', hour12: false })
}
