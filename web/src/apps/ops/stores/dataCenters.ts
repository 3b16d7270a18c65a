// The data centers (names and codes), read once per page load: every monitoring page names them.
import { defineStore } from 'pinia'
import { computed, ref } from 'vue'
import { api, unwrap, type Schemas } from '@shared/api/client'

export type DataCenter = Schemas['DataCenterView']

export const useDataCenters = defineStore('dataCenters', () => {
  const byId = ref(new Map<number, DataCenter>())
  let loading: Promise<void> | null = null

  function load(): Promise<void> {
    loading ??= unwrap(api.GET('/api/v1/data-centers', { params: { query: { limit: 200 } } }))
      .then((rows) => {
        byId.value = new Map(rows.map((row) => [row.id, row]))
      })
      .catch((error) => {
        loading = null
        throw error
      })
    return loading
  }

  const list = computed(() => [...byId.value.values()].sort((a, b) => a.id - b.id))
  const nameOf = (id: number) => byId.value.get(id)?.name ?? `#${id}`
  return { byId, list, load, nameOf }
})
