// How a wall gets in. A bureau admin's display key comes once in the address
// (`/screen?key=…`); it is kept in this browser's local storage and taken out of the address
// (so it shows on no screenshot and in no history), and the wall logs in with it whenever it
// has no live session: at start, after a browser restart, after its token expired. Bureau
// staff who opened the screen from a logged-in tab use their own session. A revoked key
// leaves the wall on a page that says so.
import { api } from '@shared/api/client'
import { BUREAU_ROLES, safeReturnPath, session } from '@shared/auth/session'

const KEY_STORAGE = 'yunguan.displayKey'

export type Access = 'ready' | 'no-key' | 'revoked' | 'forbidden' | 'unreachable'

/** The address without the key (and without the login page's bookkeeping), and the key. */
export function takeKey(href: string): { key: string | null; address: string } {
  const url = new URL(href)
  const key = url.searchParams.get('key')
  const back = safeReturnPath(url.searchParams.get('return'))
  if (back) {
    // Sent here by an expired token: back to the address the wall had, key-free.
    const returned = new URL(back, url.origin)
    returned.searchParams.delete('key')
    return { key, address: returned.pathname + returned.search + returned.hash }
  }
  for (const name of ['key', 'expired', 'return']) url.searchParams.delete(name)
  return { key, address: url.pathname + url.search + url.hash }
}

export function storedKey(): string | null {
  return globalThis.localStorage?.getItem(KEY_STORAGE) ?? null
}

/** Who may look at the wall: bureau staff and display keys (the server decides the rest). */
function mayWatch(): boolean {
  const role = session.role()
  return role === 'display' || (role !== null && BUREAU_ROLES.includes(role))
}

/** Logs the wall in if it needs to, and says whether it can show anything. */
export async function enter(): Promise<Access> {
  const { key, address } = takeKey(location.href)
  if (key) globalThis.localStorage?.setItem(KEY_STORAGE, key)
  history.replaceState(history.state, '', address)
  if (session.token()) return mayWatch() ? 'ready' : 'forbidden'
  const stored = storedKey()
  if (!stored) return 'no-key'
  let response: Response
  let data: Awaited<ReturnType<typeof logIn>>['data']
  try {
    ;({ data, response } = await logIn(stored))
  } catch {
    return 'unreachable'
  }
  if (response.status === 401) return 'revoked'
  if (!data) return 'unreachable'
  session.store(data.token, data.expires_at, data.user)
  return 'ready'
}

function logIn(key: string) {
  return api.POST('/api/v1/display-keys/login', { body: { key } })
}
