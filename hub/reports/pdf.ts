/**
 * Prints the report page to PDF with Chromium's own headless printer: one
 * `chromium --headless --print-to-pdf` process per report, on the HTML
 * written to a private temporary folder.
 *
 * Why a process and not playwright-core: the hub then ships no browser
 * driver (playwright-core stays a test tool), a report's memory goes back
 * when its process ends instead of growing a long-lived browser inside the
 * hub's budget, a crash or hang of the printer is a child we kill, not the
 * hub's, and the page runs no script anyway, so nothing needs driving. The
 * page is loaded from a file and its own policy (a meta CSP) forbids any
 * script or fetch: it needs no network. (Turning JavaScript off with
 * --blink-settings made Chromium 156 print nothing.)
 * Without Chromium the hub keeps running and answers HUB_REPORT_PDF_UNAVAILABLE.
 */
import { spawn } from 'node:child_process'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { MotcuaError } from '../../common/errors.js'

export interface PdfPrinter {
  print(html: string): Promise<Buffer>
}

export interface PrinterOptions {
  /** The Chromium binary (Debian: /usr/bin/chromium). */
  chromium: string
  /** A print that takes longer is killed (default 120 s: a province's year fits well within it). */
  timeoutMs?: number
}

/** Chromium refuses to run as root with its sandbox; the packaged hub runs as its own user and keeps it. */
const runsAsRoot = () => typeof process.getuid === 'function' && process.getuid() === 0

export function chromiumArgs(out: string, profile: string, page: string): string[] {
  return [
    '--headless', '--disable-gpu', '--no-first-run', '--no-default-browser-check', '--disable-extensions',
    '--disable-background-networking', '--disable-component-update', '--disable-sync', '--mute-audio',
    '--no-pdf-header-footer',
    ...(runsAsRoot() ? ['--no-sandbox'] : []),
    `--user-data-dir=${profile}`, `--print-to-pdf=${out}`, page,
  ]
}

export function createPdfPrinter(o: PrinterOptions): PdfPrinter {
  const timeoutMs = o.timeoutMs ?? 120_000
  return {
    async print(html) {
      const dir = await mkdtemp(join(tmpdir(), 'motcua-report-'))
      try {
        const page = join(dir, 'report.html')
        const out = join(dir, 'report.pdf')
        await writeFile(page, html, { mode: 0o600 })
        await run(o.chromium, chromiumArgs(out, join(dir, 'profile'), pathToFileURL(page).href), timeoutMs)
        const pdf = await readFile(out).catch(() => null)
        if (!pdf || pdf.subarray(0, 5).toString('latin1') !== '%PDF-') throw new MotcuaError('HUB_REPORT_PDF_UNAVAILABLE', 'Chromium ended without writing a PDF')
        return pdf
      } finally {
        await rm(dir, { recursive: true, force: true })
      }
    },
  }
}

function run(command: string, args: string[], timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    // Its own process group, so a timeout ends Chromium's helper processes too.
    const child = spawn(command, args, { stdio: ['ignore', 'ignore', 'pipe'], detached: true })
    let stderr = ''
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr = (stderr + d).slice(-2000)))
    const timer = setTimeout(() => {
      try {
        process.kill(-child.pid!, 'SIGKILL')
      } catch {
        // Already gone.
      }
    }, timeoutMs)
    child.once('error', (err: NodeJS.ErrnoException) => {
      clearTimeout(timer)
      reject(new MotcuaError('HUB_REPORT_PDF_UNAVAILABLE', err.code === 'ENOENT' ? `no Chromium at ${command}` : `Chromium could not start: ${err.message}`, { cause: err }))
    })
    child.once('close', (code, signal) => {
      clearTimeout(timer)
      if (code === 0) return resolve()
      const last = stderr.trim().split('\n').at(-1) ?? ''
      reject(new MotcuaError('HUB_REPORT_PDF_UNAVAILABLE', signal ? `Chromium was stopped (${signal}) after ${timeoutMs} ms at most` : `Chromium exited with ${code}: ${last}`))
    })
  })
}
