/**
 * Known data for the published-results tests (hub/public): two sites with
 * their directories (departments and officers with names), this month's
 * ratings with officers and misuse flags, last month's ratings that must not
 * count, and the figures hub/kpi's pure functions give for them.
 */
import { seededRandom } from '../../common/random.js'
import { hashSecret } from '../../common/secrets.js'
import { DAY_MS } from '../../common/time.js'
import { hubConfigSchema, type HubConfig } from '../../hub/config/schema.js'
import { ratingFact } from '../../hub/kpi/facts.js'
import { ratingKpis } from '../../hub/kpi/ratings.js'
import { bucketOf } from '../../hub/kpi/time.js'
import type { PublicFigure } from '../../hub/public/view.js'
import type { EdgeRecord, RatingRecord } from '../../protocol/records.js'
import { isDissatisfied, normalisedScore } from '../../protocol/scales.js'

/** The month being shown: the hub's clock is fixed three and a half days into the current local month. */
export const MONTH = bucketOf(Date.now(), 'month')
export const NOW = MONTH.start + 3 * DAY_MS + 12 * 3_600_000

export const SITES = {
  'ct-center': {
    name: 'Trung tâm Phục vụ hành chính công Cần Thơ',
    departments: {
      'tu-phap': 'Sở Tư pháp', 'y-te': 'Sở Y tế', 'xay-dung': 'Sở Xây dựng', 'giao-thong': 'Sở Giao thông vận tải',
      'noi-vu': 'Sở Nội vụ', 'bhxh': 'Bảo hiểm xã hội thành phố',
    },
  },
  'ct-ninh-kieu': { name: 'Chi nhánh Ninh Kiều', departments: { 'tu-phap': 'Sở Tư pháp', 'tai-nguyen': 'Sở Tài nguyên và Môi trường' } },
} as const
export type SiteId = keyof typeof SITES
/** Posted at both sites and named in the directories: never on a public screen. */
export const OFFICERS = { 'quach-thi-rieng': 'Quách Thị Riêng', 'vuong-van-kin': 'Vương Văn Kín', 'au-thi-mat': 'Âu Thị Mật' } as const
/** A department with no rating this month: shown with no figure. */
export const UNRATED: { site: SiteId; department: string } = { site: 'ct-center', department: 'bhxh' }

export function publicHubConfig(influxUrl: string, database: string): HubConfig {
  return hubConfigSchema.parse({
    http: { host: '127.0.0.1', port: 0 },
    influx: { version: 1, url: influxUrl, database },
    province: 'can-tho',
    sites: Object.entries(SITES).map(([id, s]) => ({ id, name: s.name })),
    edges: Object.keys(SITES).map((site) => ({ site, tokenHash: hashSecret(`${site}-token-unused-0123456789`) })),
  })
}

/** Every record per site: the directory first, then ratings of last month and this month. */
export function publicRecords(): Record<SiteId, EdgeRecord[]> {
  const random = seededRandom(766)
  const out = {} as Record<SiteId, EdgeRecord[]>
  let seq = 0
  for (const [site, s] of Object.entries(SITES) as [SiteId, (typeof SITES)[SiteId]][]) {
    const departments = Object.keys(s.departments)
    const officers = Object.keys(OFFICERS)
    const list: EdgeRecord[] = [{
      kind: 'directory', seq: ++seq, t: MONTH.start - 20 * DAY_MS, clock: 'synced', hash: (site === 'ct-center' ? 'a' : 'b').repeat(64), siteName: s.name,
      departments: Object.entries(s.departments).map(([id, name]) => ({ id, name })),
      counters: departments.map((d, i) => ({ id: `q${i + 1}`, name: `Quầy ${i + 1}`, department: d, officer: officers[i % officers.length]!, kiosk: true })),
      officers: Object.entries(OFFICERS).map(([id, name]) => ({ id, name, department: null, signIn: true })),
    }]
    const rate = (t: number, i: number) => {
      const department = departments[i % departments.length]!
      if (site === UNRATED.site && department === UNRATED.department) return
      // Mostly satisfied, one department clearly less so, a few presses flagged.
      const level = department === 'xay-dung' ? 1 + Math.floor(random() * 4) : random() < 0.9 ? 1 + Math.floor(random() * 2) : 4
      const misuse = random() < 0.05 ? ('rapid' as const) : null
      const r: RatingRecord = {
        kind: 'rating', seq: ++seq, t, clock: 'synced', department, counter: `q${(i % departments.length) + 1}`, device: `kiosk-${i % departments.length}`,
        officer: officers[i % officers.length]!, eventId: `evt-public-${seq}`, scale: 4, level, score: normalisedScore(4, level),
        dissatisfied: isDissatisfied(4, level), reasons: [], ticket: null, deviceTs: t, edgeTs: t, misuse,
      }
      list.push(r)
    }
    for (let i = 0; i < 40; i++) rate(MONTH.start - 3 * DAY_MS + i * 60_000, i)
    const count = site === 'ct-center' ? 240 : 90
    for (let i = 0; i < count; i++) rate(MONTH.start + DAY_MS + 8 * 3_600_000 + i * 97_000, i)
    out[site] = list
  }
  return out
}

/** The figures of one site, or of one of its departments, this month: hub/kpi's ratingKpis over the same records. */
export function expectedFigure(records: Record<SiteId, EdgeRecord[]>, site: SiteId, department?: string): PublicFigure {
  const facts = records[site]
    .filter((r): r is RatingRecord => r.kind === 'rating' && r.t >= MONTH.start && r.t < MONTH.end && (department === undefined || r.department === department))
    .map((r) => ratingFact(site, { province: 'can-tho', branch: null }, r))
  const s = ratingKpis(facts).decision766
  return { rated: s.rated, rate: s.rate, points: s.points }
}
