import { describe, expect, it } from 'vitest'
import zhCN from '@shared/i18n/zh-CN'
import cmdbZh from '@shared/i18n/cmdb.zh-CN'
import { changedFields, createdFields, KINDS, newRecordValues, specOf } from './kinds'

/** Whether a catalogue has a message at a dotted path. */
function has(catalogue: object, path: string): boolean {
  let node: unknown = catalogue
  for (const part of path.split('.')) {
    if (typeof node !== 'object' || node === null || !(part in node)) return false
    node = (node as Record<string, unknown>)[part]
  }
  return typeof node === 'string'
}

describe('the CMDB kinds', () => {
  it('describes all eleven kinds once', () => {
    expect(new Set(KINDS.map((spec) => spec.kind)).size).toBe(11)
  })

  it('names only kinds it describes as references and children', () => {
    for (const spec of KINDS) {
      for (const child of spec.children) expect(specOf(child.kind), `${spec.kind} → ${child.kind}`).toBeDefined()
      for (const field of spec.fields) if (field.input.type === 'reference') expect(specOf(field.input.kind)).toBeDefined()
    }
  })

  it('patches only what changed, clears with null, and keeps a secret left empty', () => {
    const devices = specOf('devices')!
    const before = { id: 3, name: 'core-1', kind: 'router', tier: 'core', vendor: 'Huawei', rack_id: 4, poll_interval_secs: 60 }
    const edited = { ...before, vendor: 'H3C', rack_id: '', credentials: '' }
    expect(changedFields(devices, before, edited)).toEqual({ vendor: 'H3C', rack_id: null })
    expect(changedFields(devices, before, { ...before, credentials: '{"version":"v2c","community":"x"}' })).toEqual({
      credentials: { version: 'v2c', community: 'x' },
    })
  })

  it('never patches a natural key fixed at creation', () => {
    const interfaces = specOf('interfaces')!
    expect(changedFields(interfaces, { device_id: 1, if_index: 3, name: 'a' }, { device_id: 2, if_index: 4, name: 'b' })).toEqual({ name: 'b' })
  })

  it('creates with the fields given a value', () => {
    const rooms = specOf('machine-rooms')!
    expect(createdFields(rooms, { data_center_id: 1, name: 'A 栋 3 层', floor: '' })).toEqual({ data_center_id: 1, name: 'A 栋 3 层' })
  })

  it('asks for a room’s grid and clears it with null', () => {
    const rooms = specOf('machine-rooms')!
    const grid = rooms.fields.filter((field) => field.key.startsWith('grid_'))
    expect(grid.map((field) => [field.key, field.input])).toEqual([
      ['grid_rows', { type: 'integer', min: 1, max: 100 }],
      ['grid_columns', { type: 'integer', min: 1, max: 100 }],
    ])
    const before = { id: 2, data_center_id: 1, name: 'A 栋 3 层', floor: 3, grid_rows: 6, grid_columns: 12 }
    expect(changedFields(rooms, before, { ...before, grid_rows: 8 })).toEqual({ grid_rows: 8 })
    expect(changedFields(rooms, before, { ...before, grid_rows: null, grid_columns: null })).toEqual({ grid_rows: null, grid_columns: null })
    expect(createdFields(rooms, { data_center_id: 1, name: 'B', grid_rows: 4, grid_columns: null })).toEqual({ data_center_id: 1, name: 'B', grid_rows: 4 })
  })

  it('places a rack on its room’s grid facing south unless told otherwise, and takes it off with null', () => {
    const racks = specOf('racks')!
    const facing = racks.fields.find((field) => field.key === 'facing')!
    expect(facing.input).toMatchObject({ type: 'choice', options: ['north', 'south', 'east', 'west'], default: 'south' })
    expect(newRecordValues(racks, { room_id: 3 })).toEqual({ facing: 'south', room_id: 3 })
    expect(newRecordValues(racks, { room_id: 3, facing: 'east' })).toEqual({ facing: 'east', room_id: 3 })
    expect(newRecordValues(specOf('data-centers')!, {})).toEqual({})
    expect(createdFields(racks, { room_id: 3, name: 'A01', height_u: null, grid_row: 2, grid_column: 5, facing: 'south' })).toEqual({
      room_id: 3,
      name: 'A01',
      grid_row: 2,
      grid_column: 5,
      facing: 'south',
    })
    const before = { id: 7, room_id: 3, name: 'A01', height_u: 42, grid_row: 2, grid_column: 5, facing: 'south' }
    expect(changedFields(racks, before, { ...before, grid_row: null, grid_column: null })).toEqual({ grid_row: null, grid_column: null })
    expect(changedFields(racks, before, { ...before, grid_column: 6, facing: 'north' })).toEqual({ grid_column: 6, facing: 'north' })
  })

  it('has the words for every field, hint and choice it shows', () => {
    for (const spec of KINDS) {
      for (const field of spec.fields) {
        expect(has(cmdbZh.fields, field.key), `${spec.kind}.${field.key}`).toBe(true)
        if (field.hint) expect(has(zhCN, field.hint), field.hint).toBe(true)
        if (field.input.type === 'choice' && field.input.enumOf)
          for (const option of field.input.options) expect(has(zhCN, `${field.input.enumOf}.${option}`), `${field.input.enumOf}.${option}`).toBe(true)
      }
      for (const column of spec.columns) expect(has(cmdbZh.fields, column.key), `${spec.kind} column ${column.key}`).toBe(true)
    }
  })
})
