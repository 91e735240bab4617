/** Bare aedes in its own process, for a baseline measured the same way as the edge. */
import { startBareAedes } from './bare-aedes.js'

const broker = await startBareAedes()
process.stdout.write(`${JSON.stringify({ msg: 'bare aedes listening', url: broker.url })}\n`)
process.once('SIGTERM', () => void broker.stop().then(() => process.exit(0)))
