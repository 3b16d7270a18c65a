// The one live connection of a browser tab. Views never touch the socket: they subscribe to a
// topic with handlers (through `useTopic`) and this client keeps the socket, the
// subscriptions and each topic's last sequence number, so that after a reconnect it resumes
// every topic with `since` and the server replays what was missed, or says `resync`, which
// the client hands to the views (they reload their snapshot). Reconnects back off
// exponentially with full jitter up to a cap; a ping every `pingIntervalMs` that gets no pong
// within `pongTimeoutMs` counts as a lost connection (a half-open socket sends nothing).

import { TELEMETRY_KINDS } from '../api/events'

/** What the server sends (docs/websocket.md §3). */
export type ServerMessage =
  | { op: 'subscribed'; topic: string; seq: number }
  | { op: 'event'; topic: string; seq: number; kind: string; ts: string; data: unknown }
  | { op: 'resync'; topic: string }
  | { op: 'unsubscribed'; topic: string }
  | { op: 'error'; code: string; message: string; topic?: string }
  | { op: 'pong' }

export interface LiveEvent {
  topic: string
  seq: number
  kind: string
  /** When the server published it. */
  ts: string
  data: unknown
}

export interface TopicHandler {
  onEvent(event: LiveEvent): void
  /** Events were missed: reload the snapshot. */
  onResync(): void
  /** The server refused the topic (`forbidden_topic`, `too_many_subscriptions`, ...). */
  onError?(code: string, message: string): void
}

export type LiveStatus = 'connecting' | 'live' | 'reconnecting' | 'closed'

export interface LiveState {
  status: LiveStatus
  /** Since when what the views show may be out of date (the connection was lost), or null. */
  staleSince: Date | null
  /** How many times views were told to reload since the page opened. */
  resyncs: number
  /** The last resync's time, for the indicator. */
  lastResyncAt: Date | null
}

/** The minimal WebSocket surface the client uses, so that tests can hand it a fake. */
export interface SocketLike {
  readonly readyState: number
  onopen: ((ev: Event) => void) | null
  onmessage: ((ev: MessageEvent) => void) | null
  onclose: ((ev: CloseEvent) => void) | null
  onerror: ((ev: Event) => void) | null
  send(data: string): void
  close(code?: number, reason?: string): void
}

export interface LiveClientOptions {
  /** The socket URL for a fresh ticket (`ws://host/api/v1/ws?ticket=…`); rejects with
   * `AuthExpired` when the login is gone. */
  connectUrl(): Promise<string>
  openSocket(url: string): SocketLike
  onStateChange?(state: LiveState): void
  /** The login is gone: the app sends the person to the login page. */
  onAuthExpired?(): void
  random?: () => number
  now?: () => Date
  setTimer?: (fn: () => void, ms: number) => unknown
  clearTimer?: (id: unknown) => void
  baseDelayMs?: number
  maxDelayMs?: number
  pingIntervalMs?: number
  pongTimeoutMs?: number
}

export class AuthExpired extends Error {
  constructor() {
    super('the login has expired')
  }
}

interface Subscription {
  handlers: Set<TopicHandler>
  /** The newest sequence number seen on the topic, or null before the first `subscribed`. */
  lastSeq: number | null
}

const OPEN = 1

/** The delay before reconnect attempt `attempt` (0-based): full jitter on a capped exponential. */
export function backoffDelay(attempt: number, baseMs: number, maxMs: number, random: () => number): number {
  const ceiling = Math.min(maxMs, baseMs * 2 ** Math.min(attempt, 20))
  return Math.round(ceiling / 2 + (random() * ceiling) / 2)
}

export class LiveClient {
  private readonly options: Required<Omit<LiveClientOptions, 'onStateChange' | 'onAuthExpired'>> &
    Pick<LiveClientOptions, 'onStateChange' | 'onAuthExpired'>
  private readonly subscriptions = new Map<string, Subscription>()
  private socket: SocketLike | null = null
  private attempt = 0
  private reconnectTimer: unknown = null
  private pingTimer: unknown = null
  private pongTimer: unknown = null
  private stopped = true
  readonly state: LiveState = { status: 'closed', staleSince: null, resyncs: 0, lastResyncAt: null }

