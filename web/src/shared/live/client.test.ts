import { beforeEach, describe, expect, it } from 'vitest'
import { AuthExpired, backoffDelay, LiveClient, type LiveEvent, type LiveState, type SocketLike } from './client'

/** A socket the test opens, feeds and closes by hand. */
class FakeSocket implements SocketLike {
  readyState = 0
  sent: Record<string, unknown>[] = []
  onopen: ((ev: Event) => void) | null = null
  onmessage: ((ev: MessageEvent) => void) | null = null
  onclose: ((ev: CloseEvent) => void) | null = null
  onerror: ((ev: Event) => void) | null = null
  constructor(readonly url: string) {}
  send(data: string) {
    this.sent.push(JSON.parse(data))
  }
  close() {
    this.readyState = 3
  }
  open() {
    this.readyState = 1
    this.onopen?.(new Event('open'))
  }
  receive(message: object) {
    this.onmessage?.(new MessageEvent('message', { data: JSON.stringify(message) }))
  }
  drop() {
    this.readyState = 3
    this.onclose?.(new Event('close') as CloseEvent)
  }
}

/** Timers the test fires by hand, in order of due time. */
class ManualTimers {
  now = 0
  private next = 1
  private timers = new Map<number, { due: number; fn: () => void }>()
  set = (fn: () => void, ms: number) => {
    const id = this.next++
    this.timers.set(id, { due: this.now + ms, fn })
    return id
  }
  clear = (id: unknown) => {
    this.timers.delete(id as number)
  }
  pending(): number[] {
    return [...this.timers.values()].map((t) => t.due - this.now).sort((a, b) => a - b)
  }
  advance(ms: number) {
    const until = this.now + ms
    for (;;) {
      const due = [...this.timers.entries()].filter(([, t]) => t.due <= until).sort((a, b) => a[1].due - b[1].due)[0]
      if (!due) break
      this.timers.delete(due[0])
      this.now = due[1].due
      due[1].fn()
    }
    this.now = until
  }
}

const flush = () => new Promise((resolve) => setTimeout(resolve, 0))

