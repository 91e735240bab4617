/**
 * Server-rendered shells of the console: the sign-in form and the app frame
 * the browser code fills. Vietnamese first (?lang=en for English). Scripts,
 * styles and video only from the hub itself (CSP); no external assets.
 */
import { escapeHtml } from '../../common/web/html.js'
import { other, t, type Lang, type TextKey } from './i18n.js'

export const CONSOLE_JS = '/console/app.js'

export const CSP =
  "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; media-src blob:; connect-src 'self'; frame-ancestors 'none'; form-action 'self'"

const STYLE = `
*{box-sizing:border-box}body{margin:0;font:15px/1.45 system-ui,"Segoe UI",sans-serif;background:#0f1620;color:#e6edf5}
a{color:#8fc1ff}header.top{display:flex;gap:14px;align-items:center;padding:10px 18px;background:#16202d;border-bottom:1px solid #283647}
header.top h1{font-size:17px;margin:0;flex:1;font-weight:600}.who{color:#b7c6d8;font-size:14px}
button,.btn{background:#2d6cdf;color:#fff;border:0;border-radius:6px;padding:7px 12px;font:inherit;cursor:pointer;text-decoration:none;display:inline-block}
button.ghost,.btn.ghost{background:transparent;border:1px solid #4a5a6e;color:#dbe6f3}button:disabled{opacity:.5;cursor:default}
.notice{margin:0;padding:8px 18px;background:#3a2e12;color:#ffe2a6;font-size:13px;border-bottom:1px solid #5a4620}
nav.tabs{display:flex;gap:4px;padding:10px 18px 0}nav.tabs button{background:#1b2634;border-radius:8px 8px 0 0;color:#b7c6d8}
nav.tabs button[aria-selected=true]{background:#233246;color:#fff}main{padding:14px 18px 30px}
.crumbs{display:flex;gap:6px;align-items:center;flex-wrap:wrap;margin-bottom:12px;font-size:15px}.crumbs button{padding:4px 10px}
.toolbar{display:flex;gap:8px;align-items:center;margin:0 0 12px}select{background:#16202d;color:inherit;border:1px solid #4a5a6e;border-radius:6px;padding:6px}
.cards{display:grid;grid-template-columns:repeat(auto-fit,minmax(190px,1fr));gap:12px;margin-bottom:14px}
.card{background:#16202d;border:1px solid #283647;border-radius:10px;padding:12px 14px}.card h3{margin:0 0 4px;font-size:13px;color:#9fb0c3;font-weight:500}
.card .big{font-size:30px;font-weight:700}.card .sub{font-size:12px;color:#9fb0c3}
.panels{display:grid;grid-template-columns:minmax(300px,1fr) minmax(300px,1fr);gap:12px;margin-bottom:14px}
.panel{background:#16202d;border:1px solid #283647;border-radius:10px;padding:12px 14px}.panel h2{font-size:15px;margin:0 0 8px}
table{width:100%;border-collapse:collapse;font-size:14px}th,td{text-align:left;padding:7px 8px;border-bottom:1px solid #243244}th{color:#9fb0c3;font-weight:500}
td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}tr.drill{cursor:pointer}tr.drill:hover{background:#1c2a3b}
.bar{height:10px;border-radius:5px;background:#243244;overflow:hidden;min-width:80px}.bar>i{display:block;height:100%}
#wall{display:grid;grid-template-columns:repeat(auto-fill,minmax(380px,1fr));gap:12px}
.tile{background:#16202d;border:1px solid #283647;border-radius:10px;overflow:hidden}.tile header{display:flex;gap:8px;align-items:center;padding:7px 10px}
.tile h2{font-size:14px;margin:0;flex:1}.stage{position:relative;background:#000;aspect-ratio:16/9}.stage video{width:100%;height:100%;display:block;object-fit:contain}
.overlay{position:absolute;inset:0;display:flex;align-items:center;justify-content:center;text-align:center;padding:16px;color:#dfe7f1;background:#000b;font-size:15px}
.overlay.alert{color:#ffd0c8}.badge{font-size:12px;padding:2px 8px;border-radius:10px;background:#4a5a6e;white-space:nowrap}.ok{background:#1f7a3d}.bad{background:#a32020}
.feed{list-style:none;margin:0;padding:0;max-height:280px;overflow:auto}.feed li{display:flex;gap:8px;padding:5px 0;border-bottom:1px solid #243244;font-size:14px}
.dot{width:10px;height:10px;border-radius:5px;display:inline-block;margin-top:5px;flex:none}.feed .when,.feed strong{white-space:nowrap}.feed .what{flex:1;min-width:0;overflow:hidden;text-overflow:ellipsis;white-space:nowrap}.muted{color:#9fb0c3}
form.login{max-width:360px;margin:8vh auto;padding:24px;background:#16202d;border:1px solid #283647;border-radius:12px;display:grid;gap:10px}
form.login input{padding:8px;border-radius:6px;border:1px solid #4a5a6e;background:#0f1620;color:inherit;font:inherit}.error{color:#ff8a80}
nav.tabs .badge{margin-left:6px}form.ack{display:flex;gap:6px;flex-wrap:wrap}form.ack input{flex:1;min-width:160px;padding:6px;border-radius:6px;border:1px solid #4a5a6e;background:#0f1620;color:inherit;font:inherit}
tr.waiting td:first-child{box-shadow:inset 3px 0 #d23b3b}td.state.ongoing{color:#ff8a80}td.ack .comment{font-style:italic}#alerts-table td:first-child,#alerts-table td.state{white-space:nowrap}
#duty-view h2{margin-top:18px}td.days.overdue{color:#ff8a80;font-weight:700}td.days.soon{color:#ffd27a}tr.case-form td{background:#1b2634}svg text{fill:#b7c6d8;font-size:11px}[hidden]{display:none!important}
@media (max-width:800px){.panels{grid-template-columns:1fr}}`

