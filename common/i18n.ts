/**
 * Vietnamese first, English available: the language type, its helpers, and
 * the sign-in texts the edge supervisor page and the hub console share word
 * for word. Free of Node APIs, so browser bundles import it too.
 */
export type Lang = 'vi' | 'en'

export const other = (lang: Lang): Lang => (lang === 'vi' ? 'en' : 'vi')
export const isLang = (s: unknown): s is Lang => s === 'vi' || s === 'en'

export const SIGN_IN_TEXT = {
  login: { vi: 'Đăng nhập', en: 'Sign in' },
  logout: { vi: 'Đăng xuất', en: 'Sign out' },
  username: { vi: 'Tên đăng nhập', en: 'Username' },
  password: { vi: 'Mật khẩu', en: 'Password' },
  loginFailed: { vi: 'Sai tên đăng nhập hoặc mật khẩu.', en: 'Wrong username or password.' },
  loginLocked: { vi: 'Đăng nhập sai quá nhiều lần, vui lòng thử lại sau.', en: 'Too many failed attempts; try again later.' },
  switchLang: { vi: 'English', en: 'Tiếng Việt' },
} as const satisfies Record<string, Record<Lang, string>>
