// The tab's one live client, wired to the login (a WebSocket ticket per connection) and to
// the browser (drop the socket when the network goes, reconnect at once when it comes back
// online), and its state as a reactive
// object for the indicator.
import { reactive } from 'vue'
import { AuthExpired, LiveClient, type LiveState } from './client'
import { session } from '../auth/session'
import { api } from '../api/client'

export const liveState = reactive<LiveState>({ status: 'closed', staleSince: null, resyncs: 0, lastResyncAt: null })

async function connectUrl(): Promise<string> {
  const token = session.token()
  if (!token) throw new AuthExpired()
  const { data, response } = await api.POST('/api/v1/ws/ticket')
  if (response.status === 401) throw new AuthExpired()
  if (!data) throw new Error(`ws ticket: ${response.status}`)
  const { ticket } = data
  const scheme = location.protocol === 'https:' ? 'wss' : 'ws'
  return `${scheme}://${location.host}/api/v1/ws?ticket=${encodeURIComponent(ticket)}`
}

export const live = new LiveClient({
  connectUrl,
  openSocket: (url) => new WebSocket(url),
  onStateChange: (state) => Object.assign(liveState, state),
  onAuthExpired: () => session.expired(),
})

globalThis.addEventListener?.('online', () => live.reconnectNow())
globalThis.addEventListener?.('offline', () => live.offline())
