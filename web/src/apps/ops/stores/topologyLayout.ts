// Where each device sits on the topology: a person's own arrangement when they have dragged
// devices (kept per person and data center in this browser), otherwise rows by tier (core on
// top, then aggregation, access, hosts), each device under the devices it links up to, so
// that the first picture has few crossings and never moves between updates. Pure but for
// the storage helpers.
import type { Schemas } from '@shared/api/client'

export type TopologyNode = Schemas['TopologyNode']
export type TopologyLink = Schemas['TopologyLink']
export type Position = { x: number; y: number }

export const TIER_ORDER = ['core', 'aggregation', 'access', 'host'] as const
/** Space between tiers, between the lines of a wrapped tier, and between devices. */
const TIER_GAP = 200
const LINE_GAP = 70
const COLUMN_GAP = 70
/** A tier with more devices than this wraps onto further lines, so that a thousand devices
 * make a block rather than a line too long to read. */
const MAX_PER_LINE = 40

function tierRank(tier: string): number {
  const rank = (TIER_ORDER as readonly string[]).indexOf(tier)
  return rank < 0 ? TIER_ORDER.length : rank
}

/** Rows by tier; within a row, devices ordered by the mean position of their upper neighbours. */
export function tieredLayout(nodes: readonly TopologyNode[], links: readonly TopologyLink[]): Map<number, Position> {
  const neighbours = new Map<number, number[]>()
  for (const link of links) {
    neighbours.set(link.a_device_id, [...(neighbours.get(link.a_device_id) ?? []), link.b_device_id])
    neighbours.set(link.b_device_id, [...(neighbours.get(link.b_device_id) ?? []), link.a_device_id])
  }
  const rows = new Map<number, TopologyNode[]>()
  for (const node of nodes) rows.set(tierRank(node.tier), [...(rows.get(tierRank(node.tier)) ?? []), node])
  const columns = Math.min(MAX_PER_LINE, Math.max(1, ...[...rows.values()].map((row) => row.length)))
  const width = COLUMN_GAP * (columns - 1)
  const positions = new Map<number, Position>()
  const rank = new Map<number, number>()
  let y = 0
  for (const tier of [...rows.keys()].sort((a, b) => a - b)) {
    const row = rows.get(tier)!
    const key = (node: TopologyNode) => {
      const upper = (neighbours.get(node.device_id) ?? []).map((id) => rank.get(id)).filter((r): r is number => r !== undefined)
      return upper.length ? upper.reduce((a, b) => a + b, 0) / upper.length : Number.MAX_SAFE_INTEGER
    }
    const ordered = [...row].sort((a, b) => key(a) - key(b) || a.name.localeCompare(b.name) || a.device_id - b.device_id)
    const lines = Math.ceil(ordered.length / MAX_PER_LINE)
    const perLine = Math.ceil(ordered.length / lines)
    ordered.forEach((node, index) => {
      const line = Math.floor(index / perLine)
      const column = index % perLine
      const inLine = Math.min(perLine, ordered.length - line * perLine)
      // Each line spreads over the full width, so that short rows sit centred above long ones.
      const x = inLine === 1 ? width / 2 : (width * column) / (inLine - 1)
      const position = { x: Math.round(x), y: y + line * LINE_GAP }
      positions.set(node.device_id, position)
      rank.set(node.device_id, position.x + line * 0.001)
    })
    y += (lines - 1) * LINE_GAP + TIER_GAP
  }
  return positions
}

/** Link state from its two ends: up when both are up, down when either is down. */
export function linkStatus(aUp: boolean | null, bUp: boolean | null): 'up' | 'down' | 'unknown' {
  if (aUp === false || bUp === false) return 'down'
  if (aUp === true && bUp === true) return 'up'
  return 'unknown'
}

const storageKey = (userId: number, dataCenterId: number) => `yunguan.topology.${userId}.${dataCenterId}`

export function savedPositions(userId: number, dataCenterId: number): Map<number, Position> {
  try {
    const raw = globalThis.localStorage?.getItem(storageKey(userId, dataCenterId))
    if (!raw) return new Map()
    return new Map(Object.entries(JSON.parse(raw) as Record<string, Position>).map(([id, p]) => [Number(id), p]))
  } catch {
    return new Map()
  }
}

export function savePositions(userId: number, dataCenterId: number, positions: Map<number, Position>): void {
  globalThis.localStorage?.setItem(storageKey(userId, dataCenterId), JSON.stringify(Object.fromEntries(positions)))
}

export function forgetPositions(userId: number, dataCenterId: number): void {
  globalThis.localStorage?.removeItem(storageKey(userId, dataCenterId))
}
