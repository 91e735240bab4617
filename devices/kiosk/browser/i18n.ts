/** Every text the kiosk shows, Vietnamese first. Staff texts carry both languages at once. */
export type Lang = 'vi' | 'en'

export const TEXT = {
  question: { vi: 'Quý khách có hài lòng với sự phục vụ?', en: 'How satisfied are you with our service?' },
  invite: { vi: 'Mời quý khách đánh giá', en: 'Please rate our service' },
  ticket: { vi: 'Số thứ tự', en: 'Ticket' },
  officer: { vi: 'Cán bộ tiếp nhận', en: 'Officer' },
  noOfficer: { vi: 'Chưa có cán bộ trực', en: 'No officer on duty' },
  reasonsTitle: { vi: 'Quý khách chưa hài lòng về điều gì?', en: 'What could we do better?' },
  reasonsHint: { vi: 'Có thể chọn nhiều mục', en: 'You may choose several' },
  skip: { vi: 'Bỏ qua', en: 'Skip' },
  send: { vi: 'Gửi', en: 'Send' },
  thanks: { vi: 'Cảm ơn quý khách!', en: 'Thank you!' },
  thanksSub: { vi: 'Ý kiến của quý khách giúp chúng tôi phục vụ tốt hơn.', en: 'Your feedback helps us serve you better.' },
  switchLang: { vi: 'English', en: 'Tiếng Việt' },
  starting: { vi: 'Đang khởi động…', en: 'Starting…' },
} as const satisfies Record<string, Record<Lang, string>>

export type TextKey = keyof typeof TEXT

export const t = (key: TextKey, lang: Lang): string => TEXT[key][lang]
export const other = (lang: Lang): Lang => (lang === 'vi' ? 'en' : 'vi')

/** Staff-facing texts (PIN pad, setup, diagnostics): both languages side by side. */
export const STAFF = {
  title: 'Dành cho cán bộ / Staff',
  signIn: 'Nhận ca / Sign in',
  signOut: 'Kết thúc ca / Sign out',
  chooseOfficer: 'Chọn cán bộ / Choose officer',
  officerId: 'Mã cán bộ / Officer id',
  pin: 'Mã PIN / PIN',
  pinWrong: 'Mã PIN không đúng / Wrong PIN',
  pinToSignOut: 'Nhập mã PIN của cán bộ đang trực rồi bấm Kết thúc ca / Enter the on-duty officer’s PIN, then Sign out',
  noLink: 'Chưa kết nối được máy chủ / Not connected to the edge',
  noReply: 'Máy chủ chưa phản hồi / No reply from the edge',
  signedIn: 'Đã nhận ca / Signed in',
  signedOut: 'Đã kết thúc ca / Signed out',
  onDuty: 'Đang trực / On duty',
  close: 'Đóng / Close',
  setupTitle: 'Cài đặt thiết bị / Device setup',
  device: 'Thiết bị / Device',
  secret: 'Mã bí mật thiết bị / Device secret',
  save: 'Lưu / Save',
  unknownDevice: 'Thiết bị chưa được khai báo trên máy chủ / Device unknown to the edge',
  diagnostics: 'Chẩn đoán / Diagnostics',
  clear: 'Xoá / Clear',
} as const
