/** Every text the supervisor page shows, Vietnamese first; shared by the server (login page) and the browser code. */
import { SIGN_IN_TEXT, type Lang } from '../../common/i18n.js'

export { isLang, other, type Lang } from '../../common/i18n.js'

export const TEXT = {
  ...SIGN_IN_TEXT,
  title: { vi: 'Giám sát camera', en: 'Camera supervision' },
  privacy: {
    vi: 'Hình ảnh camera là dữ liệu cá nhân của người dân và cán bộ. Chỉ dùng cho mục đích giám sát công vụ; không ghi lại, không chia sẻ.',
    en: 'Camera images are personal data of citizens and staff. For supervision of public service only; do not record or share.',
  },
  online: { vi: 'Trực tuyến', en: 'Online' },
  offline: { vi: 'Mất kết nối', en: 'Offline' },
  no_stream: { vi: 'Không có hình', en: 'No video' },
  auth_failed: { vi: 'Sai mật khẩu camera', en: 'Camera password wrong' },
  clock_skew: { vi: 'Lệch giờ camera', en: 'Camera clock wrong' },
  unknown: { vi: 'Đang kiểm tra', en: 'Checking' },
  tamper: { vi: 'Camera bị che/xoay', en: 'Tampering' },
  motion: { vi: 'Có chuyển động', en: 'Motion' },
  connecting: { vi: 'Đang kết nối video…', en: 'Connecting video…' },
  reconnecting: { vi: 'Mất tín hiệu, đang kết nối lại…', en: 'Signal lost, reconnecting…' },
  unsupported: { vi: 'Trình duyệt không phát được video này.', en: 'This browser cannot play this video.' },
  lastSnapshot: { vi: 'Ảnh chụp gần nhất', en: 'Latest snapshot' },
  takeSnapshot: { vi: 'Chụp ảnh', en: 'Snapshot' },
  noCameras: { vi: 'Chưa cấu hình camera nào.', en: 'No cameras configured.' },
  counter: { vi: 'Quầy', en: 'Counter' },
} as const satisfies Record<string, Record<Lang, string>>

export type TextKey = keyof typeof TEXT

export const t = (key: TextKey, lang: Lang): string => TEXT[key][lang]
