/**
 * Queue systems that cannot speak MQTT post their ticket events to the edge
 * over HTTP (docs/queue-adapter.md): the `ticket` message of messages.ts
 * plus the counter its topic would have named. The edge turns it into the
 * same `ticket` record a published message makes.
 */
import { z } from 'zod'
import { idSchema } from './ids.js'
import { MAX_DEVICE_PAYLOAD_BYTES, ticketMessage } from './messages.js'

export const TICKET_HTTP_PATH = '/queue/v1/tickets'

/** As for MQTT payloads: an event is a few dozen bytes. */
export const MAX_TICKET_BODY_BYTES = MAX_DEVICE_PAYLOAD_BYTES

export const ticketPost = z.strictObject({ ...ticketMessage.shape, counter: idSchema })
export type TicketPost = z.infer<typeof ticketPost>

/** The edge's answer to an accepted event: `stored` the first time (201), `duplicate` for a resend of its id (200). */
export interface TicketPostAnswer {
  status: 'stored' | 'duplicate'
  id: string
}
