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

/** Whether this screen is a phone's: the mobile app serves it better than the portals. */
export function isPhone(): boolean {
  return globalThis.matchMedia?.('(max-width: 640px)').matches ?? false
}

/** Where a phone goes from the root (a mail link's hash, or none): the mobile app's page. */
export function phoneDestinationOf(hash: string): string {
  const match = /^#\/(alarms|tickets)\/(\d+)$/.exec(hash)
  if (!match) return '/mobile/'
  return match[1] === 'tickets' ? `/mobile/tickets/${match[2]}` : '/mobile/alarms'
}
