// People's names for the ids records carry (who acknowledged, approved, acted): looked up
// through `GET /api/v1/people?ids=` in batches, at most once per id per page load, and only
// those the server lets this person know (the rest stay "user #id").
import { defineStore } from 'pinia'
import { reactive } from 'vue'
import { api, unwrap, type Schemas } from '../api/client'

export type Person = Schemas['PersonView']
const BATCH = 200

export const usePeople = defineStore('people', () => {
  const known = reactive(new Map<number, Person | null>())
  let wanted = new Set<number>()
  let scheduled = false

  async function fetchWanted() {
    scheduled = false
    const ids = [...wanted]
    wanted = new Set()
    for (let start = 0; start < ids.length; start += BATCH) {
      const batch = ids.slice(start, start + BATCH)
      const found = await unwrap(api.GET('/api/v1/people', { params: { query: { ids: batch.join(',') } } })).catch(() => [] as Person[])
      for (const id of batch) known.set(id, null)
      for (const person of found) known.set(person.id, person)
    }
  }

  /** The person, or undefined while unknown (the lookup is then on its way). */
  function person(id: number | null | undefined): Person | null | undefined {
    if (id === null || id === undefined) return null
    if (!known.has(id) && !wanted.has(id)) {
      wanted.add(id)
      if (!scheduled) {
        scheduled = true
        queueMicrotask(() => void fetchWanted())
      }
    }
    return known.get(id)
  }

  /** People of a role the person may choose (a delegate). */
  function ofRole(role: Schemas['Role']): Promise<Person[]> {
    return unwrap(api.GET('/api/v1/people', { params: { query: { role } } }))
  }

  return { person, ofRole }
})
