/**
 * Browser code for the kiosk, the supervisor page and the console. The
 * production build (scripts/build.ts) bundles it once into assets/ beside the
 * program; run from source, it is bundled in memory with esbuild when the
 * program starts (no generated files in the tree), so esbuild is loaded only
 * then. Bodies are gzipped once and get a content ETag.
 */
import { readFileSync } from 'node:fs'
import type { IncomingMessage, ServerResponse } from 'node:http'
import { fileURLToPath } from 'node:url'
import { createHash } from 'node:crypto'
import { gzipSync } from 'node:zlib'
import type { BuildOptions } from 'esbuild'

export interface WebAsset {
  body: Buffer
  gzip: Buffer
  type: string
  etag: string
}

export const JS_TYPE = 'text/javascript; charset=utf-8'

export function webAsset(body: Buffer, type: string): WebAsset {
  return { body, gzip: gzipSync(body), type, etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"` }
}

/** The asset `name` of the production build, or null when running from source. */
export function prebuiltAsset(name: string, type: string): WebAsset | null {
  try {
    return webAsset(readFileSync(new URL(`./assets/${name}`, import.meta.url)), type)
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null
    throw err
  }
}

/** esbuild, for running from source only: the production build carries its bundles. */
export async function esbuild(): Promise<typeof import('esbuild')> {
  return import('esbuild')
}

/** One minified ESM bundle `name` from a TypeScript entry file (prebuilt when there is one). */
export async function bundleScript(name: string, entry: URL, target: BuildOptions['target'] = ['chrome100', 'safari15', 'firefox100']): Promise<WebAsset> {
  const prebuilt = prebuiltAsset(name, JS_TYPE)
  if (prebuilt) return prebuilt
  const { build } = await esbuild()
  const result = await build({
    entryPoints: [fileURLToPath(entry)],
    bundle: true,
    write: false,
    format: 'esm',
    platform: 'browser',
    target,
    minify: true,
    legalComments: 'none',
    logLevel: 'silent',
  })
  const out = result.outputFiles[0]
  if (!out) throw new Error(`bundle of ${entry} is empty`)
  return webAsset(Buffer.from(out.contents), JS_TYPE)
}

/**
 * One asset (a page's script bundle, the kiosk's page and files): 304 when
 * the browser holds this ETag, gzipped when it takes gzip, no body to HEAD.
 */
export function sendAsset(req: IncomingMessage, res: ServerResponse, asset: WebAsset, cacheControl: string): void {
  const headers: Record<string, string> = {
    'content-type': asset.type,
    'cache-control': cacheControl,
    etag: asset.etag,
    'x-content-type-options': 'nosniff',
    vary: 'accept-encoding',
  }
  if (req.headers['if-none-match'] === asset.etag) return void res.writeHead(304, headers).end()
  const gzip = /\bgzip\b/.test(String(req.headers['accept-encoding'] ?? ''))
  const body = gzip ? asset.gzip : asset.body
  if (gzip) headers['content-encoding'] = 'gzip'
  headers['content-length'] = String(body.length)
  res.writeHead(200, headers)
  res.end(req.method === 'HEAD' ? undefined : body)
}
