/**
 * `npm run build`: the production build in dist/.
 *
 *   dist/edge.js       the edge (node dist/edge.js CONFIG)
 *   dist/edge-cli.js   the technician's command (motcua-edge …)
 *   dist/hub.js        the hub (node dist/hub.js CONFIG)
 *   dist/hub-cli.js    the operator's command (motcua-hub audit-verify …)
 *   dist/assets/       browser bundles, built once here instead of at every start
 *
 * Each program is one ES module with its npm dependencies inside, so it needs
 * neither tsx nor esbuild at run time. Only classic-level stays outside: it
 * loads a native binary for the machine's architecture (its package ships
 * prebuilt ones for linux-x64 and linux-arm64), so dist/node_modules holds it
 * and the few packages it needs.
 */
import { cpSync, mkdirSync, rmSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { build, type Plugin } from 'esbuild'
import { writeBrowserAssets } from './lib/browser-assets.js'

const root = resolve(import.meta.dirname, '..')
const dist = join(root, 'dist')
/** Loaded from node_modules at run time (native code). */
const NATIVE = ['classic-level']
/** What classic-level requires at run time, besides itself. */
const NATIVE_DEPS = ['abstract-level', 'module-error', 'napi-macros', 'node-gyp-build', 'buffer', 'base64-js', 'ieee754', 'is-buffer', 'level-supports', 'level-transcoder', 'maybe-combine-errors']

const QUIET_DEBUG = join(root, 'scripts/lib/quiet-debug.cjs')
/**
 * `debug` resolves to scripts/lib/quiet-debug.cjs, which does nothing unless DEBUG is set at start (then it is the
 * real package, so DEBUG=mqtt-packet:* still works). Disabled, the real loggers still cost the edge about 750 bytes
 * of garbage per message (bench/results: ingest).
 */
const quietDebug: Plugin = {
  name: 'quiet-debug',
  setup(b) {
    b.onResolve({ filter: /^debug$/ }, (args) => (args.importer === QUIET_DEBUG ? undefined : { path: QUIET_DEBUG }))
  },
}

export async function buildDist(): Promise<void> {
  rmSync(dist, { recursive: true, force: true })
  mkdirSync(dist, { recursive: true })
  await build({
    entryPoints: { edge: 'edge/main.ts', hub: 'hub/main.ts', 'edge-cli': 'edge/cli/main.ts', 'hub-cli': 'hub/cli/main.ts' },
    absWorkingDir: root,
    outdir: dist,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    external: [...NATIVE, 'esbuild'],
    plugins: [quietDebug],
    // Bundled CommonJS packages call require() and read __dirname (fluent-ffmpeg); an ES module has neither.
    banner: {
      js: [
        "import { createRequire as __motcuaRequire } from 'node:module';",
        "import { fileURLToPath as __motcuaPath } from 'node:url';",
        'const require = __motcuaRequire(import.meta.url);',
        'const __filename = __motcuaPath(import.meta.url);',
        "const __dirname = __motcuaPath(new URL('.', import.meta.url));",
      ].join(' '),
    },
    // Less source for V8 to hold and parse on a Pi; identifiers stay, so stack traces and class names still read.
    minifyWhitespace: true,
    minifySyntax: true,
    legalComments: 'none',
    logLevel: 'warning',
  })
  writeFileSync(join(dist, 'package.json'), JSON.stringify({ type: 'module', private: true }, null, 2) + '\n')
  cpSync(join(root, 'hub/api/openapi.yaml'), join(dist, 'openapi.yaml'))
  for (const name of [...NATIVE, ...NATIVE_DEPS]) {
    const from = join(root, 'node_modules', name)
    try {
      cpSync(from, join(dist, 'node_modules', name), { recursive: true, filter: (src) => !/[/\\](test|tests|\.github|deps|src)([/\\]|$)/.test(src.slice(from.length)) })
    } catch (err) {
      // Optional transitive packages differ between versions; a missing one is only fatal if classic-level needs it (the dist test loads it).
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err
    }
  }
  await writeBrowserAssets(join(dist, 'assets'))
}

if (import.meta.url === `file://${process.argv[1]}`) {
  await buildDist()
  console.log(`built ${dist}`)
}
