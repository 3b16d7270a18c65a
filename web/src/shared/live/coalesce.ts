// Pushed events applied in batches: whatever arrives before the next animation frame is
// applied together (one re-render, one redraw), and when applying took long (a storm on a
// busy machine, a big graph drawn without a GPU) the next batch starts no sooner than
// `spacing` times that duration after the last one, so that a view keeps up instead of
// queueing work behind itself. The view reports how long its last batch took to show.
import { onScopeDispose } from 'vue'

export interface Coalescer<T> {
  push(item: T): void
  /** How long the last batch took to reach the screen, measured by the view. */
  tookMs(ms: number): void
  /** When the last batch started (performance.now()), for the view's own measurement. */
  readonly startedAt: number
}

export function useCoalescer<T>(applyBatch: (items: T[]) => void, spacing: number): Coalescer<T> {
  let pending: T[] = []
  let frame: number | null = null
  let timer: ReturnType<typeof setTimeout> | null = null
  let startedAt = 0
  let lastMs = 0

  function run() {
    frame = null
    startedAt = performance.now()
    const items = pending
    pending = []
    applyBatch(items)
  }

  onScopeDispose(() => {
    if (frame !== null) cancelAnimationFrame(frame)
    if (timer !== null) clearTimeout(timer)
  })

  return {
    push(item: T) {
      pending.push(item)
      if (frame !== null || timer !== null) return
      const wait = startedAt + spacing * lastMs - performance.now()
      if (wait <= 0) frame = requestAnimationFrame(run)
      else
        timer = setTimeout(() => {
          timer = null
          frame = requestAnimationFrame(run)
        }, wait)
    },
    tookMs(ms: number) {
      lastMs = ms
    },
    get startedAt() {
      return startedAt
    },
  }
}