  constructor(options: LiveClientOptions) {
    this.options = {
      random: Math.random,
      now: () => new Date(),
      setTimer: (fn, ms) => setTimeout(fn, ms),
      clearTimer: (id) => clearTimeout(id as ReturnType<typeof setTimeout>),
      baseDelayMs: 500,
      maxDelayMs: 30_000,
      pingIntervalMs: 20_000,
      pongTimeoutMs: 10_000,
      ...options,
    }
  }

  /** Opens the connection (idempotent). */
  start(): void {
    if (!this.stopped) return
    this.stopped = false
    void this.connect()
  }

  /** Closes the connection for good (logout). Subscriptions are forgotten. */
  stop(): void {
    this.stopped = true
    this.clearTimers()
    this.subscriptions.clear()
    const socket = this.socket
    this.socket = null
    socket?.close(1000, 'bye')
    this.setState({ status: 'closed', staleSince: null })
  }

  /** Subscribes a handler to a topic; the returned function unsubscribes it. */
  subscribe(topic: string, handler: TopicHandler): () => void {
    let subscription = this.subscriptions.get(topic)
    if (!subscription) {
      subscription = { handlers: new Set(), lastSeq: null }
      this.subscriptions.set(topic, subscription)
      this.sendSubscribe(topic, subscription)
    }
    subscription.handlers.add(handler)
    return () => {
      const current = this.subscriptions.get(topic)
      if (!current) return
      current.handlers.delete(handler)
      if (current.handlers.size === 0) {
        this.subscriptions.delete(topic)
        this.send({ op: 'unsubscribe', topic })
      }
    }
  }

  /** The topics subscribed now, for tests and the indicator's tooltip. */
  topics(): string[] {
    return [...this.subscriptions.keys()]
  }

  /** The browser lost the network: an open socket is dead or about to be, so it is dropped
   * now (as a ping without a pong would drop it later) and the views show the data as stale.
   * Reconnecting goes on with backoff; `reconnectNow` cuts the wait when the network is back. */
  offline(): void {
    if (this.stopped || !this.socket) return
    const socket = this.socket
    this.socket = null
    socket.close(4000, 'offline')
    this.lost()
  }

  /** Forces a reconnect now (the browser came back online). */
  reconnectNow(): void {
    if (this.stopped) return
    this.attempt = 0
    if (this.socket && this.socket.readyState === OPEN) return
    if (this.reconnectTimer !== null) {
      this.options.clearTimer(this.reconnectTimer)
      this.reconnectTimer = null
      void this.connect()
    }
  }

  private async connect(): Promise<void> {
    if (this.stopped) return
    this.setState({ status: this.state.staleSince ? 'reconnecting' : 'connecting' })
    let url: string
    try {
      url = await this.options.connectUrl()
    } catch (error) {
      if (error instanceof AuthExpired) {
        this.stop()
        this.options.onAuthExpired?.()
        return
      }
      this.lost()
      return
    }
    if (this.stopped) return
    const socket = this.options.openSocket(url)
    this.socket = socket
    socket.onopen = () => {
      if (this.socket !== socket) return
      this.attempt = 0
      for (const [topic, subscription] of this.subscriptions) this.sendSubscribe(topic, subscription)
      if (this.subscriptions.size === 0) this.markLive()
      this.schedulePing()
    }
    socket.onmessage = (message) => {
      if (this.socket !== socket) return
      this.receive(message.data)
    }
    socket.onclose = () => {
      if (this.socket !== socket) return
      this.socket = null
      this.lost()
    }
    socket.onerror = () => {
      // A close always follows an error; it is handled there.
    }
  }

  private lost(): void {
    this.clearTimers()
    if (this.stopped) return
    this.setState({ status: 'reconnecting', staleSince: this.state.staleSince ?? this.options.now() })
    const delay = backoffDelay(this.attempt, this.options.baseDelayMs, this.options.maxDelayMs, this.options.random)
    this.attempt += 1
    this.reconnectTimer = this.options.setTimer(() => {
      this.reconnectTimer = null
      void this.connect()
    }, delay)
  }

