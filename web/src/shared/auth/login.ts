// Logging in, for every login page (the root's and the mobile app's): the session stored on
// success, and a refusal in the person's words.
import { api, ApiFailure, unwrap, type Schemas } from '../api/client'
import { session, type CurrentUser } from './session'

type Translate = (key: string, params?: Record<string, unknown>) => string

/** Logs in and keeps the session in this tab; answers the user. */
export async function logIn(username: string, password: string): Promise<CurrentUser> {
  const answer = await unwrap(api.POST('/api/v1/auth/login', { body: { username, password } }))
  session.store(answer.token, answer.expires_at, answer.user)
  return answer.user
}

/** Why a login failed, to show on the page. */
export function loginFailure(error: unknown, t: Translate): string {
  if (error instanceof ApiFailure && error.code === 'invalid_credentials') return t('login.invalid')
  if (error instanceof ApiFailure && error.code === 'too_many_login_attempts') return t('login.throttled', { seconds: error.message.match(/\d+/)?.[0] ?? '60' })
  return t('login.unavailable', { message: error instanceof Error ? error.message : String(error) })
}

export type SignInMethods = Schemas['SignInMethods']

/** How this site signs people in besides passwords (an identity provider's button). */
export async function signInMethods(): Promise<SignInMethods> {
  return unwrap(api.GET('/api/v1/auth/methods'))
}

/** Where to go back after the identity provider, kept in this tab across the round trip. */
const SIGN_ON_RETURN = 'yunguan.signOnReturn'

/** Leaves for the identity provider; back on `/login`, `takeSignOn` finishes. */
export function startSignOn(loginUrl: string, returnPath: string | null): void {
  if (returnPath) globalThis.sessionStorage?.setItem(SIGN_ON_RETURN, returnPath)
  else globalThis.sessionStorage?.removeItem(SIGN_ON_RETURN)
  location.assign(loginUrl)
}

/**
 * The sign-in the identity provider handed back in the address's fragment
 * (`#sso=<token>&expires_at=<time>`): the fragment is taken off the address at once (it holds a
 * token), the session stored, and the user and the way back answered. Null when there is none.
 */
export async function takeSignOn(): Promise<{ user: CurrentUser; returnPath: string | null } | null> {
  const fragment = new URLSearchParams(location.hash.slice(1))
  const token = fragment.get('sso')
  const expiresAt = fragment.get('expires_at')
  if (!token || !expiresAt) return null
  history.replaceState(null, '', location.pathname + location.search)
  // An older login in this tab must not lend its token to the request.
  session.clear()
  const user = await unwrap(api.GET('/api/v1/auth/me', { headers: { authorization: `Bearer ${token}` } }))
  session.store(token, expiresAt, user)
  const returnPath = globalThis.sessionStorage?.getItem(SIGN_ON_RETURN) ?? null
  globalThis.sessionStorage?.removeItem(SIGN_ON_RETURN)
  return { user, returnPath }
}

/** Why the identity provider's sign-in failed (`?sso_error=<code>`), in the person's words. */
export function signOnFailure(code: string, t: Translate): string {
  const known = ['no_role', 'conflict', 'invalid_credentials', 'service_unavailable', 'access_denied']
  return known.includes(code) ? t(`login.signOn.${code}`) : t('login.signOn.failed', { code })
}
