// The login of this browser tab: the bearer token and the user, in memory and in
// sessionStorage (so a reload keeps it, another tab logs in on its own), and where each role
// belongs. The UI only chooses what to show from the role; the server decides what is allowed.
import { reactive } from 'vue'
import type { components } from '../api/schema'

export type CurrentUser = components['schemas']['CurrentUser']
export type Role = components['schemas']['Role']

interface Stored {
  token: string
  expiresAt: string
  user: CurrentUser
}

const STORAGE_KEY = 'yunguan.session'

function read(): Stored | null {
  try {
    const raw = globalThis.sessionStorage?.getItem(STORAGE_KEY)
    if (!raw) return null
    const stored = JSON.parse(raw) as Stored
    return Date.parse(stored.expiresAt) > Date.now() ? stored : null
  } catch {
    return null
  }
}

const state = reactive<{ current: Stored | null }>({ current: read() })

/** Logout has begun: requests still in flight will be refused, and that is not an expiry. */
let leaving = false

/** Where a person logs in again: the one login page, or an app's own (the mobile app's). */
let loginPage = '/login'

export const BUREAU_ROLES: readonly Role[] = ['bureau_admin', 'bureau_manager', 'bureau_operator']
export const TENANT_ROLES: readonly Role[] = ['tenant_admin', 'tenant_member']

/** The app a role works in: bureau staff and suppliers in the ops portal, tenants in the
 * service portal. */
export function appOf(role: Role): '/ops/' | '/portal/' {
  return TENANT_ROLES.includes(role) ? '/portal/' : '/ops/'
}

/** Where a login page should send someone after login, from `?return=`, kept on this site. */
export function safeReturnPath(raw: string | null | undefined): string | null {
  if (!raw || !raw.startsWith('/') || raw.startsWith('//') || raw.includes('\\')) return null
  return raw
}

export const session = {
  token(): string | null {
    return state.current?.token ?? null
  },
  user(): CurrentUser | null {
    return state.current?.user ?? null
  },
  role(): Role | null {
    return state.current?.user.role ?? null
  },
  isBureau(): boolean {
    const role = this.role()
    return role !== null && BUREAU_ROLES.includes(role)
  },
  hasRole(...roles: Role[]): boolean {
    const role = this.role()
    return role !== null && roles.includes(role)
  },
  store(token: string, expiresAt: string, user: CurrentUser): void {
    state.current = { token, expiresAt, user }
    globalThis.sessionStorage?.setItem(STORAGE_KEY, JSON.stringify(state.current))
  },
  clear(): void {
    state.current = null
    globalThis.sessionStorage?.removeItem(STORAGE_KEY)
  },
  /** The user is logging out: from now on a refused token is expected, not an expiry that
   * would race the logout's own way to the login page. */
  leave(): void {
    leaving = true
  },
  /** The app logs people in on a page of its own. */
  useLoginPage(path: string): void {
    loginPage = path
  },
  /** The token was refused: back to the login page, and then back here. */
  expired(): void {
    if (leaving) return
    this.clear()
    const here = location.pathname + location.search + location.hash
    location.assign(`${loginPage}?return=${encodeURIComponent(here)}&expired=1`)
  },
}
