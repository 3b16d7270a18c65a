import { describe, expect, it } from 'vitest'
import { formatAgo, formatBitRate, formatBytes, formatCelsius, formatDuration, formatNumber, formatPercent } from './format'

describe('formatting', () => {
  it.each([
    [0, 'en', '0 B'],
    [1023, 'en', '1,023 B'],
    [1536, 'en', '1.5 KiB'],
    [5 * 1024 ** 3, 'zh-CN', '5 GiB'],
    [150 * 1024 ** 2, 'en', '150 MiB'],
    [null, 'en', '—'],
    [Number.NaN, 'en', '—'],
  ] as const)('bytes %s in %s is %s', (value, locale, expected) => {
    expect(formatBytes(value, locale)).toBe(expected)
  })

  it.each([
    [0, '0 bps'],
    [999, '999 bps'],
    [1500, '1.5 Kbps'],
    [940_000_000, '940 Mbps'],
    [10_000_000_000, '10 Gbps'],
    [undefined, '—'],
  ] as const)('bit rate %s is %s', (value, expected) => {
    expect(formatBitRate(value, 'en')).toBe(expected)
  })

  it.each([
    [12345, 'en', 0, '12,345'],
    [12345.678, 'zh-CN', 2, '12,345.68'],
    [null, 'en', 0, '—'],
  ] as const)('number %s in %s with %s digits is %s', (value, locale, digits, expected) => {
    expect(formatNumber(value, locale, digits)).toBe(expected)
  })

  it('percent keeps one digit', () => {
    expect(formatPercent(42.46, 'en')).toBe('42.5%')
    expect(formatPercent(100, 'zh-CN')).toBe('100%')
    expect(formatCelsius(39.54, 'en')).toBe('39.5 °C')
    expect(formatCelsius(null, 'zh-CN')).toBe('—')
    expect(formatPercent(null, 'en')).toBe('—')
  })

  it.each([
    [0, 'en', '0s'],
    [59, 'zh-CN', '59秒'],
    [3725, 'en', '1h 2m'],
    [2 * 86400 + 3 * 3600 + 5, 'zh-CN', '2天3小时'],
  ] as const)('duration %s in %s is %s', (seconds, locale, expected) => {
    expect(formatDuration(seconds, locale)).toBe(expected)
  })

  it('ago counts back from now', () => {
    const now = Date.parse('2026-12-06T08:00:00Z')
    expect(formatAgo('2026-12-06T07:59:15Z', 'en', now)).toBe('45 sec. ago')
    expect(formatAgo('2026-12-06T07:57:00Z', 'en', now)).toBe('3 min. ago')
    expect(formatAgo('2026-12-06T05:00:00Z', 'zh-CN', now)).toBe('3小时前')
  })
})
