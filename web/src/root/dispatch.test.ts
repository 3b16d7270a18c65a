import { describe, expect, it } from 'vitest'
import { destinationOf, phoneDestinationOf } from './dispatch'
import { safeReturnPath, appOf } from '@shared/auth/session'

describe('mail links and return paths', () => {
  it.each([
    ['#/alarms/12', 'bureau_operator', '/ops/alarms/12'],
    ['#/tickets/5', 'bureau_manager', '/ops/tickets/5'],
    ['#/tickets/5', 'tenant_member', '/portal/tickets/5'],
    ['#/tickets/5', 'supplier', '/ops/tickets/5'],
    ['#/tickets/5', null, '/ops/tickets/5'],
    ['#/tickets/x', 'tenant_admin', null],
    ['#/elsewhere', 'bureau_admin', null],
    ['', 'bureau_admin', null],
  ] as const)('%s for %s leads to %s', (hash, role, expected) => {
    expect(destinationOf(hash, role)).toBe(expected)
  })

  it.each([
    ['/ops/alarms?state=raised', '/ops/alarms?state=raised'],
    ['//evil.example/x', null],
    ['https://evil.example/', null],
    ['/\\evil.example', null],
    [null, null],
  ] as const)('return path %s is kept as %s', (raw, expected) => {
    expect(safeReturnPath(raw)).toBe(expected)
  })

  it('sends each role to its app', () => {
    expect(appOf('tenant_admin')).toBe('/portal/')
    expect(appOf('tenant_member')).toBe('/portal/')
    expect(appOf('bureau_admin')).toBe('/ops/')
    expect(appOf('supplier')).toBe('/ops/')
  })

  it.each([
    ['#/tickets/5', '/mobile/tickets/5'],
    ['#/alarms/12', '/mobile/alarms'],
    ['', '/mobile/'],
    ['#/tickets/x', '/mobile/'],
  ])('sends a phone with %j to %s', (hash, expected) => {
    expect(phoneDestinationOf(hash)).toBe(expected)
  })
})
