// Percentiles and one line of figures per benchmark, printed and appended to
// bench/output/results.jsonl (not committed) for docs/benchmarks.md.
import { appendFileSync, mkdirSync } from 'node:fs'

export function percentile(values: readonly number[], p: number): number {
  if (!values.length) return Number.NaN
  const sorted = [...values].sort((a, b) => a - b)
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))
  return sorted[rank]
}

export function report(name: string, figures: Record<string, number | string>): void {
  const line = { name, at: new Date().toISOString(), ...figures }
  console.log(`${name}: ${Object.entries(figures).map(([key, value]) => `${key}=${typeof value === 'number' ? Math.round(value * 100) / 100 : value}`).join(' ')}`)
  const dir = new URL('./output/', import.meta.url).pathname
  mkdirSync(dir, { recursive: true })
  appendFileSync(`${dir}results.jsonl`, `${JSON.stringify(line)}\n`)
}
