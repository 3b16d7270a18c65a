// Whether the phone is online, as the browser says: the app shows a banner while it is not,
// and disables every action (an approval is never queued to be sent later: by then the
// request may have moved on).
import { ref } from 'vue'

export const online = ref(globalThis.navigator?.onLine ?? true)
globalThis.addEventListener?.('online', () => (online.value = true))
globalThis.addEventListener?.('offline', () => (online.value = false))
