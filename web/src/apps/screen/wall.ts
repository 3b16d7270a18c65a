// What every view of the wall shares: the stage's pixel ratio for charts, the sites (names
// of data centers and rooms), and today's start for "today" counts.
import { onScopeDispose, type InjectionKey, type Ref } from 'vue'
import type { Schemas } from '@shared/api/client'

export type Site = Schemas['ScreenSite']

export interface Wall {
  /** The pixel ratio canvases draw at (the stage's scale times the screen's). */
  pixelRatio: Readonly<Ref<number>>
  sites: Readonly<Ref<Site[]>>
}

export const WALL: InjectionKey<Wall> = Symbol('wall')

/** Local midnight, as the wall's "today" starts. */
export function startOfToday(now = new Date()): string {
  const midnight = new Date(now)
  midnight.setHours(0, 0, 0, 0)
  return midnight.toISOString()
}

/** `part` of `whole` in percent (0 when there is no whole). */
export function share(part: number, whole: number): number {
  return whole > 0 ? (part / whole) * 100 : 0
}

/** `run` at most once per `ms`, the last call winning; nothing left pending after the
 * calling view goes away. For snapshots a push says are out of date (ticket counts). */
export function useRefresh(run: () => Promise<void>, ms: number): () => void {
  let timer: ReturnType<typeof setTimeout> | undefined
  onScopeDispose(() => clearTimeout(timer))
  return () => {
    clearTimeout(timer)
    timer = setTimeout(() => void run().catch(() => undefined), ms)
  }
}
