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

/** A page's script bundle (supervisor page, console): gzipped when the browser takes it, revalidated by its ETag. */
export function sendScript(req: IncomingMessage, res: ServerResponse, asset: WebAsset): void {
  const gz = /\bgzip\b/.test(String(req.headers['accept-encoding'] ?? ''))
  res.writeHead(200, { 'content-type': asset.type, etag: asset.etag, 'cache-control': 'no-cache', ...(gz ? { 'content-encoding': 'gzip' } : {}) })
  res.end(gz ? asset.gzip : asset.body)
}
