// A server restarted under an open page: the live indicator says the connection is lost and
// since when, the client reconnects on its own, the server tells it to resync (numbering
// started again), and the view reloads its snapshot. Run on the embedded default (SQLite,
// in-process bus), where a restart is exactly what makes a resync necessary.
import { describe, expect, it } from 'vitest'
import { withDemo } from './support/server'
import { loggedIn } from './support/browser'

const demo = withDemo({ embedded: true })

describe('a restart under an open page', () => {
  it('shows the lost connection, reconnects, resyncs and reloads the view', async () => {
    const { page, context } = await loggedIn(demo.browser, demo.server.url, 'ops')
    const indicator = page.getByTestId('live-indicator')
    await indicator.getByText('实时').waitFor()
    await page.getByTestId('kpi-devices').getByText('300').waitFor()
    let overviewLoads = 0
    page.on('request', (request) => {
      if (new URL(request.url()).pathname === '/api/v1/overview') overviewLoads += 1
    })

    await demo.server.stop()
    await indicator.getByText('重连中').waitFor({ timeout: 20_000 })
    await indicator.getByText(/数据停留于 \d\d:\d\d:\d\d/).waitFor()

    await demo.server.start()
    await indicator.getByText('实时').waitFor({ timeout: 60_000 })
    await indicator.getByText(/已于 \d\d:\d\d:\d\d 重新同步/).waitFor({ timeout: 10_000 })
    await expect.poll(() => overviewLoads, { timeout: 10_000 }).toBeGreaterThan(0)
    await page.getByTestId('kpi-devices').getByText('300').waitFor()
    await context.close()
  })
})
