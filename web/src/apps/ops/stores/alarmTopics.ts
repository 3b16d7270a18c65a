// The topics that carry the alarms a page shows: one data center's topic when the page is
// about one, `overview` (every alarm) for bureau staff, each data center's topic for a
// supplier (who may not read `overview`).
import { session } from '@shared/auth/session'
import type { DataCenter } from './dataCenters'

export function alarmTopics(dataCenterId: number | undefined, dataCenters: readonly DataCenter[]): string[] {
  if (dataCenterId !== undefined) return [`dc/${dataCenterId}`]
  if (session.isBureau()) return ['overview']
  return dataCenters.map((dc) => `dc/${dc.id}`)
}
