// A data center's devices and links as the wall counts them, kept current by pushes: a
// device's reachability (`device.state`), a link end going up or down (`link.state`), a
// link's utilization (`link.utilization`). Pure: the views hold the state, these make the
// next one.
import type { Schemas } from '@shared/api/client'

export type Topology = Schemas['TopologyView']
export type TopologyLink = Schemas['TopologyLink']

/** A link's ends as last seen: `true` up, `false` down, `null` not known. */
export interface LinkEnds {
  a: boolean | null
  b: boolean | null
}

export function endsOf(link: TopologyLink): LinkEnds {
  // The snapshot says only up (both ends), down (at least one) or unknown.
  const known = link.status === 'up' ? true : link.status === 'down' ? false : null
  return { a: known, b: known }
}

export function statusOf(ends: LinkEnds): 'up' | 'down' | 'unknown' {
  if (ends.a === false || ends.b === false) return 'down'
  return ends.a && ends.b ? 'up' : 'unknown'
}

/** The link after one of its ends went up or down. */
export function applyLinkState(link: TopologyLink, ends: LinkEnds, event: Schemas['LinkStateEvent']): [TopologyLink, LinkEnds] {
  const next = { ...ends }
  if (event.device_id === link.a_device_id && event.if_index === link.a_if_index) next.a = event.up
  else if (event.device_id === link.b_device_id && event.if_index === link.b_if_index) next.b = event.up
  else {
    // An end this link does not have: the event names the link, so trust its direction.
    next.a = event.up
    next.b = event.up
  }
  return [{ ...link, status: statusOf(next) }, next]
}

/** A device's status after a `device.state` change, if the change is about reachability. */
export function statusAfter(change: Schemas['DeviceChange'], current: string): string {
  return change === 'reachable' ? 'up' : change === 'unreachable' ? 'down' : current
}

/** Devices by kind and status. */
export function byKind(nodes: readonly Schemas['TopologyNode'][]): Map<string, Record<'up' | 'down' | 'unknown', number>> {
  const counts = new Map<string, Record<'up' | 'down' | 'unknown', number>>()
  for (const node of nodes) {
    const entry = counts.get(node.kind) ?? { up: 0, down: 0, unknown: 0 }
    const status = node.status === 'up' || node.status === 'down' ? node.status : 'unknown'
    entry[status] += 1
    counts.set(node.kind, entry)
  }
  return counts
}

/** A link's name for people: its two devices. */
export function linkName(link: TopologyLink, names: ReadonlyMap<number, string>): string {
  return `${names.get(link.a_device_id) ?? link.a_device_id} ⇄ ${names.get(link.b_device_id) ?? link.b_device_id}`
}
