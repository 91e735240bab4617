/** A plain aedes broker with in-memory persistence and no hooks: the baseline the edge is compared with. */
import { Aedes } from 'aedes'
import { createServer, type AddressInfo } from 'node:net'

export async function startBareAedes(): Promise<{ url: string; stop: () => Promise<void> }> {
  const broker = await Aedes.createBroker()
  const server = createServer(broker.handle)
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: `mqtt://127.0.0.1:${port}`,
    stop: async () => {
      await new Promise<void>((resolve) => server.close(() => resolve()))
      await new Promise<void>((resolve) => broker.close(() => resolve()))
    },
  }
}
