// The HTTP API as the tests' other actors use it (an approver, a lookup), with the same
// accounts the demo seeds.
import { PASSWORD } from './server'

export class ApiUser {
  private constructor(
    readonly base: string,
    readonly token: string,
    readonly user: { id: number; username: string; role: string; tenant_id: number | null },
  ) {}

  static async login(base: string, username: string): Promise<ApiUser> {
    const response = await fetch(`${base}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username, password: PASSWORD }),
    })
    if (!response.ok) throw new Error(`login ${username}: ${response.status}`)
    const body = (await response.json()) as { token: string; user: ApiUser['user'] }
    return new ApiUser(base, body.token, body.user)
  }

  async request<T>(method: string, path: string, body?: unknown): Promise<{ status: number; body: T }> {
    const response = await fetch(`${this.base}/api/v1${path}`, {
      method,
      headers: { authorization: `Bearer ${this.token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    })
    const text = await response.text()
    return { status: response.status, body: (text ? JSON.parse(text) : null) as T }
  }

  async get<T>(path: string): Promise<T> {
    const answer = await this.request<T>('GET', path)
    if (answer.status !== 200) throw new Error(`GET ${path}: ${answer.status} ${JSON.stringify(answer.body)}`)
    return answer.body
  }

  async post<T>(path: string, body: unknown = {}): Promise<T> {
    const answer = await this.request<T>('POST', path, body)
    if (answer.status >= 300) throw new Error(`POST ${path}: ${answer.status} ${JSON.stringify(answer.body)}`)
    return answer.body
  }
}
