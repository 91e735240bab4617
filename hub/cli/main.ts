/**
 * `motcua-hub <command>` (hub/cli/run.ts).
 *   npm run hub-cli -- <command> …      from a checkout
 *   node dist/hub-cli.js <command> …    from the build (scripts/build.ts)
 * An entry point only: it runs whenever it is loaded.
 */
import { EXIT } from '../../common/cli/exit.js'
import { processIo } from '../../common/cli/io.js'
import { runHubCli } from './run.js'

const io = processIo()
try {
  process.exitCode = await runHubCli(process.argv.slice(2), io)
} catch (err) {
  // Not an expected failure: a bug, shown with its stack.
  io.err(err instanceof Error ? (err.stack ?? err.message) : String(err))
  process.exitCode = EXIT.INTERNAL
}
