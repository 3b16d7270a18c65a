// Logging in, for every login page (the root's and the mobile app's): the session stored on
// success, and a refusal in the person's words.
import { api, ApiFailure, unwrap } from '../api/client'
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
