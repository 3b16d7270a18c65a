import { describe, expect, it } from 'vitest'
import { applyAlarm, matches, type Alarm, type AlarmFilter } from './alarmList'

function alarm(id: number, change: Partial<Alarm> = {}): Alarm {
  return {
    id,
    rule_id: 2,
    rule_name: 'interface down',
    device_id: 10 + id,
    device_name: `switch-${id}`,
    data_center_id: 1,
    instance: '3',
    occurrence: 1,
    severity: 'major',
    state: 'raised',
    flapping: false,
    caused_by_device_id: null,
    value: 0,
    raised_at: '2026-12-06T08:00:00Z',
    acknowledged_at: null,
    acknowledged_by: null,
    cleared_at: null,
    cleared_by: null,
    clear_reason: null,
    ...change,
  } as Alarm
}

const active: AlarmFilter = { state: 'active' }

describe('alarm pages follow events', () => {
  it.each<[AlarmFilter, Alarm, boolean]>([
    [{ state: 'active' }, alarm(1), true],
    [{ state: 'active' }, alarm(1, { state: 'acknowledged' }), true],
    [{ state: 'active' }, alarm(1, { state: 'cleared' }), false],
    [{ state: 'cleared' }, alarm(1, { state: 'cleared' }), true],
    [{ state: 'all' }, alarm(1, { state: 'cleared' }), true],
    [{ state: 'raised' }, alarm(1, { state: 'acknowledged' }), false],
    [{ state: 'active', severity: 'critical' }, alarm(1), false],
    [{ state: 'active', dataCenterId: 2 }, alarm(1), false],
    [{ state: 'active', deviceId: 11 }, alarm(1), true],
  ])('filter %j on %j is %s', (filter, row, expected) => {
    expect(matches(row, filter)).toBe(expected)
  })

  it('updates a row in place', () => {
    const rows = [alarm(3), alarm(2), alarm(1)]
    const next = applyAlarm(rows, alarm(2, { state: 'acknowledged', acknowledged_by: 4 }), active, true, 50)
    expect(next.map((r) => [r.id, r.state])).toEqual([
      [3, 'raised'],
      [2, 'acknowledged'],
      [1, 'raised'],
    ])
  })

  it('takes out a row that no longer matches', () => {
    const next = applyAlarm([alarm(3), alarm(2)], alarm(3, { state: 'cleared' }), active, true, 50)
    expect(next.map((r) => r.id)).toEqual([2])
  })

  it('adds a new alarm on the first page only, newest first, within the limit', () => {
    const rows = [alarm(3), alarm(2)]
    expect(applyAlarm(rows, alarm(4), active, true, 2).map((r) => r.id)).toEqual([4, 3])
    expect(applyAlarm(rows, alarm(4), active, false, 2).map((r) => r.id)).toEqual([3, 2])
    expect(applyAlarm(rows, alarm(4, { severity: 'minor' }), { state: 'active', severity: 'major' }, true, 50).map((r) => r.id)).toEqual([3, 2])
  })

  it('is idempotent: applying the same event twice changes nothing more', () => {
    const once = applyAlarm([alarm(2)], alarm(5), active, true, 50)
    expect(applyAlarm(once, alarm(5), active, true, 50)).toEqual(once)
  })
})
