// Where things stand in the 3D room, in metres, from the room's grid: racks 0.6 m wide and
// 1.2 m deep side by side along a row, rows 1.2 m apart (the aisles); a rack unit is
// 44.45 mm. The room's centre is the origin, x along the rows, z across them, y up. Racks
// without a grid position (or in a room not yet drawn) stand in extra rows behind the grid.
// Pure, so it is tested without a GPU.
import type { Schemas } from '@shared/api/client'

export type Scene = Schemas['RoomScene']
export type SceneRack = Schemas['SceneRack']
export type SceneDevice = Schemas['SceneDevice']

export const RACK_WIDTH = 0.6
export const RACK_DEPTH = 1.2
export const AISLE = 1.2
export const UNIT = 0.04445
/** The plinth under the first unit. */
export const PLINTH = 0.1
/** Racks per extra row for those without a position. */
const LOOSE_ROW_LENGTH = 10

export interface Placed {
  x: number
  z: number
  /** Rotation about y: the front faces +z at 0 (`south`). */
  angle: number
  height: number
}

const ANGLES: Record<string, number> = { south: 0, north: Math.PI, east: Math.PI / 2, west: -Math.PI / 2 }

export interface RoomLayout {
  racks: Map<number, Placed>
  /** The floor's size: columns by rows in metres. */
  width: number
  depth: number
}

export function layOut(scene: Pick<Scene, 'grid_rows' | 'grid_columns' | 'racks'>): RoomLayout {
  const gridded = scene.racks.filter((rack) => rack.grid_row != null && rack.grid_column != null && scene.grid_rows && scene.grid_columns)
  const loose = scene.racks.filter((rack) => !gridded.includes(rack))
  const columns = Math.max(scene.grid_columns ?? 0, Math.min(LOOSE_ROW_LENGTH, loose.length), 1)
  const gridRows = gridded.length > 0 ? (scene.grid_rows ?? 0) : 0
  const rows = gridRows + Math.ceil(loose.length / LOOSE_ROW_LENGTH)
  const width = columns * RACK_WIDTH
  const depth = Math.max(rows, 1) * (RACK_DEPTH + AISLE) + AISLE
  const at = (row: number, column: number, rack: SceneRack): Placed => ({
    x: (column - 0.5) * RACK_WIDTH - width / 2,
    z: AISLE + (row - 1) * (RACK_DEPTH + AISLE) + RACK_DEPTH / 2 - depth / 2,
    angle: ANGLES[rack.facing] ?? 0,
    height: PLINTH + rack.height_u * UNIT,
  })
  const racks = new Map<number, Placed>()
  for (const rack of gridded) racks.set(rack.id, at(rack.grid_row!, rack.grid_column!, rack))
  loose.forEach((rack, n) => racks.set(rack.id, at(gridRows + Math.floor(n / LOOSE_ROW_LENGTH) + 1, (n % LOOSE_ROW_LENGTH) + 1, rack)))
  return { racks, width, depth }
}

/** Severity order, worst last. */
const SEVERITIES = ['info', 'minor', 'major', 'critical'] as const
export type Severity = (typeof SEVERITIES)[number]

/** The worst of the severities given, if any is known. */
export function worstSeverity(severities: Iterable<string>): Severity | null {
  let worst = -1
  for (const severity of severities) worst = Math.max(worst, SEVERITIES.indexOf(severity as Severity))
  return worst >= 0 ? SEVERITIES[worst]! : null
}

export const COLOURS = {
  up: 0x1f9a70,
  down: 0x7a2a2a,
  unknown: 0x56606e,
  critical: 0xff3b3b,
  major: 0xff8c1a,
  minor: 0xf5c400,
  info: 0x3a8dde,
} as const

/** A device's colour: its worst active alarm's, else its status's. */
export function deviceColour(status: string, severity: Severity | null): number {
  if (severity) return COLOURS[severity]
  return status === 'up' ? COLOURS.up : status === 'down' ? COLOURS.down : COLOURS.unknown
}
