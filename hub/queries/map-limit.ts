/**
 * `fn` over every item, at most `limit` at a time, results in item order.
 * After a failure no new item starts; the ones running are let finish (so
 * nothing is left talking to the database once this settles), then it
 * rejects with the first failure.
 */
export async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length)
  const failures: unknown[] = []
  let next = 0
  const lane = async () => {
    while (failures.length === 0 && next < items.length) {
      const i = next++
      try {
        out[i] = await fn(items[i]!)
      } catch (err) {
        failures.push(err)
      }
    }
  }
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, lane))
  if (failures.length) throw failures[0]
  return out
}
