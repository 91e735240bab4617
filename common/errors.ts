/**
 * The one catalogue of error codes. Every error a device, an edge or an API
 * client can see carries one of these codes; docs/errors.md lists them and a
 * test keeps the two in step.
 */
export const ERRORS = {
  // Device → edge (sent on the device's error topic, logged, counted).
  EDGE_PAYLOAD_TOO_LARGE: 'payload is larger than the limit for device messages',
  EDGE_PAYLOAD_NOT_JSON: 'payload is not valid UTF-8 JSON',
  EDGE_PAYLOAD_INVALID: 'payload does not match the message schema',
  EDGE_TOPIC_UNKNOWN: 'topic is not part of the protocol',
  EDGE_TOPIC_FORBIDDEN: 'device may not publish to this topic',
  EDGE_SUBSCRIBE_FORBIDDEN: 'device may not subscribe to this topic',
  EDGE_AUTH_FAILED: 'unknown device or wrong password',
  EDGE_SCALE_MISMATCH: "rating scale differs from the site's configured scale",
  EDGE_REASON_UNKNOWN: 'reason code is not configured for this site',
  EDGE_PIN_WRONG: 'officer id or PIN is wrong',
  EDGE_DISK_FULL: 'edge storage is full; the message was not acknowledged',
  EDGE_STORE_FAILED: 'edge could not store the message; it was not acknowledged',
  EDGE_CONFIG_INVALID: 'edge configuration is invalid',
  EDGE_OUTBOX_FORMAT: 'the outbox on disk is in a format this edge cannot read',
  // Edge supervisor page (HTTP/WebSocket API on the edge).
  EDGE_SESSION_REQUIRED: 'sign in as a supervisor first',
  EDGE_CAMERA_UNKNOWN: 'no camera with this id on this site',
  EDGE_SNAPSHOT_FAILED: 'the camera did not give a snapshot',
  EDGE_HUB_UNREACHABLE: 'the hub could not be reached or did not answer in time; records stay queued',
  EDGE_HUB_UNEXPECTED: 'the hub gave an answer outside its contract; records stay queued',
  // Edge → hub (HTTP API).
  HUB_AUTH_FAILED: 'missing or wrong edge token',
  HUB_SITE_FORBIDDEN: 'the token does not belong to this site',
  HUB_BATCH_INVALID: 'batch does not match the batch schema',
  HUB_RECORD_INVALID: 'record does not match the record schema',
  HUB_RECORD_FUTURE: "record time is later than the hub's clock plus the allowed skew",
  HUB_BODY_TOO_LARGE: 'request body is larger than the limit',
  HUB_DB_UNAVAILABLE: 'the database did not accept the write; retry later',
  HUB_OVERLOADED: 'too many writes in progress; retry later',
  HUB_NOT_FOUND: 'no such endpoint',
  HUB_INTERNAL: 'the hub failed unexpectedly; retry later',
  HUB_CONFIG_INVALID: 'hub configuration is invalid',
  HUB_ALERT_NOT_FOUND: 'no alert with this id',
  HUB_ALERT_ACK_INVALID: 'the alert cannot be acknowledged this way',
  // KPI API for the operations center (hub/api).
  HUB_API_KEY_INVALID: 'missing or wrong API key',
  HUB_API_FORBIDDEN: 'this API key may not read this site',
  HUB_QUERY_INVALID: 'query parameters are invalid',
  HUB_DB_QUERY_FAILED: 'the database could not answer the query; retry later',
  // Province console (hub/console) and camera relay (hub/relay).
  HUB_SESSION_REQUIRED: 'sign in to the console first, or the session has ended',
  HUB_CONSOLE_FORBIDDEN: 'your role may not see this',
  HUB_CAMERA_UNKNOWN: 'no such camera known to this hub',
} as const

export type ErrorCode = keyof typeof ERRORS

/** An expected failure with a stable code; anything else is a bug. */
export class MotcuaError extends Error {
  readonly code: ErrorCode
  constructor(code: ErrorCode, detail?: string, options?: { cause?: unknown }) {
    super(detail ? `${ERRORS[code]}: ${detail}` : ERRORS[code], options)
    this.code = code
    this.name = 'MotcuaError'
  }
}

export const isMotcuaError = (e: unknown): e is MotcuaError => e instanceof MotcuaError
