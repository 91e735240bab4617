/**
 * Browser code for the kiosk, the supervisor page and the console is bundled
 * in memory with esbuild when the program starts: no build step and no
 * generated files in the tree. Bodies are gzipped once and get a content ETag.
 */
import { createHash } from 'node:crypto'
import { gzipSync } from 'node:zlib'
import { build, type BuildOptions } from 'esbuild'

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

/** One minified ESM bundle from a TypeScript entry file. */
export async function bundleScript(entry: string, target: BuildOptions['target'] = ['chrome100', 'safari15', 'firefox100']): Promise<WebAsset> {
  const result = await build({
    entryPoints: [entry],
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
