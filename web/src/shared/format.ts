// Numbers, bytes, rates and times as people read them, in the current locale. Pure functions
// of their arguments (the locale is passed in), so that they are tested with tables.

export type Locale = 'zh-CN' | 'en'

const numberFormats = new Map<string, Intl.NumberFormat>()
function numberFormat(locale: Locale, digits: number): Intl.NumberFormat {
  const key = `${locale}/${digits}`
  let format = numberFormats.get(key)
  if (!format) {
    format = new Intl.NumberFormat(locale, { maximumFractionDigits: digits, minimumFractionDigits: 0 })
    numberFormats.set(key, format)
  }
  return format
}

/** A plain number with grouping: `12,345`; `—` for nothing. */
export function formatNumber(value: number | null | undefined, locale: Locale, digits = 0): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return '—'
  return numberFormat(locale, digits).format(value)
}

/** A percentage of 0–100: `42.5%`. */
export function formatPercent(value: number | null | undefined, locale: Locale, digits = 1): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return '—'
  return `${numberFormat(locale, digits).format(value)}%`
}

/** Degrees Celsius: `41.5 °C`. */
export function formatCelsius(value: number | null | undefined, locale: Locale, digits = 1): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return '—'
  return `${numberFormat(locale, digits).format(value)} °C`
}

const byteUnits = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB']
/** Bytes in binary units: `1.5 GiB`. */
export function formatBytes(value: number | null | undefined, locale: Locale): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return '—'
  let scaled = Math.abs(value)
  let unit = 0
  while (scaled >= 1024 && unit < byteUnits.length - 1) {
    scaled /= 1024
    unit += 1
  }
  const digits = unit === 0 || scaled >= 100 ? 0 : 1
  return `${value < 0 ? '-' : ''}${numberFormat(locale, digits).format(scaled)} ${byteUnits[unit]}`
}

const rateUnits = ['bps', 'Kbps', 'Mbps', 'Gbps', 'Tbps']
/** Bits per second in decimal units, as network people quote them: `940 Mbps`. */
export function formatBitRate(value: number | null | undefined, locale: Locale): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return '—'
  let scaled = Math.abs(value)
  let unit = 0
  while (scaled >= 1000 && unit < rateUnits.length - 1) {
    scaled /= 1000
    unit += 1
  }
  const digits = unit === 0 || scaled >= 100 ? 0 : 1
  return `${value < 0 ? '-' : ''}${numberFormat(locale, digits).format(scaled)} ${rateUnits[unit]}`
}

function pad(n: number): string {
  return n < 10 ? `0${n}` : String(n)
}

/** A clock time in the viewer's zone: `14:05:09`. */
export function formatClock(at: Date | string | number): string {
  const date = at instanceof Date ? at : new Date(at)
  if (Number.isNaN(date.getTime())) return '—'
  return `${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}`
}

/** A date and time in the viewer's zone: `2026-12-06 14:05:09`. */
export function formatDateTime(at: Date | string | number | null | undefined): string {
  if (at === null || at === undefined) return '—'
  const date = at instanceof Date ? at : new Date(at)
  if (Number.isNaN(date.getTime())) return '—'
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())} ${formatClock(date)}`
}

/** How long ago, coarse: `45 秒前` / `3 min ago`; `now` is passed in for testing. */
export function formatAgo(at: Date | string | number, locale: Locale, now: number = Date.now()): string {
  const date = at instanceof Date ? at : new Date(at)
  const seconds = Math.max(0, Math.round((now - date.getTime()) / 1000))
  const relative = new Intl.RelativeTimeFormat(locale, { numeric: 'always', style: 'short' })
  if (seconds < 60) return relative.format(-seconds, 'second')
  const minutes = Math.floor(seconds / 60)
  if (minutes < 60) return relative.format(-minutes, 'minute')
  const hours = Math.floor(minutes / 60)
  if (hours < 48) return relative.format(-hours, 'hour')
  return relative.format(-Math.floor(hours / 24), 'day')
}

/** A duration in seconds as `2d 3h`, `5m 10s`. */
export function formatDuration(seconds: number, locale: Locale): string {
  const units: [number, string, string][] = [
    [86400, '天', 'd'],
    [3600, '小时', 'h'],
    [60, '分', 'm'],
    [1, '秒', 's'],
  ]
  const parts: string[] = []
  let rest = Math.max(0, Math.floor(seconds))
  for (const [size, zh, en] of units) {
    const count = Math.floor(rest / size)
    if (count > 0 || (size === 1 && parts.length === 0)) parts.push(`${count}${locale === 'zh-CN' ? zh : en}`)
    rest -= count * size
    if (parts.length === 2) break
  }
  return parts.join(locale === 'zh-CN' ? '' : ' ')
}
