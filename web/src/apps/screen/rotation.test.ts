import { describe, expect, it } from 'vitest'
import { DEFAULT_DWELL, parseDwell, rotationOf, slotKey } from './rotation'

const places = { dataCenterIds: [1, 2], roomIds: [11, 12, 21] }
const keys = (search: string) => rotationOf(new URLSearchParams(search), places).map(slotKey)

describe('the rotation', () => {
  it('shows every view by default, one per data center and room', () => {
    expect(keys('')).toEqual(['overview', 'dc:1', 'dc:2', 'cloud', 'network', 'business', 'room:11', 'room:12', 'room:21'])
    expect(rotationOf(new URLSearchParams(''), places)[0]?.dwellSeconds).toBe(DEFAULT_DWELL.overview)
  })

  it('follows the address: order, pinned places, dwell within bounds', () => {
    expect(keys('views=room:12,overview,dc:2')).toEqual(['room:12', 'overview', 'dc:2'])
    expect(keys('views=bogus,room:0,room:x,dc:-1')).toEqual(['overview'])
    expect(keys('views=')).toEqual(['overview'])
    const slots = rotationOf(new URLSearchParams('views=room:11,overview&dwell=room:60,overview:1,cloud:x,nope:3'), places)
    expect(slots.map((slot) => slot.dwellSeconds)).toEqual([60, 5])
    expect(parseDwell('room:99999')).toEqual({ room: 3600 })
    expect(parseDwell(null)).toEqual({})
  })

  it('leaves out places that do not exist yet rather than inventing them', () => {
    expect(rotationOf(new URLSearchParams('views=dc,room'), { dataCenterIds: [], roomIds: [] }).map(slotKey)).toEqual(['overview'])
  })
})
