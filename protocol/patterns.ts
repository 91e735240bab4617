/**
 * The identifier patterns as bare regexes, with no zod: the kiosk's browser
 * bundle builds topics and checks tickets with them, and importing ids.ts
 * there would pull zod (~100 KB) into every tablet's page load.
 */

/** Site, counter, department, officer and device ids: safe as MQTT topic levels and InfluxDB tag values. */
export const ID_PATTERN = /^[a-z0-9][a-z0-9-]{0,31}$/

/** Event ids are chosen by the device and must be unique per device, so a resend is recognisable. */
export const EVENT_ID_PATTERN = /^[A-Za-z0-9_-]{8,64}$/

/** Officer PINs typed on the kiosk; the edge config keeps only their scrypt hash (motcua-edge set-pin). */
export const PIN_PATTERN = /^[0-9]{4,8}$/

/** Queue-ticket numbers as printed by hall queue systems (e.g. "A123", "2-045"). */
export const TICKET_PATTERN = /^[A-Za-z0-9-]{1,16}$/
