/**
 * Inline SVG charts as strings (pure, no DOM): a donut of rating levels, a
 * 14-day line of the satisfaction index, a gauge for the index. Every text
 * is escaped; the page inserts the markup as is.
 */

export const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;')

/** Level colours by the level's word, so "Không hài lòng" is the same red on a 3-, 4- or 5-level scale. */
export function levelColour(level: number, scale: number): string {
  const ramp = ['#2fa45c', '#7cc24a', '#e0b52c', '#d23b3b', '#8e1f1f']
  const pick = scale === 3 ? [1, 2, 3] : scale === 4 ? [0, 1, 2, 3] : [0, 1, 2, 3, 4]
  return ramp[pick[level - 1] ?? 4] ?? '#888'
}

/** Index 0–100 to a colour: red below 50, amber to 80, green above. */
export const indexColour = (v: number | null) => (v === null ? '#4a5a6e' : v >= 80 ? '#2fa45c' : v >= 50 ? '#e0b52c' : '#d23b3b')

export interface Slice {
  label: string
  value: number
  colour: string
}

export function donut(slices: readonly Slice[], centre: string, caption: string, size = 180): string {
  const total = slices.reduce((a, s) => a + s.value, 0)
  const r = size / 2 - 14
  const c = size / 2
  const circ = 2 * Math.PI * r
  let offset = 0
  const arcs = total === 0
    ? `<circle cx="${c}" cy="${c}" r="${r}" fill="none" stroke="#243244" stroke-width="22"/>`
    : slices
        .filter((s) => s.value > 0)
        .map((s) => {
          const len = (s.value / total) * circ
          const arc = `<circle cx="${c}" cy="${c}" r="${r}" fill="none" stroke="${s.colour}" stroke-width="22" stroke-dasharray="${len.toFixed(2)} ${(circ - len).toFixed(2)}" stroke-dashoffset="${(-offset).toFixed(2)}" transform="rotate(-90 ${c} ${c})"><title>${esc(s.label)}: ${s.value}</title></circle>`
          offset += len
          return arc
        })
        .join('')
  return `<svg viewBox="0 0 ${size} ${size}" width="${size}" height="${size}" role="img" aria-label="${esc(caption)}">${arcs}` +
    `<text x="${c}" y="${c + 2}" text-anchor="middle" style="font-size:26px;font-weight:700;fill:#e6edf5">${esc(centre)}</text>` +
    `<text x="${c}" y="${c + 22}" text-anchor="middle">${esc(caption)}</text></svg>`
}

export interface TrendPoint {
  label: string
  value: number | null
  count: number
}

/** A line of the index over days, with count bars behind it; gaps where a day had no rating. */
export function trendChart(points: readonly TrendPoint[], width = 520, height = 180): string {
  const padL = 30
  const padB = 22
  const w = width - padL - 8
  const h = height - padB - 10
  const n = Math.max(points.length, 1)
  const x = (i: number) => padL + (n === 1 ? w / 2 : (i * w) / (n - 1))
  const y = (v: number) => 10 + h - (v / 100) * h
  const maxCount = Math.max(1, ...points.map((p) => p.count))
  const grid = [0, 50, 80, 100]
    .map((v) => `<line x1="${padL}" x2="${padL + w}" y1="${y(v)}" y2="${y(v)}" stroke="#243244"/><text x="${padL - 4}" y="${y(v) + 4}" text-anchor="end">${v}</text>`)
    .join('')
  const barW = Math.max(2, w / n / 2)
  const bars = points
    .map((p, i) => `<rect x="${(x(i) - barW / 2).toFixed(1)}" y="${(10 + h - (p.count / maxCount) * h * 0.5).toFixed(1)}" width="${barW.toFixed(1)}" height="${((p.count / maxCount) * h * 0.5).toFixed(1)}" fill="#2b3d55"><title>${esc(p.label)}: ${p.count}</title></rect>`)
    .join('')
  let path = ''
  let pen = false
  points.forEach((p, i) => {
    if (p.value === null) return void (pen = false)
    path += `${pen ? 'L' : 'M'}${x(i).toFixed(1)} ${y(p.value).toFixed(1)}`
    pen = true
  })
  const dots = points
    .map((p, i) => (p.value === null ? '' : `<circle cx="${x(i).toFixed(1)}" cy="${y(p.value).toFixed(1)}" r="3.5" fill="${indexColour(p.value)}"><title>${esc(p.label)}: ${p.value.toFixed(1)}</title></circle>`))
    .join('')
  const labels = points
    .map((p, i) => (i % Math.ceil(n / 7) === 0 || i === n - 1 ? `<text x="${x(i).toFixed(1)}" y="${height - 6}" text-anchor="middle">${esc(p.label.slice(5))}</text>` : ''))
    .join('')
  return `<svg viewBox="0 0 ${width} ${height}" width="100%" height="${height}" role="img">${grid}${bars}<path d="${path}" fill="none" stroke="#6fb1ff" stroke-width="2.5"/>${dots}${labels}</svg>`
}

/** A half-circle gauge for the satisfaction index. */
export function gauge(value: number | null, caption: string, size = 150): string {
  const r = size / 2 - 12
  const c = size / 2
  const arc = (v: number) => {
    const a = Math.PI * (1 - v / 100)
    return `${(c + r * Math.cos(a)).toFixed(1)} ${(c - r * Math.sin(a)).toFixed(1)}`
  }
  const bg = `<path d="M${c - r} ${c} A${r} ${r} 0 0 1 ${c + r} ${c}" fill="none" stroke="#243244" stroke-width="14" stroke-linecap="round"/>`
  const fg = value === null || value <= 0 ? '' : `<path d="M${c - r} ${c} A${r} ${r} 0 0 1 ${arc(Math.min(100, value))}" fill="none" stroke="${indexColour(value)}" stroke-width="14" stroke-linecap="round"/>`
  return `<svg viewBox="0 0 ${size} ${c + 20}" width="${size}" height="${c + 20}" role="img" aria-label="${esc(caption)}">${bg}${fg}` +
    `<text x="${c}" y="${c - 6}" text-anchor="middle" style="font-size:28px;font-weight:700;fill:#e6edf5">${value === null ? '–' : value.toFixed(1)}</text>` +
    `<text x="${c}" y="${c + 14}" text-anchor="middle">${esc(caption)}</text></svg>`
}
