/** A tiny element builder: the kiosk has a few small screens and needs no framework. */
type Attrs = Record<string, string | number | boolean | null | undefined | ((ev: Event) => void)>
export type Child = Node | string | null | undefined | false

export function h(tag: string, attrs: Attrs = {}, ...children: Child[]): HTMLElement {
  const el = document.createElement(tag)
  for (const [k, v] of Object.entries(attrs)) {
    if (v === null || v === undefined || v === false) continue
    if (typeof v === 'function') el.addEventListener(k.replace(/^on/, ''), v)
    else if (k === 'class') el.className = String(v)
    else el.setAttribute(k, v === true ? '' : String(v))
  }
  for (const c of children) if (c !== null && c !== undefined && c !== false) el.append(c)
  return el
}

/** Static markup from our own code (SVG faces); never pass text that came from outside. */
export function trustedSvg(markup: string): Element {
  const tpl = document.createElement('template')
  tpl.innerHTML = markup
  return tpl.content.firstElementChild as Element
}

/**
 * Calls `fire` after the element is held down for `ms` (the staff gesture).
 * Citizens tap; nobody holds the counter name for three seconds by accident.
 */
export function onLongPress(el: HTMLElement, ms: number, fire: () => void): void {
  let timer: ReturnType<typeof setTimeout> | null = null
  const cancel = () => {
    if (timer) clearTimeout(timer)
    timer = null
  }
  el.addEventListener('pointerdown', () => {
    cancel()
    timer = setTimeout(() => {
      timer = null
      fire()
    }, ms)
  })
  for (const ev of ['pointerup', 'pointerleave', 'pointercancel']) el.addEventListener(ev, cancel)
  el.addEventListener('contextmenu', (e) => e.preventDefault())
}
