import { describe, expect, it } from 'vitest'
import { applyLinkState, byKind, endsOf, linkName, statusAfter, statusOf, type TopologyLink } from './topology'

const link: TopologyLink = {
  link_id: 7,
  a_device_id: 1,
  a_if_index: 3,
  b_device_id: 2,
  b_if_index: 9,
  bandwidth_bps: 1e9,
  status: 'up',
  utilization_percent: 12,
}

describe('a link kept current by its ends', () => {
  it('goes down when either end does and up only when both are', () => {
    let [current, ends] = applyLinkState(link, endsOf(link), { link_id: 7, device_id: 1, if_index: 3, up: false })
    expect(current.status).toBe('down')
    ;[current, ends] = applyLinkState(current, ends, { link_id: 7, device_id: 2, if_index: 9, up: false })
    ;[current, ends] = applyLinkState(current, ends, { link_id: 7, device_id: 1, if_index: 3, up: true })
    expect(current.status).toBe('down')
    ;[current, ends] = applyLinkState(current, ends, { link_id: 7, device_id: 2, if_index: 9, up: true })
    expect(current.status).toBe('up')
    expect(current.utilization_percent).toBe(12)
  })

  it('starts from what the snapshot knew', () => {
    expect(statusOf(endsOf({ ...link, status: 'unknown' }))).toBe('unknown')
    // Down in the snapshot, one end seen up: the other may still be down.
    const [after] = applyLinkState({ ...link, status: 'down' }, endsOf({ ...link, status: 'down' }), { link_id: 7, device_id: 1, if_index: 3, up: true })
    expect(after.status).toBe('down')
  })
})

describe('devices', () => {
  it('change status only on reachability', () => {
    expect(statusAfter('unreachable', 'up')).toBe('down')
    expect(statusAfter('reachable', 'down')).toBe('up')
    expect(statusAfter('interface_down', 'up')).toBe('up')
  })

  it('are counted by kind and status', () => {
    const node = (kind: string, status: string) => ({ device_id: 1, name: 'x', kind, tier: 'core', status })
    const counts = byKind([node('switch', 'up'), node('switch', 'down'), node('server', 'weird')])
    expect(counts.get('switch')).toEqual({ up: 1, down: 1, unknown: 0 })
    expect(counts.get('server')).toEqual({ up: 0, down: 0, unknown: 1 })
    expect(linkName(link, new Map([[1, 'core-1']]))).toBe('core-1 ⇄ 2')
  })
})
