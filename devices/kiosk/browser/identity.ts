/**
 * The kiosk's credentials: the device id comes from the page URL (via the
 * env the edge writes into the page); the secret is entered once by IT staff
 * and kept in this tablet's localStorage. A secret handed over in the URL
 * fragment (`#secret=...`, never sent to the server) is stored and then
 * wiped from the address bar so it does not linger in history or on screen.
 */

const key = (device: string) => `motcua.kiosk.${device}.secret`

export function takeSecretFromFragment(device: string, loc: Location, hist: History, storage: Storage): void {
  const params = new URLSearchParams(loc.hash.replace(/^#/, ''))
  const secret = params.get('secret')
  if (!secret) return
  storage.setItem(key(device), secret)
  hist.replaceState(hist.state, '', loc.pathname + loc.search)
}

export function loadSecret(device: string, storage: Storage): string | null {
  return storage.getItem(key(device))
}

export function saveSecret(device: string, secret: string, storage: Storage): void {
  storage.setItem(key(device), secret)
}
