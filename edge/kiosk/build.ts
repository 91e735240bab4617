/**
 * The kiosk's browser code and stylesheet: prebuilt by npm run build, or
 * bundled in memory with esbuild at edge start when run from source. Bodies are also
 * gzipped once here, since tablets on a busy site Wi-Fi fetch them often.
 * The code is device-side (devices/kiosk/browser/, it runs on the tablet);
 * the edge only bundles and serves it.
 */
import { fileURLToPath } from 'node:url'
import { esbuild, JS_TYPE, prebuiltAsset, webAsset, type WebAsset } from '../../common/web/assets.js'

export type KioskAsset = WebAsset

/** URL path (under /kiosk/) → asset. */
export type KioskAssets = Map<string, KioskAsset>

export const KIOSK_JS = '/kiosk/kiosk.js'
export const KIOSK_CSS = '/kiosk/kiosk.css'

const here = (p: string) => fileURLToPath(new URL(p, import.meta.url))

/** File names of the bundles in the production build's assets/. */
export const KIOSK_BUNDLES = { js: 'kiosk.js', css: 'kiosk.css' } as const
const CSS_TYPE = 'text/css; charset=utf-8'

export async function buildKioskAssets(): Promise<KioskAssets> {
  const js = prebuiltAsset(KIOSK_BUNDLES.js, JS_TYPE)
  const css = prebuiltAsset(KIOSK_BUNDLES.css, CSS_TYPE)
  if (js && css) return new Map([[KIOSK_JS, js], [KIOSK_CSS, css]])
  const { build } = await esbuild()
  const result = await build({
    entryPoints: { kiosk: here('../../devices/kiosk/browser/main.ts'), 'kiosk-css': here('../../devices/kiosk/browser/kiosk.css') },
    bundle: true,
    write: false,
    outdir: '/kiosk-out',
    format: 'esm',
    platform: 'browser',
    // Chrome 89 brought top-level await; Android tablets in the field run WebView versions well past it.
    target: ['chrome89', 'safari15'],
    minify: true,
    sourcemap: false,
    legalComments: 'none',
    logLevel: 'silent',
  })
  const assets: KioskAssets = new Map()
  for (const f of result.outputFiles) {
    if (f.path.endsWith('kiosk.js')) assets.set(KIOSK_JS, webAsset(Buffer.from(f.contents), JS_TYPE))
    else if (f.path.endsWith('kiosk-css.css')) assets.set(KIOSK_CSS, webAsset(Buffer.from(f.contents), CSS_TYPE))
  }
  if (!assets.has(KIOSK_JS) || !assets.has(KIOSK_CSS)) throw new Error('kiosk bundle is missing its script or stylesheet')
  return assets
}
