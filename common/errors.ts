/**
 * The one catalogue of error codes. Every error a device, an edge or an API
 * client can see carries one of these codes; docs/errors.md lists them and a
 * test keeps the two in step. A code an HTTP answer carries also names its
 * status here (as fastify's createError(code, message, statusCode) does), so
 * no route picks a status of its own.
 */
interface Entry {
  message: string
  /** The HTTP status of an answer with this code; none for codes only devices, logs or programs see. */
  status?: number
}

const CATALOGUE = {
  // Device → edge (sent on the device's error topic, logged, counted).
  EDGE_PAYLOAD_TOO_LARGE: { message: 'payload is larger than the limit for device messages' },
  EDGE_PAYLOAD_NOT_JSON: { message: 'payload is not valid UTF-8 JSON' },
  EDGE_PAYLOAD_INVALID: { message: 'payload does not match the message schema' },
  EDGE_TOPIC_UNKNOWN: { message: 'topic is not part of the protocol' },
  EDGE_TOPIC_FORBIDDEN: { message: 'device may not publish to this topic' },
  EDGE_SUBSCRIBE_FORBIDDEN: { message: 'device may not subscribe to this topic' },
  EDGE_AUTH_FAILED: { message: 'unknown device or wrong password' },
  EDGE_SCALE_MISMATCH: { message: "rating scale differs from the site's configured scale" },
  EDGE_REASON_UNKNOWN: { message: 'reason code is not configured for this site' },
  EDGE_PIN_WRONG: { message: 'officer id or PIN is wrong' },
  EDGE_RATE_LIMITED: { message: 'device sends faster than a person can; the message was not acknowledged, send it again later' },
  EDGE_DISK_FULL: { message: 'edge storage is full; the message was not acknowledged' },
  EDGE_STORE_FAILED: { message: 'edge could not store the message; it was not acknowledged' },
  EDGE_CONFIG_INVALID: { message: 'edge configuration is invalid' },
  EDGE_OUTBOX_FORMAT: { message: 'the outbox on disk is in a format this edge cannot read' },
  // Edge HTTP server: any path (the names predate the EDGE_ prefix; clients know them).
  NOT_FOUND: { message: 'no such endpoint', status: 404 },
  METHOD_NOT_ALLOWED: { message: 'this endpoint does not take this method', status: 405 },
  INTERNAL: { message: 'internal error', status: 500 },
  EDGE_PATH_INVALID: { message: 'the path is not validly percent-encoded', status: 400 },
  EDGE_METRICS_REFUSED: { message: 'metrics need the metrics token (without one configured, a client on the edge itself)', status: 401 },
  // Edge supervisor page (HTTP/WebSocket API on the edge).
  EDGE_SESSION_REQUIRED: { message: 'sign in as a supervisor first', status: 401 },
  EDGE_CAMERA_UNKNOWN: { message: 'no camera with this id on this site', status: 404 },
  EDGE_SNAPSHOT_FAILED: { message: 'the camera did not give a snapshot', status: 502 },
  EDGE_AUDIT_UNAVAILABLE: { message: 'the viewing could not be recorded for the audit log, so it is not shown; retry later', status: 503 },
  // Queue systems posting tickets over HTTP (edge/ingest/ticket-http.ts, docs/queue-adapter.md).
  EDGE_TICKET_AUTH_FAILED: { message: 'missing or wrong queue system token', status: 401 },
  EDGE_TICKET_MEDIA_TYPE: { message: 'the body must be JSON (content-type: application/json)', status: 415 },
  EDGE_TICKET_TOO_LARGE: { message: 'the body is larger than a ticket event can be', status: 413 },
  EDGE_TICKET_INVALID: { message: 'the ticket event is not valid', status: 400 },
  EDGE_TICKET_NOT_STORED: { message: 'the edge could not store the ticket event; it was not accepted, send it again later', status: 503 },
  EDGE_TICKET_RATE_LIMITED: { message: 'the queue system sends more events than a hall makes; this one was not accepted, send it again later', status: 429 },
  EDGE_HUB_UNREACHABLE: { message: 'the hub could not be reached or did not answer in time; records stay queued' },
  EDGE_HUB_UNEXPECTED: { message: 'the hub gave an answer outside its contract; records stay queued' },
  // Edge → hub (HTTP API).
  HUB_AUTH_FAILED: { message: 'missing or wrong edge token', status: 401 },
  HUB_SITE_FORBIDDEN: { message: 'the token does not belong to this site', status: 403 },
  HUB_BATCH_INVALID: { message: 'batch does not match the batch schema', status: 400 },
  HUB_RECORD_INVALID: { message: 'record does not match the record schema' },
  HUB_RECORD_FUTURE: { message: "record time is later than the hub's clock plus the allowed skew" },
  HUB_BODY_TOO_LARGE: { message: 'request body is larger than the limit', status: 413 },
  HUB_DB_UNAVAILABLE: { message: 'the database did not accept the write; retry later', status: 503 },
  HUB_OVERLOADED: { message: 'too many writes in progress; retry later', status: 503 },
  HUB_NOT_FOUND: { message: 'no such endpoint', status: 404 },
  HUB_METHOD_NOT_ALLOWED: { message: 'this endpoint does not take this method', status: 405 },
  HUB_PATH_INVALID: { message: 'the path is not validly percent-encoded', status: 400 },
  HUB_METRICS_REFUSED: { message: 'metrics need the metrics token (without one configured, a client on the hub itself)', status: 401 },
  HUB_INTERNAL: { message: 'the hub failed unexpectedly; retry later', status: 500 },
  HUB_CONFIG_INVALID: { message: 'hub configuration is invalid' },
  HUB_ALERT_NOT_FOUND: { message: 'no alert with this id', status: 404 },
  HUB_ALERT_ACK_INVALID: { message: 'the alert cannot be acknowledged this way', status: 400 },
  // KPI API for the operations center (hub/api).
  HUB_API_KEY_INVALID: { message: 'missing or wrong API key', status: 401 },
  HUB_API_FORBIDDEN: { message: 'this API key may not read this site', status: 403 },
  HUB_QUERY_INVALID: { message: 'query parameters are invalid', status: 400 },
  HUB_SPAN_TOO_LONG: { message: 'the time span asked for is too long', status: 400 },
  HUB_DB_QUERY_FAILED: { message: 'the database could not answer the query; retry later', status: 503 },
  HUB_STREAM_LIMIT: { message: 'too many event streams open; retry later', status: 429 },
  HUB_AUDIT_UNAVAILABLE: { message: 'the export could not be put on the audit log, so it was refused; retry later', status: 503 },
  // Province console (hub/console) and camera relay (hub/relay).
  HUB_SESSION_REQUIRED: { message: 'sign in to the console first, or the session has ended', status: 401 },
  HUB_CONSOLE_FORBIDDEN: { message: 'your role may not see this', status: 403 },
  HUB_CAMERA_UNKNOWN: { message: 'no such camera known to this hub', status: 404 },
  // Reports and their delivery (hub/reports, hub/delivery).
  HUB_REPORT_PDF_UNAVAILABLE: { message: 'the PDF could not be printed (Chromium is missing or failed); the Excel and web reports still work', status: 503 },
  HUB_REPORTS_BUSY: { message: 'the hub is making as many reports as it may at once; retry in a few seconds', status: 503 },
  HUB_MAIL_FAILED: { message: 'a scheduled report could not be delivered by email; it is tried again later' },
  HUB_ALERT_DELIVERY_FAILED: { message: 'an alert message could not be delivered by email or webhook; it is tried again later unless given up' },
  // Complaint cases (hub/cases).
  HUB_CASE_NOT_FOUND: { message: 'no complaint case with this id at this site', status: 404 },
  HUB_CASE_ACTION_INVALID: { message: 'this action does not fit the case or its fields are invalid', status: 400 },
  HUB_REASON_REQUIRED: { message: 'recorded video is watched or exported only with a reason typed in', status: 400 },
  HUB_EDGE_OFFLINE: { message: "the site's edge has no tunnel to this hub now; retry when it is back", status: 503 },
  HUB_RECORDING_UNSUPPORTED: { message: "the site's edge cannot serve recordings (an older release, or recording is off)", status: 501 },
  HUB_RECORDING_NOT_FOUND: { message: 'nothing recorded for this camera and time', status: 404 },
  HUB_EDGE_REQUEST_FAILED: { message: "the site's edge did not answer in time or failed; retry later", status: 502 },
} as const satisfies Record<string, Entry>

