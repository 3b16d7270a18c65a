// Single sign-on in a real browser: the login page offers the identity provider's button
// (a real OpenID provider, `oidc-provider` from npm, run by tests/peers/oidc-provider), the
// provider's own login form signs the person in, and they land in their portal with the role
// their groups give; a person whose groups give no role is brought back to the login page
// with the reason. The demo is started with a configuration file naming the provider and the
// role mapping.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Browser } from 'playwright-core'
import { DemoServer, freePort, freshBackend, type Backend } from './support/server'
import { reached, screenshot } from './support/browser'

const PEER = new URL('../../tests/peers/oidc-provider/server.mjs', import.meta.url).pathname

const state = {} as {
  backend: Backend
  server: DemoServer
  browser: Browser
  provider: ChildProcessWithoutNullStreams
  folder: string
}

/** Starts the provider; resolves with its issuer once it listens. */
async function startProvider(redirectUri: string, usersFile: string): Promise<string> {
  const provider = spawn('node', [PEER], {
    env: { ...process.env, PORT: '0', CLIENT_ID: 'yunguan', CLIENT_SECRET: 'e2e-client-secret', REDIRECT_URI: redirectUri, USERS_FILE: usersFile },
  })
  state.provider = provider
  return new Promise((resolve, reject) => {
    let output = ''
    const timer = setTimeout(() => reject(new Error(`the OpenID provider did not start:\n${output}`)), 30_000)
    provider.stderr.on('data', (chunk) => (output += chunk))
    provider.stdout.setEncoding('utf8')
    provider.stdout.on('data', (chunk: string) => {
      output += chunk
      const issuer = /^listening (\S+)/m.exec(output)?.[1]
      if (issuer) {
        clearTimeout(timer)
        resolve(issuer)
      }
    })
  })
}

beforeAll(async () => {
  state.folder = mkdtempSync(join(tmpdir(), 'yunguan-signon-'))
  const usersFile = join(state.folder, 'users.json')
  writeFileSync(
    usersFile,
    JSON.stringify({
      wangli: { password: 'wangli-pass', name: '王丽', email: 'wangli@gov.example', groups: ['yunguan-operators'] },
      visitor: { password: 'visitor-pass', name: '访客', groups: ['visitors'] },
    }),
  )
  state.backend = freshBackend()
  const port = await freePort()
  const redirect = `http://127.0.0.1:${port}/api/v1/auth/oidc/callback`
  const issuer = await startProvider(redirect, usersFile)
  const config = join(state.folder, 'yunguan.toml')
  writeFileSync(
    config,
    [
      '[auth.oidc]',
      `issuer_url = "${issuer}"`,
      'client_id = "yunguan"',
      'client_secret = "e2e-client-secret"',
      `redirect_url = "${redirect}"`,
      '',
      '[[auth.role_mapping]]',
      'group = "yunguan-operators"',
      'role = "bureau_operator"',
      '',
    ].join('\n'),
  )
  state.server = new DemoServer(state.backend, ['--config', config])
  state.server.port = port
  await state.server.start()
  const { launch } = await import('./support/browser')
  state.browser = await launch()
}, 180_000)

afterAll(async () => {
  await state.browser?.close()
  await state.server?.stop()
  state.provider?.kill()
  state.backend?.cleanup()
  if (state.folder) rmSync(state.folder, { recursive: true, force: true })
})

async function newPage() {
  const context = await state.browser.newContext({ viewport: { width: 1366, height: 900 }, baseURL: state.server.url })
  await context.addInitScript(() => localStorage.setItem('yunguan.locale', 'zh-CN'))
  return { context, page: await context.newPage() }
}

describe('single sign-on', () => {
  it('signs a person in through the identity provider into the portal of their role', async () => {
    const { context, page } = await newPage()
    await page.goto('/login')
    const button = page.getByRole('button', { name: '使用统一身份认证登录' })
    await button.waitFor()
    await screenshot(page, 'login-sign-on')
    await button.click()
    // The provider's own page.
    await page.locator('input[name="login"]').fill('wangli')
    await page.locator('input[name="password"]').fill('wangli-pass')
    await page.locator('form button, form [type="submit"]').first().click()
    await reached(page, /^\/ops\//)
    // The token never stays in the address.
    expect(page.url()).not.toContain('sso=')
    await page.getByText('王丽').first().waitFor()
    const me = await page.evaluate(async () => {
      const stored = JSON.parse(sessionStorage.getItem('yunguan.session') ?? 'null') as { token: string } | null
      const answer = await fetch('/api/v1/auth/me', { headers: { authorization: `Bearer ${stored?.token}` } })
      return answer.json()
    })
    expect(me.role).toBe('bureau_operator')
    await screenshot(page, 'signed-on-ops')
    await context.close()
  })

  it('brings a person whose groups give no role back to the login page with the reason', async () => {
    const { context, page } = await newPage()
    await page.goto('/login')
    await page.getByRole('button', { name: '使用统一身份认证登录' }).click()
    await page.locator('input[name="login"]').fill('visitor')
    await page.locator('input[name="password"]').fill('visitor-pass')
    await page.locator('form button, form [type="submit"]').first().click()
    await reached(page, /^\/login\?sso_error=no_role/)
    await page.getByText('您所在的组在本平台没有对应的角色，请联系管理员。').waitFor()
    await screenshot(page, 'sign-on-no-role')
    await context.close()
  })
})
