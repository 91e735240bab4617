/**
 * What an alert message says (pure): a short Vietnamese text that fits an
 * SMS or a Zalo message, English for the email's second half, the email's
 * subject, and the webhook's JSON body and signature (docs/alerts.md
 * "Webhook"). Names of sites and counters come from the directory; no
 * person's data is in any message.
 */
import { createHash, createHmac } from 'node:crypto'
import type { Lang } from '../../common/i18n.js'
import type { AlertRecipient } from '../config/alerts.js'
import type { Alert } from '../kpi/alerts/types.js'
import { VN_OFFSET_MS } from '../kpi/time.js'
import type { Directory } from '../queries/directory.js'
import type { AlertTransition } from './log.js'

/** "08:15 18/11", local time. */
export function clockText(t: number): string {
  const iso = new Date(t + VN_OFFSET_MS).toISOString()
  return `${iso.slice(11, 16)} ${iso.slice(8, 10)}/${iso.slice(5, 7)}`
}

const num = (v: unknown) => (typeof v === 'number' ? v : Number(v))

/** The subject's words: the counter's or camera's name; nothing for a site-wide alert. */
export function subjectName(alert: Pick<Alert, 'kind' | 'subject' | 'site'>, dir: Directory): string {
  const part = alert.subject.split('/')[1]
  if (part === undefined) return ''
  if (alert.kind.startsWith('camera_')) return `camera ${part}`
  return dir.counterName(alert.site, part)
}

function detailText(a: Alert, lang: Lang): string {
  const d = a.details
  const vi = lang === 'vi'
  switch (a.kind) {
    case 'dissatisfied_run':
      return vi ? `${num(d.count)} lượt không hài lòng trong ${num(d.windowMs) / 60_000} phút` : `${num(d.count)} dissatisfied within ${num(d.windowMs) / 60_000} min`
    case 'low_index':
      return vi ? `chỉ số ${num(d.index).toFixed(1)} dưới ${num(d.below)} (${num(d.ratings)} lượt)` : `index ${num(d.index).toFixed(1)} below ${num(d.below)} (${num(d.ratings)} ratings)`
    case 'overload':
      return vi ? `${num(d.waiting)} vé đang chờ, lâu nhất ${num(d.longestWaitMin)} phút` : `${num(d.waiting)} tickets waiting, longest ${num(d.longestWaitMin)} min`
    case 'edge_backlog':
      return vi ? `dữ liệu chưa gửi cũ nhất ${Math.round(num(d.outboxOldestAgeS) / 60)} phút` : `oldest unsent record ${Math.round(num(d.outboxOldestAgeS) / 60)} min old`
    default:
      return ''
  }
}

/** One line: what, where, since when, and where to acknowledge it. */
export function alertText(a: Alert, transition: AlertTransition, dir: Directory, lang: Lang, consoleUrl?: string): string {
  const where = [dir.site(a.site).name, subjectName(a, dir)].filter(Boolean).join(', ')
  const detail = transition === 'raised' ? detailText(a, lang) : ''
  const vi = lang === 'vi'
  const head = transition === 'raised' ? (vi ? 'Cảnh báo' : 'Alert') : vi ? 'Đã hết' : 'Cleared'
  const when = transition === 'raised' ? `${vi ? 'từ' : 'since'} ${clockText(a.since)}` : `${vi ? 'lúc' : 'at'} ${clockText(a.clearedAt ?? a.seenAt)}`
  const link = consoleUrl && transition === 'raised' ? ` ${vi ? 'Xem' : 'See'}: ${consoleUrl}` : ''
  return `[${head}] ${a.title[lang]}: ${where}${detail ? `; ${detail}` : ''}; ${when}.${link}`
}

export function mailSubject(a: Alert, transition: AlertTransition, dir: Directory): string {
  return `[motcua] ${transition === 'cleared' ? 'Đã hết: ' : ''}${a.title.vi} — ${dir.site(a.site).name}`
}

export function mailText(a: Alert, transition: AlertTransition, dir: Directory, consoleUrl?: string): string {
  return [
    alertText(a, transition, dir, 'vi', consoleUrl),
    '',
    alertText(a, transition, dir, 'en', consoleUrl),
    '',
    'Thư gửi tự động từ hệ thống motcua — automatic message from the motcua hub.',
  ].join('\n')
}

/** A Message-ID from the delivery key: a mail system that sees the same one twice can drop the copy. */
export const messageId = (key: string) => `<${createHash('sha256').update(key).digest('hex').slice(0, 32)}@motcua.alerts>`

/** The webhook's JSON body (docs/alerts.md "Webhook"): an SMS or Zalo gateway needs `recipient.to` and `text`. */
export function webhookBody(o: {
  key: string
  alert: Alert
  transition: AlertTransition
  recipient: AlertRecipient & { webhook: NonNullable<AlertRecipient['webhook']> }
  dir: Directory
  consoleUrl?: string
  sentAt: number
}): string {
  const { alert: a, dir } = o
  return JSON.stringify({
    id: o.key,
    recipient: { id: o.recipient.id, name: o.recipient.name, role: o.recipient.role, to: o.recipient.webhook.to },
    lang: 'vi',
    text: alertText(a, o.transition, dir, 'vi', o.consoleUrl),
    textEn: alertText(a, o.transition, dir, 'en', o.consoleUrl),
    alert: {
      id: a.id, kind: a.kind, transition: o.transition, site: a.site, siteName: dir.site(a.site).name,
      subject: a.subject, subjectName: subjectName(a, dir), title: a.title,
      since: a.since, raisedAt: a.raisedAt, clearedAt: a.clearedAt, details: a.details,
    },
    ...(o.consoleUrl ? { url: o.consoleUrl } : {}),
    sentAt: o.sentAt,
  })
}

/** `sha256=<hex>` of HMAC-SHA256 over "<timestamp>.<body>": the timestamp inside keeps a captured request from being replayed later. */
export const webhookSignature = (secret: string, timestamp: number, body: string) =>
  `sha256=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`
