// Topology at scale: a data center of 1,000 devices and 1,500 links (a synthetic snapshot the
// browser receives in place of the server's), then 100 state changes a second for 60 s
// pushed through the page's own WebSocket client (a WebSocket the test serves in the
// server's place). Measured in headless Chromium: the first render (from the snapshot's
// answer to the first frame painted after the graph is built) and frames per second while
// the changes come (requestAnimationFrame). Targets: first render <= 1.5 s, >= 30 fps.
import { it } from 'vitest'
import { withDemo } from '../e2e/support/server'
import { loggedIn } from '../e2e/support/browser'
import { percentile, report } from './report'

const DEVICES = 1000
const LINKS = 1500
const CHANGES_PER_SECOND = Number(process.env.CHANGES_PER_SECOND ?? 100)
const STORM_SECONDS = Number(process.env.STORM_SECONDS ?? 60)

const demo = withDemo({ embedded: true })

/** 10 core routers, 190 access switches on two cores each, 800 hosts on one or two switches. */
function synthetic() {
  const nodes = Array.from({ length: DEVICES }, (_, index) => {
    const id = index + 1
    const tier = id <= 10 ? 'core' : id <= 200 ? 'access' : 'host'
    const kind = tier === 'core' ? 'router' : tier === 'access' ? 'switch' : 'server'
    return { device_id: id, name: `${kind}-${String(id).padStart(4, '0')}`, kind, tier, status: 'up', cpu_percent: 20 }
  })
  const links: { link_id: number; a_device_id: number; a_if_index: number; [more: string]: number | string }[] = []
  const link = (a: number, aIf: number, b: number, bIf: number) =>
    links.push({
      link_id: links.length + 1,
      a_device_id: a,
      a_if_index: aIf,
      b_device_id: b,
      b_if_index: bIf,
      bandwidth_bps: 10_000_000_000,
      status: 'up',
      utilization_percent: (links.length * 37) % 100,
    })
  for (let access = 11; access <= 200; access++) {
    link(1 + (access % 10), access, access, 49)
    link(1 + ((access + 5) % 10), access, access, 50)
  }
  for (let host = 201; host <= 1000; host++) link(11 + (host % 190), host % 48 || 48, host, 1)
  for (let host = 201; links.length < LINKS; host++) link(11 + ((host + 95) % 190), 48, host, 2)
  return { data_center_id: 1, nodes, links }
}

it('renders 1,000 devices and 1,500 links and stays fluid under 100 changes a second', async () => {
  const topology = synthetic()
  const { page, context } = await loggedIn(demo.browser, demo.server.url, 'ops')
  let snapshotAnsweredAt = 0
  await page.route('**/api/v1/datacenters/1/topology', async (route) => {
    snapshotAnsweredAt = Date.now()
    await route.fulfill({ json: topology })
  })
  // The page's live client talks to this in place of the server: it confirms subscriptions,
  // answers pings, and pushes the storm on `dc/1` when told to.
  const pusher: { push: ((frame: object) => void) | null } = { push: null }
  let seq = 1_000_000
  await page.routeWebSocket(/\/api\/v1\/ws/, (socket) => {
    socket.onMessage((raw) => {
      const message = JSON.parse(String(raw)) as { op: string; topic?: string }
      if (message.op === 'subscribe') socket.send(JSON.stringify({ op: 'subscribed', topic: message.topic, seq }))
      if (message.op === 'ping') socket.send(JSON.stringify({ op: 'pong' }))
    })
    pusher.push = (frame) => socket.send(JSON.stringify(frame))
  })
  await page.addInitScript(() => {
    const marks: Record<string, number> = {}
    ;(window as unknown as { __marks: Record<string, number> }).__marks = marks
    new MutationObserver(() => {
      if (!marks.counted && document.querySelector('[data-testid="links-down"]')?.textContent?.match(/\d/) && document.querySelector('canvas')) {
        marks.counted = performance.timeOrigin + performance.now()
        requestAnimationFrame(() => requestAnimationFrame(() => (marks.painted = performance.timeOrigin + performance.now())))
      }
    }).observe(document, { subtree: true, childList: true, characterData: true })
  })
  await page.goto('/ops/topology/1')
  await page.waitForFunction(() => (window as unknown as { __marks: Record<string, number> }).__marks.painted)
  const marks = await page.evaluate(() => (window as unknown as { __marks: Record<string, number> }).__marks)
  const navigationToPaint = await page.evaluate((painted) => painted - performance.timeOrigin, marks.painted)

  // The storm: alternating link and device changes on random ids, in batches every 50 ms.
  await page.evaluate(() => {
    const state: number[] = []
    ;(window as unknown as { __fps: number[] }).__fps = state
    let frames = 0
    let second = performance.now()
    const tick = (now: number) => {
      frames += 1
      if (now - second >= 1000) {
        state.push((frames * 1000) / (now - second))
        frames = 0
        second = now
      }
      requestAnimationFrame(tick)
    }
    requestAnimationFrame(tick)
  })
  // A link's A end going down or up (so that its colour changes).
  const linkChange = (n: number) => {
    const link = topology.links[(n * 7919) % LINKS]
    return { link_id: link.link_id, up: n % 4 === 0, device_id: link.a_device_id, if_index: link.a_if_index }
  }
  const started = Date.now()
  let sent = 0
  while (Date.now() - started < STORM_SECONDS * 1000) {
    const due = Math.floor(((Date.now() - started) / 1000) * CHANGES_PER_SECOND)
    for (; sent < due; sent++) {
      seq += 1
      const ts = new Date().toISOString()
      const frame =
        sent % 2 === 0
          ? { op: 'event', topic: 'dc/1', seq, kind: 'link.state', ts, data: linkChange(sent) }
          : { op: 'event', topic: 'dc/1', seq, kind: 'device.state', ts, data: { device_id: 1 + ((sent * 104_729) % DEVICES), change: sent % 4 === 1 ? 'unreachable' : 'reachable', if_index: null, at_ms: Date.now() } }
      pusher.push?.(frame)
    }
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
  const fps = await page.evaluate(() => (window as unknown as { __fps: number[] }).__fps)
  report('topology', {
    devices: DEVICES,
    links: LINKS,
    first_render_ms: marks.painted - snapshotAnsweredAt,
    navigation_to_first_render_ms: navigationToPaint,
    changes_per_second: CHANGES_PER_SECOND,
    changes_sent: sent,
    fps_median: percentile(fps, 50),
    fps_p5: percentile(fps, 5),
    fps_min: Math.min(...fps),
  })
  await context.close()
})