  private receive(raw: unknown): void {
    if (typeof raw !== 'string') return
    let message: ServerMessage
    try {
      message = JSON.parse(raw) as ServerMessage
    } catch {
      return
    }
    this.notePong()
    switch (message.op) {
      case 'subscribed': {
        const subscription = this.subscriptions.get(message.topic)
        if (subscription && subscription.lastSeq === null) subscription.lastSeq = message.seq
        this.markLive()
        break
      }
      case 'event': {
        const subscription = this.subscriptions.get(message.topic)
        if (!subscription) break
        // Telemetry carries the topic's latest `seq` and is never replayed: it is always new,
        // and numbers nothing.
        if (TELEMETRY_KINDS.has(message.kind)) {
          if (subscription.lastSeq !== null && message.seq < subscription.lastSeq) break
        } else {
          // A replayed event we have already seen (a resume racing a live event) is dropped.
          if (subscription.lastSeq !== null && message.seq <= subscription.lastSeq) break
          subscription.lastSeq = message.seq
        }
        const event: LiveEvent = {
          topic: message.topic,
          seq: message.seq,
          kind: message.kind,
          ts: message.ts,
          data: message.data,
        }
        for (const handler of [...subscription.handlers]) handler.onEvent(event)
        break
      }
      case 'resync': {
        const subscription = this.subscriptions.get(message.topic)
        if (!subscription) break
        // Numbering may have started again (a restart): take the next event as it comes.
        subscription.lastSeq = null
        this.setState({ resyncs: this.state.resyncs + 1, lastResyncAt: this.options.now() })
        for (const handler of [...subscription.handlers]) handler.onResync()
        break
      }
      case 'error': {
        if (!message.topic) break
        const subscription = this.subscriptions.get(message.topic)
        if (!subscription) break
        this.subscriptions.delete(message.topic)
        for (const handler of [...subscription.handlers]) handler.onError?.(message.code, message.message)
        break
      }
      default:
        break
    }
  }

  private markLive(): void {
    if (this.state.status !== 'live') {
      this.setState({ status: 'live', staleSince: null })
    }
  }

  private sendSubscribe(topic: string, subscription: Subscription): void {
    const message: { op: 'subscribe'; topic: string; since?: number } = { op: 'subscribe', topic }
    if (subscription.lastSeq !== null) message.since = subscription.lastSeq
    this.send(message)
  }

  private send(message: object): void {
    if (this.socket && this.socket.readyState === OPEN) this.socket.send(JSON.stringify(message))
  }

  private schedulePing(): void {
    this.clearPing()
    this.pingTimer = this.options.setTimer(() => {
      this.pingTimer = null
      this.send({ op: 'ping' })
      this.pongTimer = this.options.setTimer(() => {
        this.pongTimer = null
        // No answer: the connection is dead even if the browser has not noticed.
        const socket = this.socket
        this.socket = null
        socket?.close(4000, 'no pong')
        this.lost()
      }, this.options.pongTimeoutMs)
    }, this.options.pingIntervalMs)
  }

  /** Any message proves the connection alive: the pending ping is answered. */
  private notePong(): void {
    if (this.pongTimer !== null) {
      this.options.clearTimer(this.pongTimer)
      this.pongTimer = null
      this.schedulePing()
    } else if (this.pingTimer === null && this.socket) {
      this.schedulePing()
    }
  }

  private clearPing(): void {
    if (this.pingTimer !== null) this.options.clearTimer(this.pingTimer)
    if (this.pongTimer !== null) this.options.clearTimer(this.pongTimer)
    this.pingTimer = null
    this.pongTimer = null
  }

  private clearTimers(): void {
    this.clearPing()
    if (this.reconnectTimer !== null) this.options.clearTimer(this.reconnectTimer)
    this.reconnectTimer = null
  }

  private setState(change: Partial<LiveState>): void {
    Object.assign(this.state, change)
    this.options.onStateChange?.({ ...this.state })
  }
}