describe('LiveClient', () => {
  let sockets: FakeSocket[]
  let timers: ManualTimers
  let states: LiveState[]
  let tickets: number
  let authExpired: boolean
  let client: LiveClient

  beforeEach(() => {
    sockets = []
    timers = new ManualTimers()
    states = []
    tickets = 0
    authExpired = false
    client = new LiveClient({
      connectUrl: async () => {
        if (authExpired) throw new AuthExpired()
        tickets += 1
        return `ws://test/api/v1/ws?ticket=t${tickets}`
      },
      openSocket: (url) => {
        const socket = new FakeSocket(url)
        sockets.push(socket)
        return socket
      },
      onStateChange: (state) => states.push(state),
      random: () => 0.5,
      now: () => new Date(Date.UTC(2026, 11, 6, 8, 0, 0) + timers.now),
      setTimer: timers.set,
      clearTimer: timers.clear,
      baseDelayMs: 500,
      maxDelayMs: 8000,
      pingIntervalMs: 20_000,
      pongTimeoutMs: 10_000,
    })
  })

  function recorder() {
    const events: LiveEvent[] = []
    let resyncs = 0
    const errors: string[] = []
    return {
      events,
      resyncs: () => resyncs,
      errors,
      handler: {
        onEvent: (event: LiveEvent) => events.push(event),
        onResync: () => (resyncs += 1),
        onError: (code: string) => errors.push(code),
      },
    }
  }

  it('subscribes once per topic, delivers events in order and drops duplicates', async () => {
    const a = recorder()
    const b = recorder()
    client.start()
    await flush()
    sockets[0].open()
    client.subscribe('overview', a.handler)
    client.subscribe('overview', b.handler)
    expect(sockets[0].sent).toEqual([{ op: 'subscribe', topic: 'overview' }])
    sockets[0].receive({ op: 'subscribed', topic: 'overview', seq: 10 })
    expect(client.state.status).toBe('live')
    sockets[0].receive({ op: 'event', topic: 'overview', seq: 11, kind: 'overview.summary', ts: 'x', data: { n: 1 } })
    sockets[0].receive({ op: 'event', topic: 'overview', seq: 11, kind: 'overview.summary', ts: 'x', data: { n: 1 } })
    sockets[0].receive({ op: 'event', topic: 'overview', seq: 12, kind: 'overview.summary', ts: 'x', data: { n: 2 } })
    expect(a.events.map((e) => e.seq)).toEqual([11, 12])
    expect(b.events.map((e) => e.seq)).toEqual([11, 12])
  })

  it('delivers telemetry, which carries the latest seq, without taking it as a duplicate', async () => {
    const a = recorder()
    client.start()
    await flush()
    sockets[0].open()
    client.subscribe('device/7', a.handler)
    sockets[0].receive({ op: 'subscribed', topic: 'device/7', seq: 10 })
    sockets[0].receive({ op: 'event', topic: 'device/7', seq: 10, kind: 'device.sample', ts: 'x', data: { n: 1 } })
    sockets[0].receive({ op: 'event', topic: 'device/7', seq: 11, kind: 'device.state', ts: 'x', data: null })
    sockets[0].receive({ op: 'event', topic: 'device/7', seq: 11, kind: 'device.sample', ts: 'x', data: { n: 2 } })
    sockets[0].receive({ op: 'event', topic: 'device/7', seq: 11, kind: 'device.state', ts: 'x', data: null })
    expect(a.events.map((e) => [e.kind, e.seq])).toEqual([
      ['device.sample', 10],
      ['device.state', 11],
      ['device.sample', 11],
    ])
  })

  it('unsubscribes when the last handler leaves', async () => {
    const a = recorder()
    const b = recorder()
    client.start()
    await flush()
    sockets[0].open()
    const offA = client.subscribe('dc/1', a.handler)
    const offB = client.subscribe('dc/1', b.handler)
    offA()
    expect(sockets[0].sent).toHaveLength(1)
    offB()
    expect(sockets[0].sent[1]).toEqual({ op: 'unsubscribe', topic: 'dc/1' })
    expect(client.topics()).toEqual([])
  })

  it('resumes every topic with since after a lost connection, with a fresh ticket', async () => {
    const a = recorder()
    client.start()
    await flush()
    sockets[0].open()
    client.subscribe('overview', a.handler)
    sockets[0].receive({ op: 'subscribed', topic: 'overview', seq: 10 })
    sockets[0].receive({ op: 'event', topic: 'overview', seq: 11, kind: 'k', ts: 'x', data: null })
    timers.advance(1000)
    sockets[0].drop()
    expect(client.state.status).toBe('reconnecting')
    expect(client.state.staleSince?.toISOString()).toBe('2026-12-06T08:00:01.000Z')
    timers.advance(500)
    await flush()
    expect(sockets).toHaveLength(2)
    expect(sockets[1].url).toBe('ws://test/api/v1/ws?ticket=t2')
    sockets[1].open()
    expect(sockets[1].sent).toEqual([{ op: 'subscribe', topic: 'overview', since: 11 }])
    sockets[1].receive({ op: 'subscribed', topic: 'overview', seq: 13 })
    sockets[1].receive({ op: 'event', topic: 'overview', seq: 12, kind: 'k', ts: 'x', data: null })
    sockets[1].receive({ op: 'event', topic: 'overview', seq: 13, kind: 'k', ts: 'x', data: null })
    expect(a.events.map((e) => e.seq)).toEqual([11, 12, 13])
    expect(client.state.status).toBe('live')
    expect(client.state.staleSince).toBeNull()
  })

  it('drops the socket when the browser goes offline and resumes with since once it is back', async () => {
    const a = recorder()
    client.start()
    await flush()
    sockets[0].open()
    client.subscribe('user/7/inbox', a.handler)
    sockets[0].receive({ op: 'subscribed', topic: 'user/7/inbox', seq: 40 })
    sockets[0].receive({ op: 'event', topic: 'user/7/inbox', seq: 41, kind: 'k', ts: 'x', data: null })
    client.offline()
    expect(sockets[0].readyState).toBe(3)
    expect(client.state.status).toBe('reconnecting')
    // Events on the dropped socket are not taken (they would come from a dead connection).
    sockets[0].receive({ op: 'event', topic: 'user/7/inbox', seq: 42, kind: 'k', ts: 'x', data: null })
    expect(a.events.map((e) => e.seq)).toEqual([41])
    client.reconnectNow()
    await flush()
    expect(sockets).toHaveLength(2)
    sockets[1].open()
    expect(sockets[1].sent).toEqual([{ op: 'subscribe', topic: 'user/7/inbox', since: 41 }])
    sockets[1].receive({ op: 'event', topic: 'user/7/inbox', seq: 42, kind: 'k', ts: 'x', data: null })
    expect(a.events.map((e) => e.seq)).toEqual([41, 42])
  })

  it('hands resync to every handler of the topic and takes the next numbering as it comes', async () => {
    const a = recorder()
    client.start()
    await flush()
    sockets[0].open()
    client.subscribe('dc/2', a.handler)
    sockets[0].receive({ op: 'subscribed', topic: 'dc/2', seq: 500 })
    sockets[0].receive({ op: 'resync', topic: 'dc/2' })
    expect(a.resyncs()).toBe(1)
    expect(client.state.resyncs).toBe(1)
    // After a server restart numbering starts higher, and also lower numbers are not dropped
    // because the client forgot its place at the resync.
    sockets[0].receive({ op: 'event', topic: 'dc/2', seq: 7, kind: 'k', ts: 'x', data: null })
    expect(a.events.map((e) => e.seq)).toEqual([7])
  })

  it('backs off exponentially with jitter up to the cap, and resets after a connection', async () => {
    client.start()
    await flush()
    const delays: number[] = []
    for (let attempt = 0; attempt < 6; attempt++) {
      sockets[sockets.length - 1].drop()
      delays.push(timers.pending()[0])
      timers.advance(delays[delays.length - 1])
      await flush()
    }
    expect(delays).toEqual([375, 750, 1500, 3000, 6000, 6000])
    sockets[sockets.length - 1].open()
    sockets[sockets.length - 1].drop()
    expect(timers.pending()[0]).toBe(375)
  })

  it('full jitter stays within half to all of the ceiling', () => {
    expect(backoffDelay(3, 500, 30_000, () => 0)).toBe(2000)
    expect(backoffDelay(3, 500, 30_000, () => 1)).toBe(4000)
    expect(backoffDelay(30, 500, 30_000, () => 1)).toBe(30_000)
  })

  it('treats a missing pong as a lost connection', async () => {
    client.start()
    await flush()
    sockets[0].open()
    timers.advance(20_000)
    expect(sockets[0].sent).toEqual([{ op: 'ping' }])
    timers.advance(10_000)
    expect(client.state.status).toBe('reconnecting')
    timers.advance(1_000)
    await flush()
    expect(sockets).toHaveLength(2)
  })

  it('keeps a connection that answers its pings', async () => {
    client.start()
    await flush()
    sockets[0].open()
    for (let i = 0; i < 3; i++) {
      timers.advance(20_000)
      sockets[0].receive({ op: 'pong' })
    }
    timers.advance(15_000)
    expect(sockets).toHaveLength(1)
    expect(client.state.status).toBe('live')
  })

  it('forgets a refused topic and tells its handlers', async () => {
    const a = recorder()
    client.start()
    await flush()
    sockets[0].open()
    client.subscribe('overview', a.handler)
    sockets[0].receive({ op: 'error', code: 'forbidden_topic', message: 'no', topic: 'overview' })
    expect(a.errors).toEqual(['forbidden_topic'])
    expect(client.topics()).toEqual([])
  })

  it('stops and reports when the login has expired', async () => {
    let told = false
    client = new LiveClient({
      connectUrl: async () => {
        throw new AuthExpired()
      },
      openSocket: () => {
        throw new Error('must not open')
      },
      onAuthExpired: () => (told = true),
      setTimer: timers.set,
      clearTimer: timers.clear,
    })
    client.start()
    await flush()
    expect(told).toBe(true)
    expect(client.state.status).toBe('closed')
    expect(authExpired).toBe(false)
  })
})
