// The count of approvals waiting for the person, live, for the bottom bar's badge; and a
// system notification for each new one while the app is hidden (when permission was given).
import { computed, watch, type Ref } from 'vue'
import { useI18n } from 'vue-i18n'
import { useInbox } from '@shared/approvals/inbox'

export function useApprovalAlerts(loggedIn: Ref<boolean>) {
  const { t } = useI18n()
  const inbox = useInbox()
  const known = new Set<number>()
  let primed = false
  watch(
    [() => inbox.items, () => inbox.loading],
    ([items, loading]) => {
      if (!loggedIn.value || loading) return
      for (const item of items) {
        if (known.has(item.approval.id)) continue
        known.add(item.approval.id)
        if (primed) notify(item.ticket.id, item.ticket.title)
      }
      primed = true
    },
  )
  function notify(ticketId: number, title: string) {
    if (document.visibilityState !== 'hidden' || !('Notification' in globalThis) || Notification.permission !== 'granted') return
    const notice = new Notification(t('mobile.newApproval'), { body: `#${ticketId} ${title}`, tag: `approval-${ticketId}`, icon: '/mobile/icon-192.png' })
    notice.onclick = () => {
      window.focus()
      location.assign(`/mobile/tickets/${ticketId}`)
    }
  }
  return { count: computed(() => inbox.count) }
}
