import { describe, expect, it } from 'vitest'
import { changedFields, createdFields, KINDS, specOf } from './kinds'

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
})