function layout(lang: Lang, body: string, head = ''): string {
  return `<!doctype html><html lang="${lang}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">` +
    `<title>${escapeHtml(t('title', lang))}</title><style>${STYLE}</style>${head}</head><body>${body}</body></html>`
}

const tx = (key: TextKey, lang: Lang) => `<span data-t="${key}">${escapeHtml(t(key, lang))}</span>`

export function loginPage(lang: Lang, problem: 'failed' | 'locked' | 'expired' | null): string {
  const key: TextKey | null = problem === 'failed' ? 'loginFailed' : problem === 'locked' ? 'loginLocked' : problem === 'expired' ? 'expired' : null
  const err = key ? `<p class="error" role="alert">${escapeHtml(t(key, lang))}</p>` : ''
  return layout(lang,
    `<form class="login" method="post" action="/console/login">` +
    `<h1 style="font-size:20px;margin:0">${escapeHtml(t('title', lang))}</h1>${err}` +
    `<label>${escapeHtml(t('username', lang))}<br><input name="username" autocomplete="username" required></label>` +
    `<label>${escapeHtml(t('password', lang))}<br><input name="password" type="password" autocomplete="current-password" required></label>` +
    `<input type="hidden" name="lang" value="${lang}">` +
    `<button type="submit">${escapeHtml(t('login', lang))}</button>` +
    `<p class="notice" style="border-radius:6px">${escapeHtml(t('privacy', lang))}</p>` +
    `<a href="/console/?lang=${other(lang)}">${escapeHtml(t('switchLang', lang))}</a></form>`)
}

export function appPage(lang: Lang, user: { name: string; role: string }): string {
  const roleKey = `role_${user.role}` as TextKey
  return layout(lang,
    `<header class="top"><h1>${tx('title', lang)}</h1>` +
    `<span class="who">${escapeHtml(user.name)} · ${tx(roleKey, lang)}</span>` +
    `<button id="lang" class="ghost">${tx('switchLang', lang)}</button>` +
    `<form method="post" action="/console/logout"><button class="ghost">${tx('logout', lang)}</button></form></header>` +
    `<p class="notice">${tx('privacy', lang)}</p>` +
    `<nav class="tabs" role="tablist"><button data-tab="overview">${tx('tabOverview', lang)}</button>` +
    `<button data-tab="duty">${tx('tabDuty', lang)}</button><button data-tab="cases">${tx('tabCases', lang)}</button><button data-tab="alerts">${tx('tabAlerts', lang)}<span id="alerts-badge" class="badge bad" hidden></span></button>` +
    `<button data-tab="cameras">${tx('tabCameras', lang)}</button><button data-tab="recordings" hidden>${tx('tabRecordings', lang)}</button><button data-tab="audit" hidden>${tx('tabAudit', lang)}</button>` +
    `<button data-tab="reports" hidden>${tx('tabReports', lang)}</button>` +
    `<button data-tab="sent" hidden>${tx('tabSent', lang)}</button></nav>` +
    `<main><section id="overview"></section><section id="duty" hidden></section><section id="cases" hidden></section><section id="alerts" hidden></section><section id="cameras" hidden></section><section id="audit" hidden></section><section id="reports" hidden></section><section id="sent" hidden></section></main>`,
    `<script type="module" src="${CONSOLE_JS}"></script>`)
}
