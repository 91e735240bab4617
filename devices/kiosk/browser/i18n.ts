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
  offerTitle: { vi: 'Quý khách có muốn gửi ý kiến phản ánh?', en: 'Would you like to tell us more?' },
  offerHint: {
    vi: 'Quý khách có thể để lại nội dung và số điện thoại để được liên hệ lại. Không bắt buộc.',
    en: 'You may leave a comment and a phone number so that we call you back. This is optional.',
  },
  offerYes: { vi: 'Gửi phản ánh', en: 'Leave a comment' },
  offerNo: { vi: 'Không, cảm ơn', en: 'No, thank you' },
  complaintTitle: { vi: 'Phản ánh, kiến nghị', en: 'Your comment' },
  complaintComment: { vi: 'Nội dung (tối đa 500 ký tự)', en: 'Comment (500 characters at most)' },
  complaintPhone: { vi: 'Số điện thoại để liên hệ lại', en: 'Phone number for a call back' },
  complaintConsent: {
    vi: 'Tôi đồng ý để Trung tâm lưu nội dung và số điện thoại này để xử lý phản ánh và liên hệ lại với tôi. Thông tin chỉ dùng cho việc này và được xoá theo quy định bảo vệ dữ liệu cá nhân.',
    en: 'I agree that the Center keeps this comment and phone number to handle my complaint and call me back. They are used only for that and deleted as the personal-data rules require.',
  },
  complaintSend: { vi: 'Gửi phản ánh', en: 'Send' },
  problem_empty: { vi: 'Vui lòng nhập nội dung hoặc số điện thoại.', en: 'Please write a comment or a phone number.' },
  problem_comment_too_long: { vi: 'Nội dung dài quá 500 ký tự.', en: 'The comment is longer than 500 characters.' },
  problem_phone_invalid: { vi: 'Số điện thoại chưa đúng (ví dụ 0912 345 678).', en: 'The phone number is not valid (for example 0912 345 678).' },
  problem_consent_missing: { vi: 'Vui lòng đánh dấu đồng ý để gửi.', en: 'Please tick the consent box to send.' },
  problem_no_link: { vi: 'Chưa gửi được, vui lòng thử lại hoặc bấm Bỏ qua.', en: 'Could not send; try again or press Skip.' },
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
