/**
 * The edge's one config file: the site (departments, counters, officers,
 * devices and their credentials) and how the edge runs. Validated once at
 * start; unknown keys are errors so a typo is caught on site, not later.
 */
import { z } from 'zod'
import { idSchema } from '../../protocol/ids.js'
import { DEFAULT_SCALE } from '../../protocol/scales.js'
import { DEVICE_KINDS, scaleSchema } from '../../protocol/messages.js'
import { RESERVED_COUNTER_IDS } from '../../protocol/topics.js'
import { DEFAULT_CAMERA_DOWN_S } from '../health/status.js'
import { hubUrlProblem, tlsSchema } from './tls.js'

/** Device secrets are stored only as "sha256:<64 hex>"; devices hold long random secrets (edge/config/provision.ts). */
export const secretHashSchema = z.string().regex(/^sha256:[0-9a-f]{64}$/, 'a secret hash "sha256:<64 hex digits>" (make one with: motcua-edge provision-device, or npm run provision-device)')

const named = { id: idSchema, name: z.string().min(1).max(120) }

const port = z.number().int().min(0).max(65535)

export const edgeConfigSchema = z
  .strictObject({
    site: z.strictObject({
      ...named,
      branch: idSchema.optional(),
      province: idSchema.optional(),
    }),
    scale: scaleSchema.default(DEFAULT_SCALE),
    reasons: z
      .array(z.strictObject({ id: idSchema, vi: z.string().min(1), en: z.string().min(1) }))
      .default([
        { id: 'wait', vi: 'Thời gian chờ lâu', en: 'Long wait' },
        { id: 'attitude', vi: 'Thái độ phục vụ', en: 'Attitude' },
        { id: 'guidance', vi: 'Hướng dẫn chưa rõ', en: 'Unclear guidance' },
        { id: 'documents', vi: 'Thiếu giấy tờ', en: 'Missing documents' },
      ]),
    departments: z.array(z.strictObject(named)).min(1),
    counters: z.array(z.strictObject({ ...named, department: idSchema, officer: idSchema.optional() })).min(1),
    officers: z
      .array(
        z.strictObject({
          ...named,
          department: idSchema.optional(),
          photo: z.string().optional(),
          /** PIN for kiosk sign-in, stored as "scrypt:<cost>:<salt b64>:<hash b64>" (motcua-edge set-pin). */
          pinHash: z.string().regex(/^scrypt:(\d+:)?[A-Za-z0-9+/=]+:[A-Za-z0-9+/=]+$/, 'a PIN hash "scrypt:<cost>:<salt>:<hash>"').optional(),
        }),
      )
      .default([]),
    devices: z
      .array(
        z.strictObject({
          id: idSchema,
          kind: z.enum(DEVICE_KINDS),
          /** The counter a kiosk or button box serves; a queue system serves the whole site. */
          counter: idSchema.optional(),
          secretHash: secretHashSchema,
          /** A queue system that posts its tickets over HTTP, its secret as bearer token (docs/queue-adapter.md). */
          http: z.boolean().optional(),
        }),
      )
      .default([]),
    broker: z
      .strictObject({
        host: z.string().default('0.0.0.0'),
        mqttPort: port.default(1883),
        wsPort: port.default(8083),
        tls: tlsSchema.optional(),
        allowAnonymous: z.boolean().default(false),
        /** Per-device message rate (edge/misuse/rate.ts, docs/misuse.md); default 5/s after a burst of 100, 50 held. */
        deviceRate: z.strictObject({ perSecond: z.number().positive(), burst: z.number().int().min(1), maxHeld: z.number().int().min(0) }).optional(),
      })
      .default({ host: '0.0.0.0', mqttPort: 1883, wsPort: 8083, allowAnonymous: false }),
    /** The kiosk page, the supervisor page and its live video, /healthz and /metrics; HTTPS with `tls` (the broker's files: one site CA). */
    http: z
      .strictObject({ host: z.string().default('0.0.0.0'), port: port.default(8080), tls: tlsSchema.optional() })
      .default({ host: '0.0.0.0', port: 8080 }),
    hub: z.strictObject({
      /** https://, or http:// to a loopback host only (hubUrlProblem). */
      url: z.url({ protocol: /^https?$/ }),
      /** Bearer token for this edge; prefer tokenFile so the secret is not in the config. */
      token: z.string().min(16).optional(),
      tokenFile: z.string().optional(),
      /** CA bundle that signed the hub's certificate (PEM). */
      ca: z.string().optional(),
      batchSize: z.number().int().min(1).max(5000).default(2000),
      /** Batches on the wire at once; each is deleted only when its own 200 comes (README "Forwarding"). */
      inFlightBatches: z.number().int().min(1).max(16).default(4),
      backoffMinMs: z.number().int().min(10).default(500),
      backoffMaxMs: z.number().int().min(100).default(60_000),
      requestTimeoutMs: z.number().int().min(100).default(15_000),
    }),
    outbox: z
      .strictObject({
        dir: z.string().default('data/edge/outbox'),
        /** Group commit window: writes arriving within it share one fsync. */
        commitWindowMs: z.number().min(0).max(100).default(2),
        /** Disk budget for the outbox; past it low-priority metrics are shed, ratings never. */
        maxBytes: z.number().int().min(1e6).default(2e9),
        /** Free space to keep on the disk; below it nothing new is accepted. */
        minFreeBytes: z.number().int().min(0).default(50e6),
        dedupDays: z.number().min(1).max(365).default(30),
      })
      .default({ dir: 'data/edge/outbox', commitWindowMs: 2, maxBytes: 2e9, minFreeBytes: 50e6, dedupDays: 30 }),
    healthIntervalS: z.number().min(1).default(60),
    /**
     * The kiosk offers a citizen who rated dissatisfied to leave a comment and a phone number for a call back (issue 16,
     * docs/complaints.md). Off by default: turn it on where someone handles the cases in the hub's console.
     */
    complaints: z.boolean().default(false),
    /** What turns /healthz "degraded" beyond the edge's own parts (edge/health/status.ts, docs/cameras.md "Health on /healthz"). */
    health: z
      .strictObject({
        /** A camera not online (offline, no_stream, auth_failed, clock_skew) for this long degrades /healthz, named in the reason; 0: never. */
        cameraDownS: z.number().int().min(0).default(DEFAULT_CAMERA_DOWN_S),
      })
      .default({ cameraDownS: DEFAULT_CAMERA_DOWN_S }),
    /** Misuse filter (docs/misuse.md): presses flagged but kept, and left out of scores. */
    misuse: z
      .strictObject({
        /** A press this soon after the previous one at the counter is `rapid`. */
        rapidWindowS: z.number().min(0).max(600).default(5),
        /** This many presses of one level in a row from one device, each within stuckWindowS of the last, is a stuck button. */
        stuckRepeats: z.number().int().min(2).max(1000).default(5),
        stuckWindowS: z.number().min(0).max(60).default(2),
        /** Presses allowed beyond the tickets called to a counter today before they are `excess`. */
        excessAllowance: z.number().int().min(0).default(0),
      })
      .default({ rapidWindowS: 5, stuckRepeats: 5, stuckWindowS: 2, excessAllowance: 0 }),
    cameras: z
      .array(
        z.strictObject({
          ...named,
          /** ONVIF device service, e.g. http://10.0.0.21/onvif/device_service (no credentials in the URL). */
          onvif: z.url({ protocol: /^https?$/ }),
          username: z.string().default('admin'),
          password: z.string().optional(),
          passwordFile: z.string().optional(),
          /** Counter the camera watches, if it watches one. */
          counter: idSchema.optional(),
          /** More counters in the picture, beyond `counter`: a dissatisfied rating at any of them keeps a clip (docs/recording.md). */
          counters: z.array(idSchema).optional(),
          /** Video kept on the edge: none (absent or off), all of it in a ring, or only around events (docs/recording.md). */
          recording: z.enum(['off', 'continuous', 'events']).optional(),
        }),
      )
      .default([]),
    cameraOptions: z
      .strictObject({
        /** WS-Discovery probe on the site network; found cameras are reported, not used without config. */
        discovery: z.boolean().default(true),
        checkIntervalS: z.number().min(1).default(3),
        snapshotDir: z.string().default('data/edge/snapshots'),
        snapshotMaxFiles: z.number().int().min(1).default(500),
        /** Snapshots older than this are removed (pictures of people: docs/retention.md). */
        snapshotMaxAgeDays: z.number().int().min(1).max(366).default(30),
        /**
         * Keep each online camera's live remux running with nobody watching, so a
         * supervisor or the hub gets a picture at once (the cached keyframe)
         * instead of after a cold ffmpeg and the camera's next keyframe. It costs
         * about 0.3% of a core and 16 MB per camera, and replaces the periodic
         * RTSP probe, which costs more (docs/cameras.md "Warm streams").
         */
        liveWarm: z.boolean().default(true),
      })
      .default({ discovery: true, checkIntervalS: 3, snapshotDir: 'data/edge/snapshots', snapshotMaxFiles: 500, snapshotMaxAgeDays: 30, liveWarm: true }),
    /** Recording on the edge's disk (docs/recording.md): where, how much, how long; defaults and their reasons there. */
    recordingOptions: z
      .strictObject({
        dir: z.string().default('data/edge/recording'),
        segmentS: z.number().int().min(2).max(60).default(10),
        /** Continuous video is kept this long. */
        ringDays: z.number().min(0.01).max(90).default(7),
        /** Budget for all video, kept clips included. */
        maxBytes: z.number().int().min(10e6).default(20e9),
        /** Recording stops while the disk has less free than this: far above outbox.minFreeBytes, so ratings always find room. */
        minFreeBytes: z.number().int().min(0).default(1e9),
        preRollS: z.number().int().min(0).max(600).default(30),
        postRollS: z.number().int().min(0).max(600).default(30),
        /** How long clips are kept, by reason (Decree 13/2023: no longer than the purpose needs; docs/recording.md). */
        keepDays: z
          .strictObject({ rating: z.number().min(1).max(366), tamper: z.number().min(1).max(366), motion: z.number().min(1).max(366), manual: z.number().min(1).max(366) })
          .default({ rating: 90, tamper: 90, motion: 30, manual: 90 }),
      })
      .default({ dir: 'data/edge/recording', segmentS: 10, ringDays: 7, maxBytes: 20e9, minFreeBytes: 1e9, preRollS: 30, postRollS: 30, keepDays: { rating: 90, tamper: 90, motion: 30, manual: 90 } }),
    /** People allowed on the edge's supervisor page; passwords as scrypt hashes (npm run provision-device -- --password). */
    supervisors: z
      .array(z.strictObject({ username: idSchema, name: z.string().min(1), passwordHash: z.string().regex(/^scrypt:/, 'a scrypt hash "scrypt:<salt>:<hash>"') }))
      .default([]),
    /**
     * Bearer token Prometheus sends for /metrics, which counts flagged ratings per officer (issue 11,
     * finding 10); it also opens the detailed /healthz. Without one, both answer only clients on the Pi.
     */
    metricsToken: z.string().min(16).optional(),
  })
  .superRefine((c, ctx) => {
    const ids = (xs: { id: string }[]) => new Set(xs.map((x) => x.id))
    const departments = ids(c.departments)
    const counters = ids(c.counters)
    const officers = ids(c.officers)
    const dup = (xs: { id: string }[], key: string) => {
      const seen = new Set<string>()
      xs.forEach((x, i) => {
        if (seen.has(x.id)) ctx.addIssue({ code: 'custom', path: [key, i, 'id'], message: `duplicate id "${x.id}"` })
        seen.add(x.id)
      })
    }
    dup(c.departments, 'departments')
    dup(c.counters, 'counters')
    dup(c.officers, 'officers')
    dup(c.devices, 'devices')
    dup(c.cameras, 'cameras')
    c.cameras.forEach((cam, i) => {
      if (cam.counter && !counters.has(cam.counter))
        ctx.addIssue({ code: 'custom', path: ['cameras', i, 'counter'], message: `expected one of the counters' ids, got "${cam.counter}"` })
      cam.counters?.forEach((k, j) => {
        if (!counters.has(k)) ctx.addIssue({ code: 'custom', path: ['cameras', i, 'counters', j], message: `expected one of the counters' ids, got "${k}"` })
      })
    })
    c.counters.forEach((k, i) => {
      if (RESERVED_COUNTER_IDS.includes(k.id)) ctx.addIssue({ code: 'custom', path: ['counters', i, 'id'], message: `"${k.id}" is reserved` })
      if (!departments.has(k.department))
        ctx.addIssue({ code: 'custom', path: ['counters', i, 'department'], message: `expected one of the departments' ids, got "${k.department}"` })
      if (k.officer && !officers.has(k.officer))
        ctx.addIssue({ code: 'custom', path: ['counters', i, 'officer'], message: `expected one of the officers' ids, got "${k.officer}"` })
    })
    c.devices.forEach((d, i) => {
      if (d.http && d.kind !== 'queue') ctx.addIssue({ code: 'custom', path: ['devices', i, 'http'], message: 'only a queue system posts tickets over HTTP' })
      if (d.kind === 'queue') return
      if (!d.counter) ctx.addIssue({ code: 'custom', path: ['devices', i, 'counter'], message: `a ${d.kind} must name its counter` })
      else if (!counters.has(d.counter))
        ctx.addIssue({ code: 'custom', path: ['devices', i, 'counter'], message: `expected one of the counters' ids, got "${d.counter}"` })
    })
    const hubUrl = hubUrlProblem(c.hub.url)
    if (hubUrl) ctx.addIssue({ code: 'custom', path: ['hub', 'url'], message: hubUrl })
    // A kiosk page loaded over https may only open wss:// (mixed content), so the broker must speak TLS too.
    if (c.http.tls && !c.broker.tls)
      ctx.addIssue({ code: 'custom', path: ['broker', 'tls'], message: 'expected TLS here too when http.tls is set: a kiosk page served over https connects to MQTT over wss (use the same cert and key)' })
    // Ratings have priority over video: recording must stop long before the outbox refuses a rating for space.
    if (c.cameras.some((cam) => (cam.recording ?? 'off') !== 'off') && c.recordingOptions.minFreeBytes < 2 * c.outbox.minFreeBytes + 100e6)
      ctx.addIssue({ code: 'custom', path: ['recordingOptions', 'minFreeBytes'], message: `expected at least twice outbox.minFreeBytes plus 100 MB (${2 * c.outbox.minFreeBytes + 100e6}), so recording stops long before ratings are refused for space` })
    if (!c.hub.token && !c.hub.tokenFile) ctx.addIssue({ code: 'custom', path: ['hub'], message: 'expected "token" or "tokenFile"' })
  })

export type EdgeConfig = z.output<typeof edgeConfigSchema>
