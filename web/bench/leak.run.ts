// Leak check: the ops overview and the topology open for LEAK_MINUTES (default 30) while the
// demo's faults come at ten times their normal rate (a link down every 2 s instead of every
// 20 s, each back up 40 s later), besides the summaries pushed every second. The JS heap
// after a forced garbage collection and the DOM node count (Chrome DevTools Protocol) are
// read after a minute's warm-up and at the end. Target: heap growth <= 5 MB, no growth in
// DOM nodes.
import { it } from 'vitest'
import { withDemo } from '../e2e/support/server'
import { loggedIn } from '../e2e/support/browser'
import { report } from './report'
import { flap, heapAndNodes, ports } from './support'

const MINUTES = Number(process.env.LEAK_MINUTES ?? 30)

const demo = withDemo()

it('keeps the overview and the topology flat over a long run', async () => {
  const list = await ports(demo.server.url)
  const overview = await loggedIn(demo.browser, demo.server.url, 'ops')
  const topology = await loggedIn(demo.browser, demo.server.url, 'ops')
  await topology.page.goto('/ops/topology/1')
  await topology.page.getByTestId('links-down').waitFor()
  await overview.page.getByTestId('kpi-devices').waitFor()
  await overview.page.waitForTimeout(60_000)
  const start = { overview: await heapAndNodes(overview.page), topology: await heapAndNodes(topology.page) }
  const flapped = await flap(demo.server, list, 0.5, MINUTES * 60_000, 40_000)
  const end = { overview: await heapAndNodes(overview.page), topology: await heapAndNodes(topology.page) }
  for (const name of ['overview', 'topology'] as const)
    report(`leak-${name}`, {
      minutes: MINUTES,
      interfaces_flapped: flapped,
      heap_start_mb: start[name].heapMb,
      heap_end_mb: end[name].heapMb,
      heap_growth_mb: end[name].heapMb - start[name].heapMb,
      dom_nodes_start: start[name].nodes,
      dom_nodes_end: end[name].nodes,
      listeners_start: start[name].listeners,
      listeners_end: end[name].listeners,
    })
  await overview.context.close()
  await topology.context.close()
})
