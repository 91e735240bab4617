/**
 * `motcua-edge`, the technician's command on the edge box (edge/cli/run.ts).
 *   npm run edge-cli -- <command> …      from a checkout
 *   node dist/edge-cli.js <command> …    from the build (scripts/build.ts)
 * An entry point only: it runs whenever it is loaded, so it works through a
 * symlink or a bundle, where comparing import.meta.url with argv[1] does not.
 */
import { EXIT } from '../../common/cli/exit.js'
import { processIo } from '../../common/cli/io.js'
import { runCli } from './run.js'

const io = processIo()
try {
  process.exitCode = await runCli(process.argv.slice(2), io)
} catch (err) {
  // Not an expected failure: a bug, shown with its stack.
  io.err(err instanceof Error ? (err.stack ?? err.message) : String(err))
  process.exitCode = EXIT.INTERNAL
}
