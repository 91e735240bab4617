/**
 * What the edge tells the kiosk page when it serves it: shared by the edge's
 * handler (edge/kiosk/) that writes it into the HTML and the kiosk's browser
 * code (devices/kiosk/browser/) that reads it.
 * No secrets here: the device secret never leaves the tablet's storage.
 */
export interface KioskEnv {
  /** Device id from the page URL (`/kiosk/?device=kiosk-q01`). */
  device: string
  site: string
  /** The counter this device serves, or null when the edge does not know the device. */
  counter: string | null
  /** Broker WebSocket port on the same host as the page (ws on http, wss on https). */
  wsPort: number
  wsPath: string
  heartbeatMs: number
  /** App version reported in the status message. */
  fw: string
  /** How long the thank-you screen stays before the start screen returns. */
  thanksMs: number
  /** A citizen who walks away from the reason chips: the rating is sent after this long. */
  idleMs: number
  /** A called ticket is offered for rating this long, then dropped. */
  promptTtlMs: number
  /** Whether a dissatisfied rating is followed by the offer of a complaint (issue 16); absent: no. */
  complaints?: boolean
}

export const KIOSK_ENV_ELEMENT_ID = 'kiosk-env'
