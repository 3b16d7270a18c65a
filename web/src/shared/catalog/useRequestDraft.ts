// A request form being filled in, for both the portal and the mobile app: the draft, each
// field's problem (the local check at once; the server's verdict, asked for a moment after
// the person stops typing, for what only the server knows), the planned approval chain, and
// submitting (or resubmitting an amended ticket) with the server's field errors put back on
// their fields.
import { computed, onScopeDispose, ref, watch, type Ref } from 'vue'
import { useI18n } from 'vue-i18n'
import { api, ApiFailure, unwrap, type Schemas } from '../api/client'
import { session, TENANT_ROLES } from '../auth/session'
import { checkDraft, draftOf, emptyDraft, formOf, type Draft } from './fields'

export type Item = Schemas['ItemView']
export type Preview = Schemas['RequestPreview']

const PREVIEW_DELAY_MS = 250
/** The document types a form as a free object; `formOf` built it from the item's fields. */
type Submitted = Schemas['NewTicket']['form']

export function useRequestDraft(item: Ref<Item | null>, options: { amending?: Ref<Schemas['TicketDetail'] | null> } = {}) {
  const { t } = useI18n()
  const draft = ref<Draft>({})
  const title = ref('')
  const touched = ref(new Set<string>())
  const attempted = ref(false)
  const preview = ref<Preview | null>(null)
  const submitFailure = ref<Record<string, string>>({})
  const failure = ref<string | null>(null)
  const busy = ref(false)
  let asked = 0
  let timer: ReturnType<typeof setTimeout> | undefined

  watch(
    [item, () => options.amending?.value],
    ([current, ticket]) => {
      if (!current) return
      draft.value = ticket ? draftOf(current.form.fields, ticket.form as Record<string, unknown>) : emptyDraft(current.form.fields)
      if (ticket) title.value = ticket.title
      preview.value = null
      if (ticket) schedulePreview()
    },
    { immediate: true },
  )

  const local = computed(() => (item.value ? checkDraft(item.value.form.fields, draft.value) : {}))
  const server = computed(() => {
    const byField: Record<string, string> = { ...submitFailure.value }
    for (const problem of preview.value?.fields ?? []) byField[problem.field] ??= problem.message
    return byField
  })

  /** The message to show under a field, once the person has been there (or tried to submit). */
  function problem(name: string): string {
    if (!attempted.value && !touched.value.has(name)) return ''
    const mine = local.value[name]
    if (mine) return t(`portal.field.${mine.key}`, mine.params ?? {})
    return server.value[name] ?? ''
  }
  /** Problems the server names on no field of the form (the form as a whole). */
  const formProblems = computed(() => {
    const names = new Set(item.value?.form.fields.map((field) => field.name) ?? [])
    return Object.entries(server.value)
      .filter(([name]) => !names.has(name))
      .map(([name, message]) => `${name}: ${message}`)
  })

  // Only a tenant's users request (the server refuses a preview to anyone else).
  const requester = session.hasRole(...TENANT_ROLES)
  function schedulePreview() {
    clearTimeout(timer)
    if (requester) timer = setTimeout(() => void askServer(), PREVIEW_DELAY_MS)
  }
  onScopeDispose(() => clearTimeout(timer))
  async function askServer() {
    const current = item.value
    if (!current) return
    const mine = ++asked
    try {
      const answer = await unwrap(
        api.POST('/api/v1/catalog/{item_id}/preview', { params: { path: { item_id: current.id } }, body: { form: formOf(current.form.fields, draft.value) as Submitted } }),
      )
      if (mine === asked) {
        preview.value = answer
        failure.value = null
      }
    } catch (error) {
      if (mine === asked) failure.value = error instanceof Error ? error.message : String(error)
    }
  }

  function change(name: string, value: Draft[string]) {
    draft.value = { ...draft.value, [name]: value }
    touched.value.add(name)
    // The server's verdict on the submitted form is stale now; the preview gives the new one.
    submitFailure.value = {}
    schedulePreview()
  }
  function touch(name: string) {
    touched.value.add(name)
  }

  /** Submits (or resubmits the ticket being amended); answers the ticket, or null when the
   * form has problems (now shown on their fields). */
  async function submit(): Promise<Schemas['TicketView'] | null> {
    const current = item.value
    if (!current) return null
    attempted.value = true
    failure.value = null
    if (Object.keys(local.value).length > 0 || !title.value.trim()) return null
    busy.value = true
    const form = formOf(current.form.fields, draft.value) as Submitted
    try {
      const ticket = options.amending?.value
      if (ticket)
        return await unwrap(
          api.POST('/api/v1/tickets/{ticket_id}/resubmit', { params: { path: { ticket_id: ticket.id } }, body: { form, title: title.value.trim() } }),
        )
      return await unwrap(api.POST('/api/v1/tickets', { body: { item_id: current.id, title: title.value.trim(), form } }))
    } catch (error) {
      if (error instanceof ApiFailure && error.code === 'validation_failed' && error.body.fields?.length) submitFailure.value = error.fieldErrors()
      else failure.value = error instanceof Error ? error.message : String(error)
      return null
    } finally {
      busy.value = false
    }
  }

  return { draft, title, preview, problem, formProblems, change, touch, submit, busy, failure, attempted }
}
