// Where an old-style link's hash (`#/alarms/12` and `#/tickets/5` in mail) leads in the apps,
// for a person of a role (or before login, for the path to return to after it).
import { appOf, type Role } from '@shared/auth/session'

export function destinationOf(hash: string, role: Role | null): string | null {
  const match = /^#\/(alarms|tickets)\/(\d+)$/.exec(hash)
  if (!match) return null
  const [, kind, id] = match
  if (kind === 'alarms') return `/ops/alarms/${id}`
  const app = role ? appOf(role) : '/ops/'
  return `${app}tickets/${id}`
}
