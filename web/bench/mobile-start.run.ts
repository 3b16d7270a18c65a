// The mobile app's cold start: time from navigation to the first rendered inbox (its rows
// on the page) for a logged-in approver, with an empty cache and the CPU throttled 4× through
// the DevTools Protocol (a mid-range phone), RUNS times (default 10); median and worst.
// Target: <= 2 s. Its weight is in weight.run.ts.
import { it } from 'vitest'
import { withDemo } from '../e2e/support/server'
import { ApiUser } from '../e2e/support/api'
import { percentile, report } from './report'

const RUNS = Number(process.env.RUNS ?? 10)

const demo = withDemo()

it('measures the mobile inbox’s cold start at 4× CPU throttling', async () => {
  const requester = await ApiUser.login(demo.server.url, 'edu-dev')
  const item = (await requester.get<{ id: number; code: string }[]>('/catalog')).find((entry) => entry.code === 'support.desktop')!
  for (let i = 0; i < 5; i++)
    await requester.post('/tickets', { item_id: item.id, title: `打印机故障 ${i + 1}`, form: { business_system: '办公系统', location: '3 楼', contact_phone: '12345', description: '无法打印' } })
  const times: number[] = []
  for (let run = 0; run < RUNS; run++) {
    // A new context each run: no HTTP cache, no service worker.
    const context = await demo.browser.newContext({ viewport: { width: 375, height: 812 }, hasTouch: true, isMobile: true, baseURL: demo.server.url })
    const fresh = await ApiUser.login(demo.server.url, 'edu-admin')
    await context.addInitScript(
      ([token, user]) => {
        sessionStorage.setItem('yunguan.session', JSON.stringify({ token, expiresAt: new Date(Date.now() + 3_600_000).toISOString(), user }))
        localStorage.setItem('yunguan.locale', 'zh-CN')
      },
      [fresh.token, fresh.user] as const,
    )
    const page = await context.newPage()
    const cdp = await context.newCDPSession(page)
    await cdp.send('Emulation.setCPUThrottlingRate', { rate: 4 })
    await page.goto('/mobile/', { waitUntil: 'commit' })
    await page.locator('[data-testid="pending-list"] [data-ticket]').first().waitFor()
    times.push(await page.evaluate(() => performance.now()))
    await context.close()
  }
  report('mobile-cold-start', {
    runs: RUNS,
    cpu_throttle: 4,
    inbox_median_ms: percentile(times, 50),
    inbox_max_ms: Math.max(...times),
    inbox_min_ms: Math.min(...times),
  })
})
