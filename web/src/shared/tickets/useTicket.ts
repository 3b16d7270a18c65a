// One ticket, live, as every ticket page shows it (the portals' detail and the mobile app's
// page): read over HTTP and reloaded on `ticket.changed` on `tenant/{t}/tickets/{id}`,
// fulfilment progress as it comes, "absent" when the server answers 404 (no such ticket, or
// another tenant's), the chain's levels of the current round with their slots, and the form
// under its item's labels (read once; names until then).
import { computed, ref, watch } from 'vue'
import { useI18n } from 'vue-i18n'
import { api, ApiFailure, unwrap, type Schemas } from '../api/client'
import { useTopic } from '../live/useTopic'
import { formSummary } from './formSummary'

type Detail = Schemas['TicketDetail']
type Progress = Schemas['TicketProgressEvent']

/** `tenantId`: the viewer's tenant, for the topic before the ticket is read (null for staff). */
export function useTicket(ticketId: number, tenantId: number | null) {
  const { t } = useI18n()
  const detail = ref<Detail | null>(null)
  const progress = ref<Progress[]>([])
  const missing = ref(false)
  const fields = ref<Schemas['FieldSpec'][]>([])

  const topic = computed(() => {
    const tenant = detail.value?.tenant_id ?? tenantId
    return tenant ? `tenant/${tenant}/tickets/${ticketId}` : null
  })
  const feed = useTopic(topic, {
    snapshot: async () => {
      try {
        detail.value = await unwrap(api.GET('/api/v1/tickets/{ticket_id}', { params: { path: { ticket_id: ticketId } } }))
      } catch (error) {
        missing.value = error instanceof ApiFailure && error.status === 404
        throw error
      }
      progress.value = detail.value.timeline.filter((entry) => entry.kind === 'progress').map((entry) => entry.detail as unknown as Progress)
    },
    apply: (event) => {
      if (event.kind === 'ticket.changed') void feed.reload()
      else if (event.kind === 'ticket.progress') {
        const step = event.data
        if (!progress.value.some((known) => known.step === step.step && known.message === step.message)) progress.value.push(step)
      }
    },
  })

  watch(
    () => detail.value?.item_id,
    (itemId) => {
      if (itemId === undefined || fields.value.length) return
      void unwrap(api.GET('/api/v1/catalog/{item_id}', { params: { path: { item_id: itemId } } }))
        .then((item) => (fields.value = item.form.fields))
        .catch(() => undefined)
    },
  )

  const levels = computed(() => {
    const current = detail.value
    if (!current) return []
    return current.levels.map((name, index) => ({
      name,
      index,
      approvals: current.approvals.filter((approval) => approval.level_index === index && approval.round === current.round),
    }))
  })
  /** The open level, or past the last once approved. */
  const activeLevel = computed(() => {
    const current = detail.value
    if (!current) return 0
    if (current.level_index !== null && current.level_index !== undefined) return current.level_index
    return current.state === 'approving' ? 0 : current.levels.length
  })
  const formRows = computed(() =>
    formSummary((detail.value?.form ?? {}) as Record<string, unknown>, fields.value, (yes) => t(yes ? 'common.yes' : 'common.no')),
  )

  return { detail, progress, missing, levels, activeLevel, formRows, feed }
}
