/** The kiosk's HTML shell, with the env for this device written in as JSON (pure). */
import { KIOSK_ENV_ELEMENT_ID, type KioskEnv } from '../../protocol/kiosk-env.js'

/** JSON inside a <script> element: "<" escaped so no value can close the element. */
export function scriptJson(value: unknown): string {
  return JSON.stringify(value).replace(/</g, '\\u003c').replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029')
}

export function kioskHtml(env: KioskEnv, assets: { js: string; css: string }): string {
  return `<!doctype html>
<html lang="vi">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1, maximum-scale=1, user-scalable=no">
<meta name="color-scheme" content="light">
<title>Đánh giá mức độ hài lòng / Satisfaction rating</title>
<link rel="stylesheet" href="${assets.css}">
<script id="${KIOSK_ENV_ELEMENT_ID}" type="application/json">${scriptJson(env)}</script>
<script type="module" src="${assets.js}"></script>
</head>
<body data-screen="boot"><div id="app"></div></body>
</html>
`
}
