// The person's approval inbox, kept live for the whole app (the menu shows its count on
// every page): `approval.pending` adds an item, `approval.closed` takes it out, a resync
// reloads it.
import { defineStore } from 'pinia'
import { computed, ref } from 'vue'
import { api, unwrap, type Schemas } from '@shared/api/client'
import { session } from '@shared/auth/session'
import { useTopic } from '@shared/live/useTopic'

export type InboxItem = Schemas['InboxItem']

export const useInbox = defineStore('inbox', () => {
  const items = ref<InboxItem[]>([])
  const userId = session.user()?.id
  const feed = useTopic(userId ? `user/${userId}/inbox` : null, {
    snapshot: async () => {
      // Before login (the mobile app's login page) there is nobody's inbox to read.
      if (!userId) return
      items.value = await unwrap(api.GET('/api/v1/approvals/inbox'))
    },
    apply: (event) => {
      if (event.kind === 'approval.pending') {
        const item = event.data
        if (!items.value.some((known) => known.approval.id === item.approval.id)) items.value = [item, ...items.value]
      } else if (event.kind === 'approval.closed') {
        remove(event.data.id)
      }
    },
  })

  function remove(approvalId: number) {
    items.value = items.value.filter((item) => item.approval.id !== approvalId)
  }

  const count = computed(() => items.value.length)
  return { items, count, remove, loading: feed.loading, error: feed.error, reload: feed.reload }
})
