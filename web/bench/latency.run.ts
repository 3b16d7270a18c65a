// Event to screen: from the server's publish (the event's `ts`) to the DOM change in
// Chromium, for the alarm list (a raised alarm's row appears, a cleared one's goes) and the
// topology (a link's entry among the links down appears and goes), while links go down and
// come back at EVENTS_PER_SECOND (default 50: 25 downs and 25 ups a second, each with its
// alarm and link events). The DOM time is taken in the frame after the change (the change is
// then on screen). Target: p99 <= 100 ms.
import { it } from 'vitest'
import type { Page } from 'playwright-core'
import { withDemo } from '../e2e/support/server'
import { loggedIn } from '../e2e/support/browser'
import { percentile, report } from './report'
import { flap, ports } from './support'

const EVENTS_PER_SECOND = Number(process.env.EVENTS_PER_SECOND ?? 50)
const DURATION_SECONDS = Number(process.env.DURATION_SECONDS ?? 60)

const demo = withDemo()

/** Records, in the page, when each event arrived (its `ts`) and when its DOM change was painted. */
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
            if (frame.op === 'event') {
              const at = Date.parse(frame.ts)
              if (frame.kind === 'alarm.raised') published[`alarm:${frame.data.id}:add`] ??= at
              if (frame.kind === 'alarm.cleared') published[`alarm:${frame.data.id}:remove`] ??= at
              if (frame.kind === 'link.state') published[`link:${frame.data.link_id}:${frame.data.up ? 'remove' : 'add'}:${at}`] = at
            }
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
    const mark = (key: string) => {
      if (painted[key]) return
      painted[key] = -1
      requestAnimationFrame(() => (painted[key] = performance.timeOrigin + performance.now()))
    }
    const keyOf = (node: Node, change: 'add' | 'remove'): string | null => {
      if (!(node instanceof HTMLElement)) return null
      const alarm = node.tagName === 'TR' && [...node.classList].find((name) => /^alarm-\d+$/.test(name))
      if (alarm) return `alarm:${alarm.slice(6)}:${change}`
      const link = node.getAttribute('data-link-id')
      if (link) return `link:${link}:${change}:${performance.timeOrigin + performance.now()}`
      return null
    }
    new MutationObserver((records) => {
      for (const record of records) {
        for (const node of record.addedNodes) {
          const key = keyOf(node, 'add')
          if (key) mark(key)
        }
        for (const node of record.removedNodes) {
          const key = keyOf(node, 'remove')
          if (key) mark(key)
        }
      }
    }).observe(document, { subtree: true, childList: true })
  })
}

async function latencies(page: Page, prefix: string): Promise<number[]> {
  const { published, painted } = await page.evaluate(() => {
    const w = window as unknown as { __published: Record<string, number>; __painted: Record<string, number> }
    return { published: w.__published, painted: w.__painted }
  })
  if (prefix === 'alarm')
    return Object.entries(published)
      .filter(([key]) => key.startsWith('alarm:') && painted[key] > 0)
      .map(([key, at]) => painted[key] - at)
  // A link's DOM change is matched to the latest event of its kind published before it.
  const events = Object.entries(published).filter(([key]) => key.startsWith('link:'))
  const out: number[] = []
  for (const [key, at] of Object.entries(painted)) {
    if (!key.startsWith('link:') || at <= 0) continue
    const [, id, change, observed] = key.split(':')
    const before = events
      .filter(([event]) => event.startsWith(`link:${id}:${change}:`))
      .map(([, ts]) => ts)
      .filter((ts) => ts <= Number(observed))
    if (before.length) out.push(at - Math.max(...before))
  }
  return out
}

it('measures event to screen for alarms and topology colours', async () => {
  const list = await ports(demo.server.url)
  const alarmsPerson = await loggedIn(demo.browser, demo.server.url, 'ops')
  const mapPerson = await loggedIn(demo.browser, demo.server.url, 'ops')
  await instrument(alarmsPerson.page)
  await instrument(mapPerson.page)
  await alarmsPerson.page.goto('/ops/alarms')
  await alarmsPerson.page.getByTestId('alarm-table').waitFor()
  await mapPerson.page.goto('/ops/topology/1')
  await mapPerson.page.getByTestId('links-down').waitFor()
  await alarmsPerson.page.waitForTimeout(2000)

  const perSecond = EVENTS_PER_SECOND / 2
  const sent = await flap(demo.server, list, perSecond, DURATION_SECONDS * 1000, 10_000)
  await alarmsPerson.page.waitForTimeout(2000)

  const alarms = await latencies(alarmsPerson.page, 'alarm')
  const links = await latencies(mapPerson.page, 'link')
  report('event-to-screen', {
    events_per_second: EVENTS_PER_SECOND,
    interfaces_flapped: sent,
    alarm_changes: alarms.length,
    alarm_p50_ms: percentile(alarms, 50),
    alarm_p99_ms: percentile(alarms, 99),
    alarm_max_ms: Math.max(...alarms),
    topology_changes: links.length,
    topology_p50_ms: percentile(links, 50),
    topology_p99_ms: percentile(links, 99),
    topology_max_ms: Math.max(...links),
  })
  await alarmsPerson.context.close()
  await mapPerson.context.close()
})
