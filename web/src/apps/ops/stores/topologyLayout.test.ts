import { describe, expect, it } from 'vitest'
import { linkStatus, tieredLayout, type TopologyLink, type TopologyNode } from './topologyLayout'

const node = (device_id: number, tier: string, name = `d${device_id}`): TopologyNode =>
  ({ device_id, name, kind: 'switch', tier, status: 'up', cpu_percent: null }) as TopologyNode
const link = (link_id: number, a: number, b: number): TopologyLink =>
  ({ link_id, a_device_id: a, a_if_index: 1, b_device_id: b, b_if_index: 1, bandwidth_bps: 1e9, status: 'up', utilization_percent: null }) as TopologyLink

describe('tiered layout', () => {
  const nodes = [node(1, 'core'), node(2, 'core'), node(10, 'access'), node(11, 'access'), node(20, 'host'), node(21, 'host'), node(22, 'host')]
  const links = [link(1, 1, 11), link(2, 2, 10), link(3, 10, 22), link(4, 11, 20), link(5, 11, 21)]

  it('puts tiers in rows, core on top', () => {
    const positions = tieredLayout(nodes, links)
    expect(positions.get(1)!.y).toBeLessThan(positions.get(10)!.y)
    expect(positions.get(10)!.y).toBeLessThan(positions.get(20)!.y)
  })

  it('orders each row under its upper neighbours', () => {
    const positions = tieredLayout(nodes, links)
    // Core 1 is left of core 2, so switch 11 (under 1) is left of switch 10 (under 2).
    expect(positions.get(11)!.x).toBeLessThan(positions.get(10)!.x)
    // Hosts of switch 11 come before the host of switch 10.
    expect(positions.get(20)!.x).toBeLessThan(positions.get(22)!.x)
    expect(positions.get(21)!.x).toBeLessThan(positions.get(22)!.x)
  })

  it('wraps a long tier onto more lines, each within the width of the widest line', () => {
    const many = Array.from({ length: 100 }, (_, index) => node(100 + index, 'host'))
    const positions = tieredLayout([node(1, 'core'), ...many], [])
    const ys = new Set(many.map((host) => positions.get(host.device_id)!.y))
    expect(ys.size).toBe(3)
    const xs = many.map((host) => positions.get(host.device_id)!.x)
    expect(Math.max(...xs)).toBe(70 * 39)
    expect(positions.get(1)!.x).toBe((70 * 39) / 2)
  })

  it('is the same picture whatever order the server lists them in', () => {
    const forward = Object.fromEntries(tieredLayout(nodes, links))
    const backward = Object.fromEntries(tieredLayout([...nodes].reverse(), [...links].reverse()))
    expect(backward).toEqual(forward)
  })
})

describe('link status from its ends', () => {
  it.each([
    [true, true, 'up'],
    [true, false, 'down'],
    [false, null, 'down'],
    [true, null, 'unknown'],
    [null, null, 'unknown'],
  ] as const)('%s and %s is %s', (a, b, expected) => {
    expect(linkStatus(a, b)).toBe(expected)
  })
})
