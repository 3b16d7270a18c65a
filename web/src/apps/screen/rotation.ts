// The wall's rotation: which views it shows, in which order, for how long each. Read from
// the page's address (`?views=overview,dc,room:4&dwell=room:60`) so that a wall is set up
// by its URL; `dc` and `room` stand for one view per data center or room, `dc:2` and
// `room:4` for one. Pure; the App turns it into a timer.

export type ViewKind = 'overview' | 'dc' | 'cloud' | 'network' | 'business' | 'room'

export const VIEW_KINDS: readonly ViewKind[] = ['overview', 'dc', 'cloud', 'network', 'business', 'room']

/** Seconds each kind stays on screen unless the address says otherwise. */
export const DEFAULT_DWELL: Readonly<Record<ViewKind, number>> = {
  overview: 30,
  dc: 15,
  cloud: 20,
  network: 20,
  business: 20,
  room: 30,
}

const MIN_DWELL = 5
const MAX_DWELL = 3600

export interface Slot {
  kind: ViewKind
  /** The data center or room it shows. */
  id?: number
  dwellSeconds: number
}

export interface Places {
  dataCenterIds: readonly number[]
  /** Rooms worth showing (those with racks), by data center. */
  roomIds: readonly number[]
}

function isKind(raw: string): raw is ViewKind {
  return (VIEW_KINDS as readonly string[]).includes(raw)
}

/** `room:60,overview:20` → dwell seconds by kind, within bounds; the rest ignored. */
export function parseDwell(raw: string | null): Partial<Record<ViewKind, number>> {
  const dwell: Partial<Record<ViewKind, number>> = {}
  for (const part of (raw ?? '').split(',')) {
    const [kind, seconds] = part.split(':')
    const value = Number(seconds)
    if (kind && isKind(kind) && Number.isFinite(value)) dwell[kind] = Math.min(MAX_DWELL, Math.max(MIN_DWELL, Math.round(value)))
  }
  return dwell
}

/** The slots of a rotation; never empty (the overview when nothing else is). */
export function rotationOf(search: URLSearchParams, places: Places): Slot[] {
  const dwell = { ...DEFAULT_DWELL, ...parseDwell(search.get('dwell')) }
  const wanted = (search.get('views') ?? VIEW_KINDS.join(','))
    .split(',')
    .map((part) => part.trim())
    .filter(Boolean)
  const slots: Slot[] = []
  for (const token of wanted) {
    const [kind, rawId] = token.split(':')
    if (!kind || !isKind(kind)) continue
    const id = rawId === undefined ? undefined : Number(rawId)
    if (id !== undefined && !(Number.isInteger(id) && id > 0)) continue
    const ids = kind === 'dc' ? places.dataCenterIds : kind === 'room' ? places.roomIds : null
    if (ids === null) slots.push({ kind, dwellSeconds: dwell[kind] })
    else if (id !== undefined) slots.push({ kind, id, dwellSeconds: dwell[kind] })
    else for (const each of ids) slots.push({ kind, id: each, dwellSeconds: dwell[kind] })
  }
  return slots.length > 0 ? slots : [{ kind: 'overview', dwellSeconds: dwell.overview }]
}

/** A slot's identity, for keys and the address. */
export function slotKey(slot: Slot): string {
  return slot.id === undefined ? slot.kind : `${slot.kind}:${slot.id}`
}
