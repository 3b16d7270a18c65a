// The typed HTTP client: openapi-fetch over the generated `paths`, with the login's bearer
// token on every request and a 401 sending the person to the login page (with the way back).
// Errors are the server's `{code, message, type, fields}`; `ApiFailure` carries them so that
// forms can show field errors on their fields and pages can show the message.
import createClient, { type Middleware } from 'openapi-fetch'
import type { components, paths } from './schema'
import { session } from '../auth/session'

export type Schemas = components['schemas']
export type ErrorBody = Schemas['ErrorBody']

/** A request the server refused or could not answer. */
export class ApiFailure extends Error {
  constructor(
    readonly status: number,
    readonly body: ErrorBody,
  ) {
    super(body.message)
  }
  get code(): string {
    return this.body.code
  }
  /** Field errors by field name (`validation_failed`). */
  fieldErrors(): Record<string, string> {
    const byField: Record<string, string> = {}
    for (const problem of this.body.fields ?? []) byField[problem.field] ??= problem.message
    return byField
  }
}

/** Where a 401 means wrong credentials (a password, a display key, a reset link), not an
 * expired login. */
const LOGINS = ['/api/v1/auth/login', '/api/v1/display-keys/login', '/api/v1/auth/password-reset']

const auth: Middleware = {
  onRequest({ request }) {
    const token = session.token()
    if (token) request.headers.set('authorization', `Bearer ${token}`)
    return request
  },
  onResponse({ response, request }) {
    if (response.status === 401 && !LOGINS.includes(new URL(request.url).pathname)) session.expired()
    return response
  },
}

export const api = createClient<paths>({ baseUrl: globalThis.location?.origin ?? '' })
api.use(auth)

/** The data of an openapi-fetch result, or an `ApiFailure` thrown. */
export async function unwrap<T>(
  pending: Promise<{ data?: T; error?: unknown; response: Response }>,
): Promise<T> {
  let result: { data?: T; error?: unknown; response: Response }
  try {
    result = await pending
  } catch (error) {
    throw new ApiFailure(0, { code: 'network', message: String(error), type: 'internal' } as ErrorBody)
  }
  if (result.response.ok) return result.data as T
  const body = (result.error ?? {}) as Partial<ErrorBody>
  throw new ApiFailure(result.response.status, {
    code: body.code ?? 'internal',
    message: body.message ?? result.response.statusText,
    type: body.type ?? 'internal',
    fields: body.fields,
  } as ErrorBody)
}

/**
 * A request to a path chosen at run time (the CMDB's kinds share one shape: list, get,
 * create, update, delete), through the same client, token and error handling. The path
 * must be one of the document's; its types are the caller's to state.
 */
export async function request<T>(
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE',
  path: string,
  options: { query?: Record<string, string | number | boolean | undefined>; body?: unknown } = {},
): Promise<T> {
  type Loose = (path: string, init: object) => Promise<{ data?: T; error?: unknown; response: Response }>
  const loose = api as unknown as Record<typeof method, Loose>
  return unwrap(loose[method](path, { params: { query: options.query }, body: options.body as never }))
}
