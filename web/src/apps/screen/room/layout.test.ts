import { describe, expect, it } from 'vitest'
import { COLOURS, deviceColour, layOut, PLINTH, RACK_WIDTH, UNIT, worstSeverity, type SceneRack } from './layout'

const rack = (id: number, row: number | null, column: number | null, facing = 'south'): SceneRack => ({
  id,
  name: `R${id}`,
  height_u: 42,
  grid_row: row,
  grid_column: column,
  facing,
})

describe('the room layout', () => {
  it('stands racks at their grid positions, rows apart, centred on the room', () => {
    const layout = layOut({ grid_rows: 2, grid_columns: 8, racks: [rack(1, 1, 1), rack(2, 1, 8), rack(3, 2, 1, 'north')] })
    const [a, b, c] = [1, 2, 3].map((id) => layout.racks.get(id)!)
    expect(layout.width).toBeCloseTo(8 * RACK_WIDTH)
    expect(a.x).toBeCloseTo(-layout.width / 2 + RACK_WIDTH / 2)
    expect(b.x).toBeCloseTo(layout.width / 2 - RACK_WIDTH / 2)
    expect(a.z).toBe(b.z)
    expect(c.z).toBeGreaterThan(a.z)
    expect(a.angle).toBe(0)
    expect(c.angle).toBeCloseTo(Math.PI)
    expect(a.height).toBeCloseTo(PLINTH + 42 * UNIT)
    // The room is centred: the first and last rows sit symmetrically.
    expect(a.z + c.z).toBeCloseTo(0)
  })

  it('puts racks without a position in rows of their own behind the grid', () => {
    const racks = [rack(1, 1, 1), ...Array.from({ length: 12 }, (_, n) => rack(10 + n, null, null))]
    const layout = layOut({ grid_rows: 1, grid_columns: 4, racks })
    expect(layout.racks.size).toBe(13)
    const looseZ = new Set([...Array(12).keys()].map((n) => layout.racks.get(10 + n)!.z))
    expect(looseZ.size).toBe(2)
    for (const z of looseZ) expect(z).toBeGreaterThan(layout.racks.get(1)!.z)
    // A room never drawn: every rack is loose, nothing overlaps.
    const undrawn = layOut({ grid_rows: null, grid_columns: null, racks: [rack(1, 1, 1), rack(2, 1, 2)] })
    const [p, q] = [undrawn.racks.get(1)!, undrawn.racks.get(2)!]
    expect(p.x === q.x && p.z === q.z).toBe(false)
  })

  it('colours a device by its worst active alarm, else by its status', () => {
    expect(worstSeverity(['minor', 'critical', 'info'])).toBe('critical')
    expect(worstSeverity([])).toBeNull()
    expect(worstSeverity(['bogus'])).toBeNull()
    expect(deviceColour('up', null)).toBe(COLOURS.up)
    expect(deviceColour('down', null)).toBe(COLOURS.down)
    expect(deviceColour('up', 'major')).toBe(COLOURS.major)
    expect(deviceColour('unknown', null)).toBe(COLOURS.unknown)
  })
})
