/**
 * Server-rendered HTML of the supervisor pages (login, camera grid shell).
 * Vietnamese first; the grid's language toggle is handled by the browser code,
 * the login page links to ?lang=en. No external assets.
 */
import { escapeHtml } from '../../common/web/html.js'
import { other, t, type Lang } from './i18n.js'

/** Scripts only from the edge itself, video from blob: (MSE), no framing by other sites. */
export const CSP = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self'; media-src blob:; connect-src 'self'; frame-ancestors 'none'; form-action 'self'"

const STYLE = `
*{box-sizing:border-box}body{margin:0;font:15px/1.4 system-ui,sans-serif;background:#10151c;color:#e8edf3}
header.top{display:flex;gap:12px;align-items:center;padding:10px 16px;background:#18202b;border-bottom:1px solid #2a3644}
header.top h1{font-size:18px;margin:0;flex:1}button,.btn{background:#2d6cdf;color:#fff;border:0;border-radius:6px;padding:7px 12px;font:inherit;cursor:pointer}
button.ghost{background:transparent;border:1px solid #4a5a6e}.notice{margin:0;padding:8px 16px;background:#3a2e12;color:#ffe2a6;font-size:13px}
#grid{display:grid;grid-template-columns:repeat(auto-fill,minmax(360px,1fr));gap:12px;padding:12px}
.tile{background:#18202b;border:1px solid #2a3644;border-radius:8px;overflow:hidden}
.tile header{display:flex;gap:6px;align-items:center;padding:6px 10px}.tile h2{font-size:15px;margin:0;flex:1}
.stage{position:relative;background:#000;aspect-ratio:16/9}.stage video{width:100%;height:100%;display:block;object-fit:contain}
.overlay{position:absolute;inset:0;display:flex;align-items:center;justify-content:center;color:#cfd8e3;background:#000a}
.tile footer{display:flex;gap:8px;align-items:center;padding:6px 10px;font-size:13px;color:#9fb0c3}.snap{height:40px;border-radius:3px}
.badge{font-size:12px;padding:2px 8px;border-radius:10px;background:#4a5a6e}.state-online{background:#1f7a3d}.state-offline{background:#a32020}
.state-no_stream,.state-auth_failed,.state-clock_skew{background:#a86510}.warn{background:#c0392b}.info{background:#2d6cdf}
form.login{max-width:340px;margin:8vh auto;padding:24px;background:#18202b;border:1px solid #2a3644;border-radius:10px;display:grid;gap:10px}
form.login input{padding:8px;border-radius:6px;border:1px solid #4a5a6e;background:#10151c;color:inherit;font:inherit}.error{color:#ff8a80}
[hidden]{display:none!important}`

function layout(lang: Lang, body: string, head = ''): string {
  return `<!doctype html><html lang="${lang}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">` +
    `<title>${escapeHtml(t('title', lang))}</title><style>${STYLE}</style>${head}</head><body>${body}</body></html>`
}

export function loginPage(lang: Lang, siteName: string, error: 'failed' | 'locked' | null): string {
  const err = error ? `<p class="error" role="alert">${escapeHtml(t(error === 'locked' ? 'loginLocked' : 'loginFailed', lang))}</p>` : ''
  return layout(lang,
    `<form class="login" method="post" action="/supervisor/login">` +
    `<h1>${escapeHtml(t('title', lang))}</h1><div>${escapeHtml(siteName)}</div>${err}` +
    `<label>${escapeHtml(t('username', lang))}<br><input name="username" autocomplete="username" required></label>` +
    `<label>${escapeHtml(t('password', lang))}<br><input name="password" type="password" autocomplete="current-password" required></label>` +
    `<input type="hidden" name="lang" value="${lang}">` +
    `<button type="submit">${escapeHtml(t('login', lang))}</button>` +
    `<p class="notice">${escapeHtml(t('privacy', lang))}</p>` +
    `<a href="/supervisor/?lang=${other(lang)}" style="color:#9fc1ff">${escapeHtml(t('switchLang', lang))}</a></form>`)
}

export function appPage(lang: Lang, siteName: string, userName: string, scriptPath: string): string {
  return layout(lang,
    `<header class="top"><h1><span data-t="title">${escapeHtml(t('title', lang))}</span> · ${escapeHtml(siteName)}</h1>` +
    `<span>${escapeHtml(userName)}</span><button id="lang" class="ghost" data-t="switchLang">${escapeHtml(t('switchLang', lang))}</button>` +
    `<form method="post" action="/supervisor/logout"><button class="ghost" data-t="logout">${escapeHtml(t('logout', lang))}</button></form></header>` +
    `<p class="notice" data-t="privacy">${escapeHtml(t('privacy', lang))}</p>` +
    `<p id="empty" hidden data-t="noCameras">${escapeHtml(t('noCameras', lang))}</p><main id="grid"></main>`,
    `<script type="module" src="${scriptPath}"></script>`)
}