export type ErrorCode = keyof typeof CATALOGUE

/** The codes an HTTP answer may carry: those with a status. */
export type HttpErrorCode = { [C in ErrorCode]: (typeof CATALOGUE)[C] extends { status: number } ? C : never }[ErrorCode]

/** Each code's message. */
export const ERRORS = Object.fromEntries(Object.entries(CATALOGUE).map(([code, e]) => [code, e.message])) as { readonly [C in ErrorCode]: (typeof CATALOGUE)[C]['message'] }

/** The HTTP status of a code, or undefined for a code no HTTP answer carries. */
export function httpStatus(code: ErrorCode): number | undefined {
  const e: Entry = CATALOGUE[code]
  return e.status
}

/** The text of an error: the catalogue's message, then the detail that names what was wrong. */
export const errorMessage = (code: ErrorCode, detail?: string): string => (detail ? `${ERRORS[code]}: ${detail}` : ERRORS[code])

/** An expected failure with a stable code; anything else is a bug. */
export class MotcuaError extends Error {
  readonly code: ErrorCode
  constructor(code: ErrorCode, detail?: string, options?: { cause?: unknown }) {
    super(errorMessage(code, detail), options)
    this.code = code
    this.name = 'MotcuaError'
  }
}

export const isMotcuaError = (e: unknown): e is MotcuaError => e instanceof MotcuaError
