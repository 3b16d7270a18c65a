// Names for the ids records point at (a rack's room, a link's interfaces), and the choices a
// form offers for a reference. Small kinds are read whole once per page load; a single
// record is read on demand; both are cached.
import { defineStore } from 'pinia'
import { reactive } from 'vue'
import { request } from '@shared/api/client'
import { specOf, type Kind } from '../cmdb/kinds'

type Row = Record<string, unknown> & { id: number }
const PAGE = 200
/** The most a choice list reads of one kind. */
const MAX_CHOICES = 2000

export const useReferences = defineStore('references', () => {
  const rows = reactive(new Map<string, Row>())
  const lists = new Map<string, Promise<Row[]>>()
  const pending = new Set<string>()

  const key = (kind: Kind, id: number) => `${kind}/${id}`

  function remember(kind: Kind, found: Row[]) {
    for (const row of found) rows.set(key(kind, row.id), row)
  }

  /** Every record of a kind matching `query` (up to MAX_CHOICES), for a form's choices. */
  function choices(kind: Kind, query: Record<string, number | string> = {}): Promise<Row[]> {
    const cacheKey = `${kind}?${new URLSearchParams(query as Record<string, string>)}`
    let loading = lists.get(cacheKey)
    if (!loading) {
      loading = (async () => {
        const all: Row[] = []
        for (let offset = 0; offset < MAX_CHOICES; offset += PAGE) {
          const page = await request<Row[]>('GET', `/api/v1/${kind}`, { query: { ...query, offset, limit: PAGE } })
          all.push(...page)
          if (page.length < PAGE) break
        }
        remember(kind, all)
        return all
      })()
      loading.catch(() => lists.delete(cacheKey))
      lists.set(cacheKey, loading)
    }
    return loading
  }

  /** The record's label, reading it once when it is not known yet. */
  function labelOf(kind: Kind, id: number | null | undefined): string {
    if (id === null || id === undefined) return '—'
    const found = rows.get(key(kind, id))
    if (found) return specOf(kind)?.label(found) ?? String(id)
    const wanted = key(kind, id)
    if (!pending.has(wanted)) {
      pending.add(wanted)
      void request<Row>('GET', `/api/v1/${kind}/${id}`)
        .then((row) => rows.set(wanted, row))
        .catch(() => undefined)
    }
    return `#${id}`
  }

  /** Forgets what a write may have changed. */
  function invalidate(kind: Kind) {
    for (const cacheKey of [...lists.keys()]) if (cacheKey.startsWith(`${kind}?`)) lists.delete(cacheKey)
    for (const rowKey of [...rows.keys()]) if (rowKey.startsWith(`${kind}/`)) rows.delete(rowKey)
    for (const rowKey of [...pending]) if (rowKey.startsWith(`${kind}/`)) pending.delete(rowKey)
  }

  return { choices, labelOf, invalidate, remember }
})
