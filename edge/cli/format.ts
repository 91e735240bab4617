/** Numbers as a technician reads them: ages in s/min/h/d, sizes in kB/MB/GB. */

export function age(seconds: number): string {
  const s = Math.max(0, Math.round(seconds))
  if (s < 90) return `${s} s`
  if (s < 90 * 60) return `${Math.round(s / 60)} min`
  if (s < 48 * 3600) return `${Math.floor(s / 3600)} h ${Math.round((s % 3600) / 60)} min`
  return `${Math.round(s / 86_400)} d`
}

export function size(bytes: number): string {
  if (bytes < 1000) return `${bytes} B`
  const [n, unit] = bytes < 1e6 ? [bytes / 1e3, 'kB'] : bytes < 1e9 ? [bytes / 1e6, 'MB'] : [bytes / 1e9, 'GB']
  return `${n < 10 ? n.toFixed(1) : Math.round(n)} ${unit}`
}

export const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`

/** A URL as it may be shown: no user:password@, no query (a token may ride in it). */
export function publicUrl(url: string): string {
  try {
    const u = new URL(url)
    u.username = ''
    u.password = ''
    u.search = ''
    u.hash = ''
    return u.toString()
  } catch {
    return '(not a URL)'
  }
}
