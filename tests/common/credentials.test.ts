import { describe, expect, it } from 'vitest'
import { secretsOf, stripCredentials } from '../../common/credentials.js'

// The forms camera passwords take in the field (issue 11, finding 3): `@`, `:`, `/` and `%`-escapes, escaped or pasted raw.
const FORMS: [string, string][] = [
  ['rtsp://admin:S3cret@127.0.0.1:1/x: Connection refused', 'rtsp://127.0.0.1:1/x: Connection refused'],
  ['rtsp://admin:p%40ss:w0rd@10.0.0.5:554/Streaming/Channels/101', 'rtsp://10.0.0.5:554/Streaming/Channels/101'],
  ['rtsp://admin:p@ss@10.0.0.5/stream1: 401 Unauthorized', 'rtsp://10.0.0.5/stream1: 401 Unauthorized'],
  ['rtsp://admin:p@ss:w0rd@10.0.0.5:554/x', 'rtsp://10.0.0.5:554/x'],
  ['rtsp://admin:a/b@c@10.0.0.5/x', 'rtsp://10.0.0.5/x'],
  ['rtsp://admin:p%3Ass%25@10.0.0.5/x', 'rtsp://10.0.0.5/x'],
  ['rtsp://admin@10.0.0.5/x', 'rtsp://10.0.0.5/x'],
  ['ffmpeg failed on rtsp://u:p@h/s and http://x:y@h2/snap.jpg', 'ffmpeg failed on rtsp://h/s and http://h2/snap.jpg'],
  ['http://10.0.0.21/onvif/device_service', 'http://10.0.0.21/onvif/device_service'],
]

describe('stripCredentials', () => {
  it.each(FORMS)('%s', (text, expected) => {
    expect(stripCredentials(text)).toBe(expected)
  })

  it('removes a known password quoted outside a URL, raw and %-escaped, but not a too-short one', () => {
    const secrets = secretsOf('rtsp://admin:p%40ss:w0rd@10.0.0.5/x')
    expect(secrets).toContain('p@ss:w0rd')
    expect(stripCredentials('login p@ss:w0rd refused; sent p%40ss%3Aw0rd', secrets)).toBe('login [redacted] refused; sent [redacted]')
    expect(stripCredentials('a camera at 10.0.0.5', ['a'])).toBe('a camera at 10.0.0.5')
    expect(secretsOf('not a url')).toEqual([])
  })
})
