/**
 * The public page and the lobby display as HTML (pure): server-rendered, no
 * script, one inline style allowed by its hash. Vietnamese first, English
 * with ?lang=en. The lobby moves to its next page of departments with a meta
 * refresh, so a TV's browser needs nothing but HTML.
 */
import { createHash } from 'node:crypto'
import type { Lang } from '../../common/i18n.js'
import { escapeHtml } from '../../common/web/html.js'
import { DECISION_766 } from '../kpi/decision766.js'
import { VN_OFFSET_MS } from '../kpi/time.js'
import { periodTitle } from '../reports/period-title.js'
import { lobbyPage, type PublicFigure, type PublicSite, type PublicView } from './view.js'

export const TEXT = {
  title: { vi: 'Kết quả đánh giá sự hài lòng', en: 'Citizen satisfaction results' },
  lead: {
    vi: 'Công khai kết quả đánh giá việc giải quyết thủ tục hành chính theo cơ chế một cửa, một cửa liên thông',
    en: 'Published results of the one-stop service evaluation',
  },
  department: { vi: 'Cơ quan', en: 'Department' },
  rated: { vi: 'Lượt đánh giá', en: 'Ratings' },
  rate: { vi: 'Tỷ lệ hài lòng', en: 'Satisfied' },
  points: { vi: `Điểm (tối đa ${DECISION_766.maxPoints})`, en: `Points (of ${DECISION_766.maxPoints})` },
  total: { vi: 'Toàn đơn vị', en: 'Whole site' },
  none: { vi: 'chưa có đánh giá', en: 'no ratings yet' },
  noSites: { vi: 'Chưa có đơn vị nào.', en: 'No sites yet.' },
  method: {
    vi: `Theo Quyết định 766/QĐ-TTg: tỷ lệ hài lòng là số lượt đánh giá không "không hài lòng" trên tổng số lượt đánh giá; đạt từ ${DECISION_766.fullRateTenths * 10}% được ${DECISION_766.maxPoints} điểm.`,
    en: `Per Decision 766/QĐ-TTg: the satisfied rate is the share of ratings that are not "dissatisfied"; ${DECISION_766.fullRateTenths * 10}% or more earns the full ${DECISION_766.maxPoints} points.`,
  },
  updated: { vi: 'Cập nhật lúc', en: 'Updated at' },
  switchLang: { vi: 'English', en: 'Tiếng Việt' },
  notFound: { vi: 'Không có đơn vị này.', en: 'No such site.' },
  unavailable: { vi: 'Kết quả tạm thời chưa xem được, vui lòng thử lại sau.', en: 'Results are not available right now; please try again later.' },
  page: { vi: 'Trang', en: 'Page' },
} as const satisfies Record<string, Record<Lang, string>>

/** Seconds a lobby page stays before the next one. */
export const LOBBY_ROTATE_S = 15
/** Departments on one lobby page: large type on a TV across the hall. */
export const LOBBY_PAGE_SIZE = 5

const STYLE = `
body{font-family:"Noto Sans","DejaVu Sans",Arial,sans-serif;margin:0;color:#1b1b1b;background:#f6f7f9}
header,main,footer{max-width:72rem;margin:0 auto;padding:1rem 1.5rem}
header{display:flex;justify-content:space-between;align-items:baseline;gap:1rem;flex-wrap:wrap}
h1{font-size:1.6rem;margin:.2rem 0}h2{font-size:1.25rem;margin:1.5rem 0 .5rem}
.lead,.method,footer{color:#4a4f57}
table{width:100%;border-collapse:collapse;background:#fff}
th,td{padding:.45rem .6rem;border-bottom:1px solid #dde1e6;text-align:left}
td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}
tr.total td{font-weight:bold;background:#eef4fb}
.none{color:#8a8f96}
body.lobby{background:#0d2a4a;color:#fff;font-size:2.2vw;overflow:hidden}
.lobby header,.lobby main{max-width:none;padding:2vh 4vw}
.lobby h1{font-size:3.4vw}.lobby .period{font-size:2.4vw;color:#cfe0f5}
.lobby .site-figure{display:flex;gap:6vw;margin:2vh 0 4vh}
.lobby .big{font-size:6vw;font-weight:bold;line-height:1.1}
.lobby .label{font-size:1.8vw;color:#cfe0f5}
.lobby table{background:transparent}
.lobby th,.lobby td{border-bottom:1px solid #2c4e75;padding:1.2vh 1vw}
.lobby th{color:#cfe0f5;font-weight:normal}
.lobby .none{color:#9bb3cf}
.lobby .pager{color:#9bb3cf;font-size:1.6vw;margin-top:2vh}
`.trim()

/** The one style the pages carry, allowed by its hash: no inline script can run. */
export const PUBLIC_CSP = `default-src 'none'; style-src 'sha256-${createHash('sha256').update(STYLE).digest('base64')}'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'`

const dec = (x: number, digits: number, lang: Lang) => {
  const s = x.toFixed(digits)
  return lang === 'vi' ? s.replace('.', ',') : s
}
export const formatRate = (f: PublicFigure, lang: Lang): string => (f.rate === null ? '–' : `${dec(f.rate * 100, 1, lang)}%`)
export const formatPoints = (f: PublicFigure, lang: Lang): string => (f.points === null ? '–' : dec(f.points, 2, lang))
export const formatRated = (f: PublicFigure, lang: Lang): string => f.rated.toLocaleString(lang === 'vi' ? 'vi-VN' : 'en-US')

