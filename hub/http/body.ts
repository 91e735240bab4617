/** Reads a request body up to a limit; gzip bodies (slow edge uplinks) are limited after decompression too. */
import type { IncomingMessage } from 'node:http'
import type { Readable } from 'node:stream'
import { createGunzip } from 'node:zlib'
import { MotcuaError } from '../../common/errors.js'

/** A request whose Content-Length is over the limit, known before any of its body is read: the error, else null. */
export function declaredTooLarge(req: IncomingMessage, limit: number): MotcuaError | null {
  const declared = Number(req.headers['content-length'])
  return declared > limit ? new MotcuaError('HUB_BODY_TOO_LARGE', `${declared} bytes > ${limit}`) : null
}

export function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const tooLarge = declaredTooLarge(req, limit)
  if (tooLarge) return Promise.reject(tooLarge)
  const encoding = (req.headers['content-encoding'] ?? 'identity').toLowerCase()
  if (encoding !== 'identity' && encoding !== 'gzip') {
    return Promise.reject(new MotcuaError('HUB_BATCH_INVALID', `unsupported content-encoding ${encoding}`))
  }
  const source: Readable = encoding === 'gzip' ? req.pipe(createGunzip()) : req
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    let size = 0
    let done = false
    const finish = (err: Error | null) => {
      if (done) return
      done = true
      if (err) {
        if (source !== req) source.destroy()
        reject(err)
      } else {
        resolve(Buffer.concat(chunks, size))
      }
    }
    source.on('data', (chunk: Buffer) => {
      size += chunk.length
      if (size > limit) {
        finish(new MotcuaError('HUB_BODY_TOO_LARGE', `more than ${limit} bytes`))
        // The rest is read and dropped so the client sees the 413; past this, the sender is abusive.
        if (size > 4 * limit) req.destroy()
      } else if (!done) chunks.push(chunk)
    })
    source.on('end', () => finish(null))
    source.on('error', (err) => finish(new MotcuaError('HUB_BATCH_INVALID', `body could not be read: ${err.message}`, { cause: err })))
    req.on('aborted', () => finish(new Error('request aborted')))
  })
}
