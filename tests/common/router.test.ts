import { describe, expect, it } from 'vitest'
import { Router } from '../../common/web/router.js'

const router = new Router<string>()
  .add('GET', '/healthz', 'health')
  .add('POST', '/v1/batches', 'batch')
  .add('GET', '/api/v1/sites/:site/alerts', 'site alerts')
  .add('POST', '/api/v1/alerts/:id/ack', 'ack')
  .add('GET', '/supervisor/snapshots/*name', 'snapshot')
  .mount('/kiosk', 'kiosk')

describe('router', () => {
  it('matches a literal path by method', () => {
    expect(router.match('GET', '/healthz')).toEqual({ kind: 'found', handler: 'health', params: {} })
    expect(router.match('get', '/healthz')).toMatchObject({ kind: 'found', handler: 'health' })
  })

  it('answers 404 for an unknown path and 405 with the allowed methods for a known one', () => {
    expect(router.match('GET', '/nothing-here')).toEqual({ kind: 'not_found' })
    expect(router.match('GET', '/healthz/')).toEqual({ kind: 'not_found' })
    expect(router.match('POST', '/healthz')).toEqual({ kind: 'method_not_allowed', allow: 'GET' })
    expect(router.match('GET', '/v1/batches')).toEqual({ kind: 'method_not_allowed', allow: 'POST' })
  })

  it('gives named parameters decoded, and never matches an empty one', () => {
    expect(router.match('GET', '/api/v1/sites/ct-a/alerts')).toEqual({ kind: 'found', handler: 'site alerts', params: { site: 'ct-a' } })
    expect(router.match('POST', '/api/v1/alerts/edge_silent%3Act-a%3A12/ack')).toMatchObject({ params: { id: 'edge_silent:ct-a:12' } })
    expect(router.match('GET', '/api/v1/sites//alerts')).toEqual({ kind: 'not_found' })
  })

  it('a trailing *name takes the rest of the path, a bare * any method under a mount', () => {
    expect(router.match('GET', '/supervisor/snapshots/a/b%20c.jpg')).toMatchObject({ params: { name: 'a/b c.jpg' } })
    expect(router.match('GET', '/supervisor/snapshots')).toEqual({ kind: 'not_found' })
    expect(router.match('HEAD', '/kiosk')).toMatchObject({ kind: 'found', handler: 'kiosk' })
    expect(router.match('POST', '/kiosk/')).toMatchObject({ kind: 'found', handler: 'kiosk', params: {} })
    expect(router.match('GET', '/kiosk/%zz')).toMatchObject({ kind: 'found', handler: 'kiosk' })
    expect(router.match('GET', '/kiosker')).toEqual({ kind: 'not_found' })
  })

  it('a malformed percent-escape in a parameter is a bad path, not a throw', () => {
    expect(router.match('POST', '/api/v1/alerts/%E0%A4%A/ack')).toEqual({ kind: 'bad_path' })
    expect(router.match('GET', '/api/v1/sites/%zz/alerts')).toEqual({ kind: 'bad_path' })
    expect(router.match('GET', '/supervisor/snapshots/%')).toEqual({ kind: 'bad_path' })
  })

  it('compares literal segments undecoded, so an escape is no way round a fixed path', () => {
    expect(router.match('GET', '/health%7A')).toEqual({ kind: 'not_found' })
  })

  it('lists every method a path takes, in order', () => {
    const r = new Router<number>().add('POST', '/x', 1).add('GET', '/x', 2).add('DELETE', '/x/:id', 3)
    expect(r.match('PUT', '/x')).toEqual({ kind: 'method_not_allowed', allow: 'GET, POST' })
    expect(r.match('GET', '/x/7')).toEqual({ kind: 'method_not_allowed', allow: 'DELETE' })
  })

  it('refuses a pattern that is not a path', () => {
    expect(() => new Router<number>().add('GET', 'healthz', 1)).toThrow(/must start with/)
  })
})
