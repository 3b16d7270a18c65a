// `useTopic(topic, { snapshot, apply })`: what a view shows of a topic (or of several topics
// read through one snapshot). It subscribes first,
// then loads the snapshot over HTTP, holding back events that arrive meanwhile and applying
// them after (so none is lost between the read and the push; `apply` must be idempotent, an
// upsert by id); reloads the snapshot on `resync`; follows a topic that changes with the route;
// and unsubscribes when the view goes away. Views never touch the socket.
import { onScopeDispose, ref, toValue, watch, type MaybeRefOrGetter, type Ref } from 'vue'
import type { LiveEvent } from './client'
import { live } from './index'
import type { EventData, EventKind } from '../api/events'

/** An event whose `data` has the type its kind carries. */
export type TypedEvent = { [K in EventKind]: Omit<LiveEvent, 'kind' | 'data'> & { kind: K; data: EventData[K] } }[EventKind]

export interface TopicView {
  /** Loads what the view shows from the HTTP API (replacing what it had). */
  snapshot: () => Promise<void>
  /** Applies one pushed event to what the view shows. */
  apply: (event: TypedEvent) => void
}

export interface TopicState {
  loading: Ref<boolean>
  /** The snapshot's failure, or the server's refusal of the topic. */
  error: Ref<string | null>
  reload: () => Promise<void>
}

export function useTopic(topic: MaybeRefOrGetter<string | readonly string[] | null>, view: TopicView): TopicState {
  const loading = ref(true)
  const error = ref<string | null>(null)
  let held: LiveEvent[] | null = null
  let generation = 0
  let unsubscribers: (() => void)[] = []

  async function reload(): Promise<void> {
    const mine = ++generation
    held = []
    loading.value = true
    try {
      await view.snapshot()
      if (mine !== generation) return
      error.value = null
    } catch (failure) {
      if (mine !== generation) return
      error.value = failure instanceof Error ? failure.message : String(failure)
    }
    const pending = held ?? []
    held = null
    loading.value = false
    for (const event of pending) view.apply(event as TypedEvent)
  }

  const names = () => {
    const value = toValue(topic)
    return value === null ? [] : typeof value === 'string' ? [value] : [...value]
  }
  watch(
    () => names().join(' '),
    () => {
      for (const unsubscribe of unsubscribers) unsubscribe()
      unsubscribers = names().map((name) =>
        live.subscribe(name, {
          onEvent: (event) => {
            if (held) held.push(event)
            else view.apply(event as TypedEvent)
          },
          onResync: () => void reload(),
          onError: (code, message) => (error.value = `${code}: ${message}`),
        }),
      )
      void reload()
    },
    { immediate: true },
  )
  onScopeDispose(() => {
    generation += 1
    for (const unsubscribe of unsubscribers) unsubscribe()
  })
  return { loading, error, reload }
}
