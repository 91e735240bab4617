/**
 * A realistic demo site, modelled on the Cần Thơ Center (docs: shared
 * DOMAIN.md): its receiving agencies as departments, one kiosk per counter,
 * officers on duty, a queue system and a supervisor. Secrets are generated
 * fresh for every new data folder and never committed.
 */
import { hashPin, hashSecret, newSecret } from '../../common/secrets.js'

const AGENCIES: [id: string, name: string, officers: string[]][] = [
  ['noi-vu', 'Sở Nội vụ', ['Nguyễn Thị Lan']],
  ['cong-thuong', 'Sở Công Thương', ['Trần Văn Minh', 'Lê Thị Hoa']],
  ['nong-nghiep', 'Sở Nông nghiệp và Phát triển nông thôn', ['Phạm Văn Hùng', 'Võ Thị Mai']],
  ['xay-dung', 'Sở Xây dựng', ['Huỳnh Văn Tài']],
  ['giao-thong', 'Sở Giao thông vận tải', ['Đặng Văn Phúc', 'Bùi Thị Ngọc']],
  ['giao-duc', 'Sở Giáo dục và Đào tạo', ['Ngô Thị Thu', 'Dương Văn Khoa']],
  ['ke-hoach', 'Sở Kế hoạch và Đầu tư', ['Lý Thị Hạnh', 'Trương Văn Bảo']],
  ['lao-dong', 'Sở Lao động - Thương binh và Xã hội', ['Phan Thị Yến', 'Hồ Văn Dũng']],
  ['y-te', 'Sở Y tế', ['Cao Thị Nhung', 'Mai Văn Sơn']],
  ['tu-phap', 'Sở Tư pháp', ['Đỗ Thị Kim', 'Tạ Văn Long']],
  ['tai-nguyen', 'Sở Tài nguyên và Môi trường', ['Lâm Văn Hải', 'Châu Thị Diễm']],
  ['bhxh', 'Bảo hiểm xã hội thành phố', ['Kiều Văn Thành', 'Quách Thị Trang']],
]

/**
 * How the demo's button boxes press (devices/simulator, `hall` mode): a
 * citizen about every 20 s per counter on average — a real counter's few
 * minutes, 15 times faster — busier mid-morning. MOTCUA_DEMO_RATE overrides
 * the rate.
 */
export const DEMO_PRESSING = { mode: 'hall', ratePerMinute: 3 } as const

export interface DemoDevice {
  id: string
  kind: 'kiosk' | 'button' | 'queue'
  counter?: string
  secret: string
}

export interface DemoSite {
  siteId: string
  /** Raw edge config (before validation), ready to be written as YAML. */
  edge: Record<string, unknown>
  /** The hub's `edges` entry for this site. */
  hubEdge: { site: string; tokenHash: string }
  edgeToken: string
  devices: DemoDevice[]
  officers: { id: string; name: string; pin: string }[]
  supervisor: { username: string; password: string }
}

const slug = (name: string) =>
  name
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/đ/gi, 'd')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '')

export async function makeDemoSite(opts: {
  siteId?: string
  counters?: number
  hubUrl: string
  hubCa?: string
  tokenFile?: string
  outboxDir: string
  host?: string
  ports?: { mqtt: number; ws: number; http: number }
}): Promise<DemoSite> {
  const siteId = opts.siteId ?? 'ct-center'
  const counterCount = Math.min(opts.counters ?? 12, 30)
  const departments = AGENCIES.map(([id, name]) => ({ id, name }))
  const officerList = AGENCIES.flatMap(([dep, , names]) => names.map((name) => ({ id: slug(name), name, department: dep })))
  const pins = officerList.map((_, i) => String(1000 + ((i * 7919) % 9000)))
  const officers = await Promise.all(officerList.map(async (o, i) => ({ ...o, pinHash: await hashPin(pins[i]!) })))
  const counters = Array.from({ length: counterCount }, (_, i) => {
    const officer = officerList[i % officerList.length]!
    return { id: `q${String(i + 1).padStart(2, '0')}`, name: `Quầy ${i + 1}`, department: officer.department, officer: officer.id }
  })
  // A kiosk for people to open in a browser and a button box for the simulator, so the two never
  // take over each other's MQTT session.
  const devices: DemoDevice[] = [
    ...counters.map((c) => ({ id: `kiosk-${c.id}`, kind: 'kiosk' as const, counter: c.id, secret: newSecret() })),
    ...counters.map((c) => ({ id: `button-${c.id}`, kind: 'button' as const, counter: c.id, secret: newSecret() })),
    { id: 'queue-main', kind: 'queue', secret: newSecret() },
  ]
  const edgeToken = newSecret()
  const supervisor = { username: 'giamsat', password: newSecret().slice(0, 12) }
  const host = opts.host ?? '127.0.0.1'
  const edge: Record<string, unknown> = {
    site: { id: siteId, name: 'Trung tâm Phục vụ hành chính công thành phố Cần Thơ', branch: 'ct', province: 'can-tho' },
    scale: 4,
    departments,
    counters,
    officers,
    devices: devices.map((d) => ({ id: d.id, kind: d.kind, ...(d.counter ? { counter: d.counter } : {}), secretHash: hashSecret(d.secret) })),
    supervisors: [{ username: supervisor.username, name: 'Bộ phận Giám sát', passwordHash: await hashPin(supervisor.password) }],
    broker: { host, mqttPort: opts.ports?.mqtt ?? 1883, wsPort: opts.ports?.ws ?? 8083 },
    http: { host, port: opts.ports?.http ?? 8080 },
    hub: {
      url: opts.hubUrl,
      ...(opts.tokenFile ? { tokenFile: opts.tokenFile } : { token: edgeToken }),
      ...(opts.hubCa ? { ca: opts.hubCa } : {}),
    },
    outbox: { dir: opts.outboxDir },
    healthIntervalS: 15,
  }
  return {
    siteId,
    edge,
    hubEdge: { site: siteId, tokenHash: hashSecret(edgeToken) },
    edgeToken,
    devices,
    officers: officerList.map((o, i) => ({ id: o.id, name: o.name, pin: pins[i]! })),
    supervisor,
  }
}
