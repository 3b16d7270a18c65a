// The browser side of the tests: Debian's Chromium through playwright-core (no downloaded
// browser), a login helper that goes through the login page as a person does, screenshots
// (written under e2e/output/, not committed) and the accessibility scan.
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core'
import { AxeBuilder } from '@axe-core/playwright'
import { mkdirSync } from 'node:fs'
import { PASSWORD } from './server'

export const OUTPUT = new URL('../output/', import.meta.url).pathname

/** Chromium, headless; with `webgl`, WebGL drawn on the CPU by SwiftShader (no GPU here). */
export async function launch(options: { webgl?: boolean } = {}): Promise<Browser> {
  return chromium.launch({
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    headless: true,
    args: [
      '--no-sandbox',
      ...(options.webgl ? ['--use-angle=swiftshader', '--enable-unsafe-swiftshader', '--ignore-gpu-blocklist'] : ['--disable-gpu']),
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  })
}

export interface Person {
  context: BrowserContext
  page: Page
}

/** A new browser context in which `username` has logged in through the login page. */
export async function loggedIn(
  browser: Browser,
  base: string,
  username: string,
  options: { viewport?: { width: number; height: number }; locale?: 'zh-CN' | 'en'; theme?: 'light' | 'dark' } = {},
): Promise<Person> {
  const context = await browser.newContext({ viewport: options.viewport ?? { width: 1920, height: 1080 }, baseURL: base })
  await context.addInitScript(
    ([locale, theme]) => {
      localStorage.setItem('yunguan.locale', locale)
      localStorage.setItem('yunguan.theme', theme)
    },
    [options.locale ?? 'zh-CN', options.theme ?? 'light'],
  )
  const page = await context.newPage()
  await page.goto('/login')
  await page.getByLabel(options.locale === 'en' ? 'Username' : '用户名').fill(username)
  await page.getByLabel(options.locale === 'en' ? 'Password' : '密码').fill(PASSWORD)
  await page.getByRole('button', { name: options.locale === 'en' ? 'Sign in' : '登录' }).click()
  await reached(page, /^\/(ops|portal)\//)
  return { context, page }
}

/** A phone (375×812, touch) on which `username` has logged in through the mobile app's own
 * login page. */
export async function onPhone(
  browser: Browser,
  base: string,
  username: string,
  options: { locale?: 'zh-CN' | 'en'; serviceWorkers?: 'allow' | 'block' } = {},
): Promise<Person> {
  const context = await browser.newContext({ viewport: { width: 375, height: 812 }, hasTouch: true, isMobile: true, baseURL: base, serviceWorkers: options.serviceWorkers ?? 'allow' })
  await context.addInitScript((locale) => localStorage.setItem('yunguan.locale', locale), options.locale ?? 'zh-CN')
  const page = await context.newPage()
  await page.goto('/mobile/login')
  await page.getByLabel(options.locale === 'en' ? 'Username' : '用户名').fill(username)
  await page.getByLabel(options.locale === 'en' ? 'Password' : '密码').fill(PASSWORD)
  await page.getByRole('button', { name: options.locale === 'en' ? 'Sign in' : '登录' }).tap()
  await reached(page, /^\/mobile\/(\?.*)?$/)
  return { context, page }
}

/** Waits until the page's address (path and query) matches `pattern`. A navigation can be
 * reported as aborted when the app's own navigation follows at once (the redirects after
 * logging in and out), so this watches the address rather than one navigation. */
export async function reached(page: Page, pattern: RegExp, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  const address = () => {
    const url = new URL(page.url())
    return url.pathname + url.search
  }
  while (!pattern.test(address())) {
    if (Date.now() > deadline) throw new Error(`still at ${page.url()}, waiting for ${pattern}`)
    await page.waitForTimeout(50)
  }
  await page.waitForLoadState('domcontentloaded')
}

export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(OUTPUT, { recursive: true })
  await page.screenshot({ path: `${OUTPUT}${name}.png` })
}

/** Serious and critical accessibility violations on the page as it stands. */
export async function accessibilityViolations(page: Page): Promise<string[]> {
  const results = await new AxeBuilder({ page }).analyze()
  return results.violations
    .filter((violation) => violation.impact === 'serious' || violation.impact === 'critical')
    .map(
      (violation) =>
        `${violation.id}: ${violation.help} (${violation.nodes
          .slice(0, 3)
          .map((node) => `${node.target.join(' ')}: ${node.html.slice(0, 120)}`)
          .join(', ')})`,
    )
}
