// The current time as a ref that ticks every `intervalMs` while the component lives, for
// "3 minutes ago" labels.
import { onScopeDispose, ref } from 'vue'

export function useNow(intervalMs = 15_000) {
  const now = ref(Date.now())
  const timer = setInterval(() => (now.value = Date.now()), intervalMs)
  onScopeDispose(() => clearInterval(timer))
  return now
}