/** HH:MM on the 24-hour clock in Vietnam. */
function localTime(t: number): string {
  const d = new Date(t + VN_OFFSET_MS)
  return `${String(d.getUTCHours()).padStart(2, '0')}:${String(d.getUTCMinutes()).padStart(2, '0')}`
}

const t = (key: keyof typeof TEXT, lang: Lang) => escapeHtml(TEXT[key][lang])

function page(lang: Lang, title: string, bodyClass: string, inner: string, head = ''): string {
  return `<!doctype html><html lang="${lang}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">${head}<title>${escapeHtml(title)}</title><style>${STYLE}</style></head><body class="${bodyClass}">${inner}</body></html>`
}

/** A link to the same path in the other language, keeping the query's other parameters. */
function langHref(path: string, lang: Lang, query: Record<string, string> = {}): string {
  const q = new URLSearchParams(query)
  if (lang === 'vi') q.set('lang', 'en')
  const s = q.toString()
  return escapeHtml(s ? `${path}?${s}` : path)
}

function cells(f: PublicFigure, lang: Lang): string {
  if (f.rated === 0) return `<td class="num rated">0</td><td class="num rate none" colspan="2">${t('none', lang)}</td>`
  return `<td class="num rated">${formatRated(f, lang)}</td><td class="num rate">${formatRate(f, lang)}</td><td class="num points">${formatPoints(f, lang)}</td>`
}

function siteTable(s: PublicSite, lang: Lang, departments = s.departments): string {
  const head = `<tr><th>${t('department', lang)}</th><th class="num">${t('rated', lang)}</th><th class="num">${t('rate', lang)}</th><th class="num">${t('points', lang)}</th></tr>`
  const rows = departments.map((d) => `<tr data-department="${escapeHtml(d.id)}"><td class="name">${escapeHtml(d.name)}</td>${cells(d.figure, lang)}</tr>`)
  return `<table data-site="${escapeHtml(s.id)}"><thead>${head}</thead><tbody>${rows.join('')}<tr class="total" data-department=""><td class="name">${t('total', lang)}</td>${cells(s.figure, lang)}</tr></tbody></table>`
}

export function publicPage(view: PublicView, lang: Lang): string {
  const period = escapeHtml(periodTitle(view.period, lang))
  const title = `${TEXT.title[lang]} — ${periodTitle(view.period, lang)}`
  const sections = view.sites.map((s) => `<section data-site="${escapeHtml(s.id)}"><h2>${escapeHtml(s.name)}</h2>${siteTable(s, lang)}</section>`)
  return page(
    lang,
    title,
    'public',
    `<header><div><h1>${t('title', lang)} <span class="period" data-period="${escapeHtml(view.period.label)}">${period}</span></h1><p class="lead">${t('lead', lang)}</p></div>` +
      `<a class="lang" href="${langHref('/public/', lang)}">${t('switchLang', lang)}</a></header>` +
      `<main>${sections.length ? sections.join('') : `<p>${t('noSites', lang)}</p>`}<p class="method">${t('method', lang)}</p></main>` +
      `<footer>${t('updated', lang)} <span class="updated">${localTime(view.computedAt)}</span></footer>`,
  )
}

export function lobbyPageHtml(site: PublicSite, view: PublicView, lang: Lang, pageNo: number): string {
  const shown = lobbyPage(site.departments, pageNo, LOBBY_PAGE_SIZE)
  const next = new URLSearchParams({ page: String((shown.page + 1) % shown.pages) })
  if (lang === 'en') next.set('lang', 'en')
  const refresh = `<meta http-equiv="refresh" content="${LOBBY_ROTATE_S};url=?${escapeHtml(next.toString())}">`
  const f = site.figure
  const big = (cls: string, value: string, label: keyof typeof TEXT) => `<div class="${cls}"><div class="big">${value}</div><div class="label">${t(label, lang)}</div></div>`
  const figure =
    f.rated === 0
      ? `<div class="site-figure none">${t('none', lang)}</div>`
      : `<div class="site-figure">${big('rate', formatRate(f, lang), 'rate')}${big('points', formatPoints(f, lang), 'points')}${big('rated', formatRated(f, lang), 'rated')}</div>`
  const rows = shown.items.map((d) => `<tr data-department="${escapeHtml(d.id)}"><td class="name">${escapeHtml(d.name)}</td>${cells(d.figure, lang)}</tr>`)
  const table = `<table data-site="${escapeHtml(site.id)}"><thead><tr><th>${t('department', lang)}</th><th class="num">${t('rated', lang)}</th><th class="num">${t('rate', lang)}</th><th class="num">${t('points', lang)}</th></tr></thead><tbody>${rows.join('')}</tbody></table>`
  return page(
    lang,
    `${site.name} — ${TEXT.title[lang]}`,
    'lobby',
    `<header><h1>${escapeHtml(site.name)}</h1><div class="period" data-period="${escapeHtml(view.period.label)}">${t('title', lang)} — ${escapeHtml(periodTitle(view.period, lang))}</div></header>` +
      `<main data-site="${escapeHtml(site.id)}">${figure}${table}<div class="pager" data-page="${shown.page}" data-pages="${shown.pages}">${t('page', lang)} ${shown.page + 1}/${shown.pages} · ${t('updated', lang)} ${localTime(view.computedAt)}</div></main>`,
    refresh,
  )
}

/** A short page for a site that does not exist or figures that cannot be read yet. */
export function messagePage(key: 'notFound' | 'unavailable', lang: Lang): string {
  return page(lang, TEXT.title[lang], 'public', `<main><h1>${t('title', lang)}</h1><p class="message">${t(key, lang)}</p></main>`)
}
