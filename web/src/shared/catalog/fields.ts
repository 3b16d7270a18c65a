// A catalog item's request form as the person fills it in: the value each field holds while
// edited, the same checks the server makes (src/catalog/form.rs; the server's verdict, asked
// for as the person types, still decides), and the JSON form that is submitted. Cross-field
// rules and quota are the server's alone: the preview answers them.
import type { Schemas } from '../api/client'

export type FieldSpec = Schemas['FieldSpec']
/** What a field holds while edited: lists (CIDRs, ports) are text, one entry per line. */
export type Draft = Record<string, string | number | boolean | null>
/** A problem as a message key under `portal.field` and its parameters. */
export interface Problem {
  key: string
  params?: Record<string, string | number>
}

/** The empty draft of a form: nothing chosen, switches off. */
export function emptyDraft(fields: readonly FieldSpec[]): Draft {
  return Object.fromEntries(fields.map((field) => [field.name, field.type === 'boolean' ? false : field.type === 'integer' ? null : '']))
}

/** A stored form (an earlier round's) as a draft to amend. */
export function draftOf(fields: readonly FieldSpec[], form: Record<string, unknown>): Draft {
  const draft = emptyDraft(fields)
  for (const field of fields) {
    const value = form[field.name]
    if (value === undefined || value === null) continue
    if (Array.isArray(value)) draft[field.name] = value.map(String).join('\n')
    else if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'string') draft[field.name] = value
  }
  return draft
}

function entries(text: string): string[] {
  return text
    .split(/[\n,，;；]+/)
    .map((entry) => entry.trim())
    .filter(Boolean)
}

function isBlank(value: Draft[string]): boolean {
  return value === null || value === undefined || (typeof value === 'string' && value.trim() === '')
}

/** The JSON form to submit: blank optional fields left out, lists split into entries. */
export function formOf(fields: readonly FieldSpec[], draft: Draft): Record<string, unknown> {
  const form: Record<string, unknown> = {}
  for (const field of fields) {
    const value = draft[field.name]
    if (field.type === 'boolean') {
      if (value === true || field.required) form[field.name] = value === true
      continue
    }
    if (isBlank(value)) continue
    if (field.type === 'cidrs' || field.type === 'ports') form[field.name] = entries(String(value))
    else if (field.type === 'text') form[field.name] = String(value).trim()
    else form[field.name] = value
  }
  return form
}

const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/

/** `10.0.0.0/8` or an IPv6 network with its prefix length. */
export function isCidr(raw: string): boolean {
  const [address, prefix, extra] = raw.split('/')
  if (extra !== undefined || prefix === undefined || !/^\d{1,3}$/.test(prefix)) return false
  const length = Number(prefix)
  if (IPV4.test(address)) return length <= 32
  // IPv6: hex groups with at most one `::`, checked by the URL parser.
  if (!address.includes(':') || length > 128) return false
  try {
    return new URL(`http://[${address}]/`).hostname.length > 2
  } catch {
    return false
  }
}

function portProblem(item: string): Problem | null {
  const port = (text: string) => (/^\d{1,5}$/.test(text.trim()) && Number(text) >= 1 && Number(text) <= 65535 ? Number(text) : null)
  const [low, high, extra] = item.split('-')
  if (extra !== undefined) return { key: 'port', params: { item } }
  if (high === undefined) return port(low) === null ? { key: 'port', params: { item } } : null
  const [from, to] = [port(low), port(high)]
  if (from === null || to === null) return { key: 'port', params: { item } }
  return from > to ? { key: 'portOrder', params: { item } } : null
}

function daysBetween(from: Date, isoDay: string): number {
  const [y, m, d] = isoDay.split('-').map(Number)
  const day = Date.UTC(y, m - 1, d)
  const today = Date.UTC(from.getUTCFullYear(), from.getUTCMonth(), from.getUTCDate())
  return Math.round((day - today) / 86_400_000)
}

/** What is wrong with one field's value, as the server would say it; `today` is the
 * server's day (UTC). */
export function checkField(field: FieldSpec, value: Draft[string], today: Date = new Date()): Problem | null {
  if (field.type === 'boolean') return null
  if (isBlank(value)) return field.required ? { key: 'required' } : null
  switch (field.type) {
    case 'integer': {
      const number = typeof value === 'number' ? value : Number(String(value).trim())
      if (!Number.isInteger(number)) return { key: 'wholeNumber' }
      return number < field.min || number > field.max ? { key: 'between', params: { min: field.min, max: field.max } } : null
    }
    case 'text':
      return [...String(value).trim()].length > field.max_chars ? { key: 'atMost', params: { max: field.max_chars } } : null
    case 'choice':
      return field.options.includes(String(value)) ? null : { key: 'oneOf' }
    case 'date': {
      const raw = String(value)
      if (!/^\d{4}-\d{2}-\d{2}$/.test(raw) || Number.isNaN(Date.parse(`${raw}T00:00:00Z`))) return { key: 'date' }
      const ahead = daysBetween(today, raw)
      return ahead < field.min_days_ahead || ahead > field.max_days_ahead
        ? { key: 'daysAhead', params: { min: field.min_days_ahead, max: field.max_days_ahead } }
        : null
    }
    case 'cidrs':
    case 'ports': {
      const items = entries(String(value))
      if (items.length === 0 || items.length > field.max_items) return { key: 'listSize', params: { max: field.max_items } }
      for (const item of items) {
        const problem = field.type === 'cidrs' ? (isCidr(item) ? null : { key: 'cidr', params: { item } }) : portProblem(item)
        if (problem) return problem
      }
      return null
    }
  }
}

/** Every field's problem, by field name. */
export function checkDraft(fields: readonly FieldSpec[], draft: Draft, today: Date = new Date()): Record<string, Problem> {
  const problems: Record<string, Problem> = {}
  for (const field of fields) {
    const problem = checkField(field, draft[field.name], today)
    if (problem) problems[field.name] = problem
  }
  return problems
}
