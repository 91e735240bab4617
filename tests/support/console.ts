/** Signs a console user in, in a fresh Chromium context, the way a person does: the sign-in form, then the app shell. */
import type { Browser, Page } from 'playwright-core'

export async function signInConsole(
  browser: Browser,
  hubUrl: string,
  username: string,
  password: string,
  viewport = { width: 1500, height: 950 },
): Promise<Page> {
  const ctx = await browser.newContext({ viewport })
  const page = await ctx.newPage()
  await page.goto(`${hubUrl}/console/`)
  await page.fill('input[name=username]', username)
  await page.fill('input[name=password]', password)
  await page.click('button[type=submit]')
  await page.waitForSelector('nav.tabs')
  return page
}
