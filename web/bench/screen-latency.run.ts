// Event to wall: from an alarm's publish on the server (the `alarm.raised` frame's `ts`) to
// its row on the wall's overview (the latest-alarms list), taken in the frame after the row
// is added (it is then on screen), while links go down at DOWNS_PER_SECOND (default 5, each
// back up 10 s later) for DURATION_SECONDS (default 60). The wall logs in with a display key
// and shows only the overview, in Chromium as the other browser tests run it (no WebGL: the
// overview draws none, and SwiftShader's GL compositing would slow every frame of a page
// that the wall's GPU composites for free). Target: p99 <= 200 ms.
import { it } from 'vitest'
import type { Page } from 'playwright-core'
import { withDemo } from '../e2e/support/server'
import { ApiUser } from '../e2e/support/api'
import { percentile, report } from './report'
import { flap, ports } from './support'

const DOWNS_PER_SECOND = Number(process.env.DOWNS_PER_SECOND ?? 5)
const DURATION_SECONDS = Number(process.env.DURATION_SECONDS ?? 60)

const demo = withDemo()

/** Records, in the page, when each alarm was published and when its row was painted. */
function instrument(page: Page) {
  return page.addInitScript(() => {
    const published: Record<string, number> = {}
    const painted: Record<string, number> = {}
    const w = window as unknown as { __published: Record<string, number>; __painted: Record<string, number> }
    w.__published = published
    w.__painted = painted
    const Native = window.WebSocket
    class Recording extends Native {
      set onmessage(handler: ((event: MessageEvent) => void) | null) {
        super.onmessage = (event: MessageEvent) => {
          try {
            const frame = JSON.parse(String(event.data))
            if (frame.op === 'event' && frame.kind === 'alarm.raised' && frame.topic === 'overview') published[frame.data.id] ??= Date.parse(frame.ts)
          } catch {
            // Not ours to judge.
          }
          handler?.(event)
        }
      }
      get onmessage() {
        return super.onmessage
      }
    }
    window.WebSocket = Recording
    new MutationObserver((records) => {
      for (const record of records)
        for (const node of record.addedNodes) {
          const id = node instanceof HTMLElement ? node.getAttribute('data-alarm-id') : null
          if (!id || painted[id]) continue
          painted[id] = -1
          requestAnimationFrame(() => (painted[id] = performance.timeOrigin + performance.now()))
        }
    }).observe(document, { subtree: true, childList: true })
  })
}

it('puts a raised alarm on the wall within 200 ms', async () => {
  const list = await ports(demo.server.url)
  const admin = await ApiUser.login(demo.server.url, 'admin')
  const { key } = await admin.post<{ key: string }>('/display-keys', { name: 'latency' })
  const context = await demo.browser.newContext({ viewport: { width: 1920, height: 1080 }, baseURL: demo.server.url })
  const page = await context.newPage()
  await instrument(page)
  await page.goto(`/screen/?key=${encodeURIComponent(key)}&views=overview`)
  await page.getByTestId('kpi-alarms').waitFor()
  await page.waitForTimeout(3000)

  const sent = await flap(demo.server, list, DOWNS_PER_SECOND, DURATION_SECONDS * 1000, 10_000)
  await page.waitForTimeout(2000)
  const { published, painted } = await page.evaluate(() => {
    const w = window as unknown as { __published: Record<string, number>; __painted: Record<string, number> }
    return { published: w.__published, painted: w.__painted }
  })
  const latencies = Object.entries(published)
    .filter(([id]) => (painted[id] ?? 0) > 0)
    .map(([id, at]) => painted[id]! - at)
  report('screen-event-to-wall', {
    downs_per_second: DOWNS_PER_SECOND,
    interfaces_flapped: sent,
    alarms_published: Object.keys(published).length,
    alarms_shown: latencies.length,
    p50_ms: percentile(latencies, 50),
    p99_ms: percentile(latencies, 99),
    max_ms: Math.max(...latencies),
  })
  await context.close()
})
