// The room's devices as one small texture: a column of texels per rack, ROWS_PER_UNIT rows
// per rack unit from the bottom, each texel the colour of the device in that unit; its alpha
// says whether a device is there (an empty unit is not drawn: the rack is seen through) and
// whether it pulses. The rack's faces sample their
// column, so a room of 4,000 devices costs the GPU its 200 rack boxes and one
// texture: a box per device cost SwiftShader (a CPU renderer) four times the frame time
// (docs/benchmarks.md). A device's top row is darker, so that stacked devices read as
// separate. Pure, so it is tested without a GPU.
import type { SceneDevice, SceneRack } from './layout'

export const ROWS_PER_UNIT = 4
/** A texel's alpha: no device, a device, a pulsing device. */
const EMPTY = 0
const STEADY = 128
const PULSING = 255
/** How bright a device's top row is against the rest of it. */
const SEAM = 0.45

interface Span {
  column: number
  /** The first texel row and the row count. */
  row: number
  rows: number
}

export class UnitMap {
  /** RGBA, row by row from the bottom. */
  readonly data: Uint8Array
  /** Texels across: one per rack. */
  readonly width: number
  /** Texels up: the tallest rack's units times ROWS_PER_UNIT. */
  readonly height: number
  /** Units in the tallest rack: a rack's face samples `units / maxUnits` of its column. */
  readonly maxUnits: number
  private readonly columns = new Map<number, number>()
  private readonly spans = new Map<number, Span>()

  constructor(racks: readonly Pick<SceneRack, 'id' | 'height_u'>[], devices: readonly Pick<SceneDevice, 'id' | 'rack_id' | 'rack_unit' | 'height_u'>[]) {
    this.width = Math.max(1, racks.length)
    this.maxUnits = Math.max(1, ...racks.map((rack) => rack.height_u))
    this.height = this.maxUnits * ROWS_PER_UNIT
    this.data = new Uint8Array(this.width * this.height * 4)
    racks.forEach((rack, column) => this.columns.set(rack.id, column))
    const unitsOf = new Map(racks.map((rack) => [rack.id, rack.height_u]))
    for (const device of devices) {
      const column = this.columns.get(device.rack_id)
      const units = unitsOf.get(device.rack_id) ?? 0
      if (column === undefined || device.rack_unit == null || device.rack_unit < 1) continue
      // A device that would stand above its rack's top (the server refuses it) is cut there.
      const top = Math.min(device.rack_unit - 1 + Math.max(1, device.height_u), units)
      if (top <= device.rack_unit - 1) continue
      this.spans.set(device.id, { column, row: (device.rack_unit - 1) * ROWS_PER_UNIT, rows: (top - device.rack_unit + 1) * ROWS_PER_UNIT })
    }
  }

  /** The texel column of a rack, if it is in this room. */
  column(rackId: number): number | undefined {
    return this.columns.get(rackId)
  }

  /** Colours a device; false when it has no units here (nothing to draw). */
  set(deviceId: number, colour: number, pulse: boolean): boolean {
    const span = this.spans.get(deviceId)
    if (!span) return false
    this.fill(span.column, span.row, span.rows - 1, colour, pulse, false)
    this.fill(span.column, span.row + span.rows - 1, 1, colour, pulse, true)
    return true
  }

  /** The colour a device is drawn in (before any pulse), if it has units here. */
  colourOf(deviceId: number): number | null {
    const span = this.spans.get(deviceId)
    return span ? (this.texel(span.column, span.row)?.colour ?? null) : null
  }

  /** The device drawn at a column and row: its colour as 0xRRGGBB and whether it pulses;
   * null where no device is drawn. */
  texel(column: number, row: number): { colour: number; pulse: boolean } | null {
    const at = (row * this.width + column) * 4
    if (this.data[at + 3] === EMPTY) return null
    return { colour: (this.data[at]! << 16) | (this.data[at + 1]! << 8) | this.data[at + 2]!, pulse: this.data[at + 3] === PULSING }
  }

  private fill(column: number, row: number, rows: number, colour: number, pulse: boolean, seam: boolean): void {
    const shade = seam ? SEAM : 1
    const [r, g, b] = [(colour >> 16) & 0xff, (colour >> 8) & 0xff, colour & 0xff].map((channel) => Math.round(channel * shade))
    for (let y = row; y < row + rows; y += 1) {
      const at = (y * this.width + column) * 4
      this.data[at] = r!
      this.data[at + 1] = g!
      this.data[at + 2] = b!
      this.data[at + 3] = pulse ? PULSING : STEADY
    }
  }
}
