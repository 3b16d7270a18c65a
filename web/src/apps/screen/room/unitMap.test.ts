import { describe, expect, it } from 'vitest'
import { ROWS_PER_UNIT, UnitMap } from './unitMap'

const racks = [
  { id: 10, height_u: 42 },
  { id: 11, height_u: 24 },
]
const devices = [
  { id: 1, rack_id: 10, rack_unit: 1, height_u: 2 },
  { id: 2, rack_id: 10, rack_unit: 3, height_u: 1 },
  { id: 3, rack_id: 11, rack_unit: 23, height_u: 4 },
  { id: 4, rack_id: 11, rack_unit: null, height_u: 1 },
  { id: 5, rack_id: 99, rack_unit: 1, height_u: 1 },
]

describe('the unit map', () => {
  it('has a column per rack and the tallest rack’s units in rows', () => {
    const map = new UnitMap(racks, devices)
    expect([map.width, map.height, map.maxUnits]).toEqual([2, 42 * ROWS_PER_UNIT, 42])
    expect(map.data.length).toBe(2 * 42 * ROWS_PER_UNIT * 4)
    expect(map.column(11)).toBe(1)
    expect(map.column(99)).toBeUndefined()
    // Nothing coloured yet: no unit is drawn.
    expect(map.texel(0, 0)).toBeNull()
    expect(map.texel(1, map.height - 1)).toBeNull()
    expect(map.colourOf(1)).toBeNull()
  })

  it('colours a device’s units, its top row darker, and nothing else', () => {
    const map = new UnitMap(racks, devices)
    expect(map.set(1, 0x204060, true)).toBe(true)
    for (let row = 0; row < 2 * ROWS_PER_UNIT - 1; row += 1) expect(map.texel(0, row)).toEqual({ colour: 0x204060, pulse: true })
    const seam = map.texel(0, 2 * ROWS_PER_UNIT - 1)!
    expect(seam.pulse).toBe(true)
    expect(seam.colour).not.toBe(0x204060)
    expect(seam.colour >> 16).toBeLessThan(0x20)
    // The next unit up is another device's, still empty; the other rack is untouched.
    expect(map.texel(0, 2 * ROWS_PER_UNIT)).toBeNull()
    expect(map.texel(1, 0)).toBeNull()
    expect(map.colourOf(1)).toBe(0x204060)
    // Recoloured without the pulse.
    map.set(1, 0x00ff00, false)
    expect(map.texel(0, 0)).toEqual({ colour: 0x00ff00, pulse: false })
    expect(map.colourOf(1)).toBe(0x00ff00)
    expect(map.colourOf(4)).toBeNull()
  })

  it('draws nothing for a device without a unit or rack here, and cuts one at its rack’s top', () => {
    const map = new UnitMap(racks, devices)
    expect(map.set(4, 0xffffff, false)).toBe(false)
    expect(map.set(5, 0xffffff, false)).toBe(false)
    expect(map.set(3, 0xff0000, false)).toBe(true)
    // Units 23 and 24 of a 24U rack: the rows above it stay empty.
    expect(map.texel(1, 22 * ROWS_PER_UNIT)?.colour).toBe(0xff0000)
    expect(map.texel(1, 24 * ROWS_PER_UNIT)).toBeNull()
  })
})
