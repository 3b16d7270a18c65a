// What the live benchmarks share: the demo's interfaces to take down (linked ones of a data
// center first), and a driver that takes them down and brings them back at a set rate
// through the demo's standard input, each interface once, so that no flapping rule holds
// an event back.
import { ApiUser } from '../e2e/support/api'
import type { Page } from 'playwright-core'
import type { DemoServer } from '../e2e/support/server'

export interface Port {
  device: string
  ifIndex: number
}

interface Topology {
  nodes: { device_id: number; name: string; status: string }[]
  links: { a_device_id: number; a_if_index: number; b_device_id: number; b_if_index: number }[]
}

/** Interfaces to take down: the ends of data center 1's links first, then every other
 * interface of the devices that answer, in a fixed order. */
export async function ports(base: string): Promise<Port[]> {
  const ops = await ApiUser.login(base, 'ops')
  // Wait for the first polls (within an interval): only devices seen up are taken down.
  for (let attempt = 0; attempt < 60; attempt++) {
    const overview = await ops.get<{ devices: number; devices_up: number }>('/overview')
    if (overview.devices > 0 && overview.devices_up >= overview.devices * 0.95) break
    await new Promise((resolve) => setTimeout(resolve, 1000))
  }
  const seen = new Set<string>()
  const out: Port[] = []
  const add = (device: string, ifIndex: number) => {
    const key = `${device}/${ifIndex}`
    if (!seen.has(key)) {
      seen.add(key)
      out.push({ device, ifIndex })
    }
  }
  const up = new Set<string>()
  for (const dc of [1, 2, 3]) {
    const topology = await ops.get<Topology>(`/datacenters/${dc}/topology`)
    const names = new Map(topology.nodes.map((node) => [node.device_id, node.name]))
    for (const node of topology.nodes) if (node.status === 'up') up.add(node.name)
    if (dc === 1)
      for (const link of topology.links) {
        if (up.has(names.get(link.a_device_id)!)) add(names.get(link.a_device_id)!, link.a_if_index)
        if (up.has(names.get(link.b_device_id)!)) add(names.get(link.b_device_id)!, link.b_if_index)
      }
  }
  const devices: { id: number; name: string }[] = []
  for (let offset = 0; ; offset += 200) {
    const page = await ops.get<{ id: number; name: string }[]>(`/devices?offset=${offset}&limit=200`)
    devices.push(...page)
    if (page.length < 200) break
  }
  const nameOf = new Map(devices.map((device) => [device.id, device.name]))
  for (let offset = 0; ; offset += 200) {
    const page = await ops.get<{ device_id: number; if_index: number }[]>(`/interfaces?offset=${offset}&limit=200`)
    for (const row of page) {
      const name = nameOf.get(row.device_id)
      if (name && up.has(name)) add(name, row.if_index)
    }
    if (page.length < 200) break
  }
  return out
}

/** Takes `perSecond` interfaces down each second, each back up `holdMs` later, until
 * `durationMs` has passed (and every one taken down is back up). */
export async function flap(server: DemoServer, list: Port[], perSecond: number, durationMs: number, holdMs: number): Promise<number> {
  const started = Date.now()
  const ups: { at: number; port: Port }[] = []
  let sent = 0
  const pending: Promise<string>[] = []
  while (Date.now() - started < durationMs || ups.length) {
    const elapsed = Date.now() - started
    const due = elapsed < durationMs ? Math.min(list.length, Math.floor((elapsed / 1000) * perSecond)) : sent
    for (; sent < due; sent++) {
      const port = list[sent]
      pending.push(server.command(`link down ${port.device} ${port.ifIndex}`))
      ups.push({ at: Date.now() + holdMs, port })
    }
    while (ups.length && ups[0].at <= Date.now()) {
      const { port } = ups.shift()!
      pending.push(server.command(`link up ${port.device} ${port.ifIndex}`))
    }
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
  await Promise.all(pending)
  return sent
}

/** The page's JS heap after a forced garbage collection, its DOM nodes alive (Chrome
 * DevTools Protocol: in the document or not, so detached nodes that leak count too), the
 * nodes in the document, and its event listeners. Nodes alive beyond those in the document
 * are the detached ones. */
export async function heapAndNodes(page: Page): Promise<{ heapMb: number; nodes: number; attached: number; listeners: number }> {
  const cdp = await page.context().newCDPSession(page)
  await cdp.send('Performance.enable')
  await cdp.send('HeapProfiler.collectGarbage')
  await cdp.send('HeapProfiler.collectGarbage')
  const { usedSize } = await cdp.send('Runtime.getHeapUsage')
  const { metrics } = await cdp.send('Performance.getMetrics')
  const metric = (name: string) => metrics.find((entry) => entry.name === name)?.value ?? Number.NaN
  await cdp.detach()
  const attached = await page.evaluate(() => {
    const walker = document.createTreeWalker(document, NodeFilter.SHOW_ALL)
    let count = 1
    while (walker.nextNode()) count += 1
    return count
  })
  return { heapMb: usedSize / 1024 / 1024, nodes: metric('Nodes'), attached, listeners: metric('JSEventListeners') }
}
