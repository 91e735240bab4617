import { describe, expect, it } from 'vitest'
import { turns } from '../../hub/reports/service.js'

/** A piece of work that ends when the test says so, and says when it started. */
function gate() {
  let open!: () => void
  let started = false
  const done = new Promise<void>((ok) => (open = ok))
  return { work: async () => ((started = true), await done, 'made'), open: () => open(), started: () => started }
}

const tick = () => new Promise((ok) => setImmediate(ok))

describe('reports made in turns', () => {
  it('makes two at once, lets the next ones wait in order, and refuses past the waiting room', async () => {
    const inTurn = turns(2, 3)
    const works = Array.from({ length: 5 }, gate)
    const made = works.map((w) => inTurn(w.work))
    await tick()
    expect(works.map((w) => w.started())).toEqual([true, true, false, false, false])
    await expect(inTurn(async () => 'never')).rejects.toMatchObject({ code: 'HUB_REPORTS_BUSY', message: expect.stringContaining('2 reports are being made and 3 wait') })

    works[1]!.open()
    await tick()
    expect(works.map((w) => w.started())).toEqual([true, true, true, false, false])
    works[0]!.open()
    works[2]!.open()
    await tick()
    expect(works.map((w) => w.started())).toEqual([true, true, true, true, true])
    works[3]!.open()
    works[4]!.open()
    await expect(Promise.all(made)).resolves.toEqual(['made', 'made', 'made', 'made', 'made'])
  })

  it('gives the turn back when a report fails, and takes new work once all are done', async () => {
    const inTurn = turns(1, 1)
    await expect(inTurn(async () => Promise.reject(new Error('database away')))).rejects.toThrow('database away')
    const a = gate()
    const first = inTurn(a.work)
    const second = inTurn(async () => 'second')
    await tick()
    await expect(inTurn(async () => 'third')).rejects.toMatchObject({ code: 'HUB_REPORTS_BUSY' })
    a.open()
    await expect(Promise.all([first, second])).resolves.toEqual(['made', 'second'])
    await expect(inTurn(async () => 'after')).resolves.toBe('after')
  })
})
