// A page of alarms kept current by pushed alarm events: an event updates its row in place,
// adds a new alarm that matches the page's filter (on the first page), and takes out one that
// no longer matches (cleared under "active"). Pure, so it is tested with tables.
import type { Schemas } from '@shared/api/client'
import type { paths } from '@shared/api/schema'

export type Alarm = Schemas['AlarmView']

type AlarmQuery = NonNullable<paths['/api/v1/alarms']['get']['parameters']['query']>

export interface AlarmFilter {
  /** `active`, `raised`, `acknowledged`, `cleared` or `all`. */
  state: NonNullable<AlarmQuery['state']>
  severity?: NonNullable<AlarmQuery['severity']>
  dataCenterId?: number
  deviceId?: number
}

export function matches(alarm: Alarm, filter: AlarmFilter): boolean {
  const stateMatches =
    filter.state === 'all' ||
    (filter.state === 'active' ? alarm.state !== 'cleared' : alarm.state === filter.state)
  return (
    stateMatches &&
    (!filter.severity || alarm.severity === filter.severity) &&
    (filter.dataCenterId === undefined || alarm.data_center_id === filter.dataCenterId) &&
    (filter.deviceId === undefined || alarm.device_id === filter.deviceId)
  )
}

/**
 * The page after `alarm` changed. Rows stay newest first (by id, as the server sorts); a new
 * alarm joins only the first page, and the page keeps at most `limit` rows.
 */
export function applyAlarm(rows: readonly Alarm[], alarm: Alarm, filter: AlarmFilter, firstPage: boolean, limit: number): Alarm[] {
  const index = rows.findIndex((row) => row.id === alarm.id)
  const keep = matches(alarm, filter)
  if (index >= 0) {
    if (!keep) return rows.filter((row) => row.id !== alarm.id)
    const next = rows.slice()
    next[index] = alarm
    return next
  }
  if (!keep || !firstPage) return rows as Alarm[]
  const next = [alarm, ...rows].sort((a, b) => b.id - a.id)
  return next.slice(0, limit)
}

export const ALARM_EVENT_KINDS = new Set(['alarm.raised', 'alarm.acknowledged', 'alarm.cleared', 'alarm.updated', 'alarm.escalated'])

/** What an alarm's instance is, for people: an interface or a storage by its index. */
export function instanceLabel(alarm: Alarm, t: (key: string, values: Record<string, unknown>) => string): string {
  if (alarm.instance === null || alarm.instance === undefined) return '—'
  return alarm.rule_name.includes('storage') ? t('alarms.storage', { n: alarm.instance }) : t('alarms.interface', { n: alarm.instance })
}
