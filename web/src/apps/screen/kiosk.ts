// What makes the page a kiosk: the cursor hides after a few seconds without movement, and
// the page reloads itself once a day at a quiet hour (a safety net, not the cure for leaks:
// the soak benchmark holds memory flat without it).

/** Milliseconds from `now` to the next `hh:mm` local time (tomorrow's if today's is past or
 * less than a minute away); `null` for a malformed time. */
export function msUntilQuietHour(now: Date, hhmm: string): number | null {
  const match = /^(\d{1,2}):(\d{2})$/.exec(hhmm.trim())
  if (!match) return null
  const hours = Number(match[1])
  const minutes = Number(match[2])
  if (hours > 23 || minutes > 59) return null
  const next = new Date(now)
  next.setHours(hours, minutes, 0, 0)
  if (next.getTime() - now.getTime() < 60_000) next.setDate(next.getDate() + 1)
  return next.getTime() - now.getTime()
}

/** Hides the cursor (a class on the root element) after `idleMs` without pointer movement. */
export function hideIdleCursor(root: HTMLElement, idleMs: number): () => void {
  let timer: ReturnType<typeof setTimeout> | undefined
  const moved = () => {
    root.classList.remove('cursor-hidden')
    clearTimeout(timer)
    timer = setTimeout(() => root.classList.add('cursor-hidden'), idleMs)
  }
  moved()
  window.addEventListener('pointermove', moved)
  window.addEventListener('pointerdown', moved)
  return () => {
    clearTimeout(timer)
    window.removeEventListener('pointermove', moved)
    window.removeEventListener('pointerdown', moved)
  }
}
