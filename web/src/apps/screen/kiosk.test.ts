import { describe, expect, it } from 'vitest'
import { msUntilQuietHour } from './kiosk'

describe('the quiet-hour reload', () => {
  const at = (hours: number, minutes: number) => new Date(2026, 11, 6, hours, minutes, 0, 0)

  it('waits until the next quiet hour, today or tomorrow', () => {
    expect(msUntilQuietHour(at(3, 0), '04:00')).toBe(60 * 60_000)
    expect(msUntilQuietHour(at(5, 0), '04:00')).toBe(23 * 60 * 60_000)
    // Less than a minute before it: tomorrow's, so that a reload at 04:00 does not repeat.
    expect(msUntilQuietHour(new Date(2026, 11, 6, 4, 0, 10), '04:00')).toBe(24 * 60 * 60_000 - 10_000)
    expect(msUntilQuietHour(at(23, 30), '0:15')).toBe(45 * 60_000)
  })

  it('refuses a malformed time', () => {
    for (const bad of ['', '4', '24:00', '04:60', 'noon', '04:00:00']) expect(msUntilQuietHour(at(3, 0), bad)).toBeNull()
  })
})
