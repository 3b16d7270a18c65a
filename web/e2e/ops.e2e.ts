// The ops portal in a real browser against the real server (the demo's simulated network on
// a fresh database; PostgreSQL and Redis in CI): login and logout, tenants kept out, an alarm
// from a link taken down in the simulator reaching the alarm list and the topology without a
// reload, an acknowledgement in one browser moving the row in another, an approval reaching
// the requester's open ticket page, a CMDB list following another person's writes, a signed
// webhook channel tried, an operator's alarm mail chosen, the API reference,
// accessibility and screenshots of every page.
import { createHmac } from 'node:crypto'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { beforeAll, describe, expect, it } from 'vitest'
import type { Page } from 'playwright-core'
import { PASSWORD, withDemo } from './support/server'
import { accessibilityViolations, loggedIn, reached, screenshot } from './support/browser'
import { ApiUser } from './support/api'

const demo = withDemo()

/** Marks the page so that a reload (which would clear the mark) is noticed. */
async function markNoReload(page: Page) {
  await page.evaluate(() => ((window as unknown as { __kept: boolean }).__kept = true))
}
async function stillNoReload(page: Page): Promise<boolean> {
  return page.evaluate(() => (window as unknown as { __kept?: boolean }).__kept === true)
}

describe('the ops portal', () => {
  it('logs in, shows the live indicator, and logs out', async () => {
    const { page, context } = await loggedIn(demo.browser, demo.server.url, 'ops')
    await expect.poll(() => page.url()).toContain('/ops/')
    await page.getByRole('heading', { name: '运行总览' }).waitFor()
    await page.getByTestId('live-indicator').getByText('实时').waitFor()
    await page.getByRole('button', { name: '退出登录' }).click()
    await reached(page, /\/login\?logged-out=1/)
    await page.getByText('已退出登录').waitFor()
    // The token is gone: the portal sends us back to the login page.
    await page.goto('/ops/alarms')
    await reached(page, /\/login\?return=/)
    await context.close()
  })

  it('links the API reference, which renders the OpenAPI document with nothing from outside', async () => {
    const { page, context } = await loggedIn(demo.browser, demo.server.url, 'ops')
    const link = page.getByTestId('api-reference-link')
    await expect.poll(() => link.getAttribute('href')).toBe('/docs/')
    const docs = await context.newPage()
    const problems: string[] = []
    docs.on('console', (message) => {
      if (message.type() === 'error') problems.push(message.text())
    })
    docs.on('request', (request) => {
      if (new URL(request.url()).origin !== new URL(demo.server.url).origin && !request.url().startsWith('blob:') && !request.url().startsWith('data:')) {
        problems.push(`request to ${request.url()}`)
      }
    })
    await docs.goto('/docs/')
    await docs.getByRole('heading', { name: 'yunguan API', exact: false }).first().waitFor({ timeout: 30_000 })
    // An operation of the inventory, with its summary and its documented 401.
    await docs.getByRole('heading', { name: 'Create a device' }).waitFor({ state: 'attached' })
    await screenshot(docs, 'api-reference')
    expect(problems).toEqual([])
    await context.close()
  })

  it('opens a password-reset link on its page and says when the link no longer works', async () => {
    const context = await demo.browser.newContext({ viewport: { width: 1280, height: 800 }, baseURL: demo.server.url })
    const page = await context.newPage()
    await page.goto('/reset-password?token=used-or-unknown')
    await page.getByRole('heading', { name: '设置新密码' }).waitFor()
    await page.getByLabel('新密码', { exact: true }).fill('a-new-long-password')
    await page.getByLabel('再次输入新密码').fill('a-new-long-password')
    await page.getByRole('button', { name: '设置新密码' }).click()
    await page.getByRole('alert').getByText('链接无效、已使用或已过期').waitFor()
    await screenshot(page, 'reset-password-invalid')
    await context.close()
  })

  it('opens a mail link on its page after the login it asks for', async () => {
    const context = await demo.browser.newContext({ baseURL: demo.server.url })
    const page = await context.newPage()
    await page.goto('/#/tickets/1')
    await page.getByLabel('用户名').fill('edu-dev')
    await page.getByLabel('密码').fill(PASSWORD)
    await page.getByRole('button', { name: '登录' }).click()
    await reached(page, /\/portal\/tickets\/1$/)
    await page.goto('/#/alarms/7')
    await reached(page, /\/portal\//)
    await context.close()
  })

  it('keeps a tenant user out of the bureau pages', async () => {
    const { page, context } = await loggedIn(demo.browser, demo.server.url, 'edu-dev')
    await expect.poll(() => new URL(page.url()).pathname).toBe('/portal/tickets')
    await page.goto('/ops/alarms')
    await reached(page, /\/portal\//)
    await expect(page.getByRole('link', { name: '告警中心' }).count()).resolves.toBe(0)
    // The server refuses anyway.
    const tenant = await ApiUser.login(demo.server.url, 'edu-dev')
    expect((await tenant.request('GET', '/alarms')).status).toBe(403)
    expect((await tenant.request('GET', '/datacenters/1/topology')).status).toBe(403)
    await context.close()
  })

  it('silences a router for planned work: its link-down alarm is recorded as in maintenance, not notified', async () => {
    const ops = await ApiUser.login(demo.server.url, 'ops')
    const devices = await ops.get<{ id: number; name: string }[]>('/devices')
    const router = devices.find((device) => device.name === 'router-00020')!
    // Polled once, so that a trap finds its interfaces.
    const up = async () => (await ops.get<{ status: string }>(`/devices/${router.id}/state`)).status
    await expect.poll(up, { timeout: 30_000, interval: 500 }).toBe('up')

    const { page, context } = await loggedIn(demo.browser, demo.server.url, 'ops')
    await page.goto('/ops/maintenance')
    await page.getByTestId('new-window').click()
    const form = page.getByRole('dialog')
    await form.getByPlaceholder('如：核心交换机割接').fill('汇聚路由器板卡更换')
    await form.getByPlaceholder('如：变更单号、作业内容').fill('CHG-2026-120：更换 2 号线卡')
    await form.getByTestId('window-target').click()
    await page.keyboard.type('router-00020')
    await page.getByRole('option', { name: 'router-00020', exact: true }).click()
    await screenshot(page, 'maintenance-new-window')
    await page.getByTestId('save-window').click()
    const row = page.getByTestId('windows-table').getByRole('row', { name: /汇聚路由器板卡更换/ })
    await row.getByText(/维护中，至/).waitFor()
    await screenshot(page, 'maintenance-windows')

    await demo.server.command('link down router-00020 3')
    await page.goto('/ops/alarms')
    const alarm = page.getByTestId('alarm-table').getByRole('row', { name: /router-00020/ })
    await alarm.getByTestId('alarm-suppressed').waitFor({ timeout: 30_000 })
    await screenshot(page, 'maintenance-alarm-suppressed')
    await demo.server.command('link up router-00020 3')
    // The window goes, so that later tests see this router's alarms told as usual.
    const windows = await ops.get<{ id: number; name: string }[]>('/maintenance-windows')
    for (const window of windows.filter((entry) => entry.name === '汇聚路由器板卡更换')) {
      expect((await ops.request('DELETE', `/maintenance-windows/${window.id}`)).status).toBe(204)
    }
    await context.close()
  })

  it('fills a device page opened before the device ever answered when its first poll comes', async () => {
    const ops = await ApiUser.login(demo.server.url, 'ops')
    // The demo's first switch is silent from the start: its page has no interfaces yet.
    const devices = await ops.get<{ id: number; name: string }[]>('/devices')
    const silent = devices.find((device) => device.name === 'switch-00005')!
    const { page, context } = await loggedIn(demo.browser, demo.server.url, 'ops')
    await page.goto(`/ops/devices/${silent.id}`)
    await page.getByRole('tab', { name: '接口 (0)' }).waitFor()
    await markNoReload(page)
    // It answers again, and its coldStart trap has it polled at once.
    await demo.server.command('device up switch-00005')
    await demo.server.command('restart switch-00005')
    await page.getByRole('tab', { name: /^接口 \([1-9]\d*\)$/ }).waitFor({ timeout: 30_000 })
    await page.getByText('GigabitEthernet0/0/1', { exact: true }).waitFor()
    expect(await stillNoReload(page)).toBe(true)
    await screenshot(page, 'device-first-poll')
    await demo.server.command('device down switch-00005')
    await context.close()
  })

  it('shows a Huawei switch’s temperature and its parts, and the serial number the CMDB took from them', async () => {
    const ops = await ApiUser.login(demo.server.url, 'ops')
    const devices = await ops.get<{ id: number; name: string }[]>('/devices')
    const huawei = devices.find((device) => device.name === 'switch-00007')!
    type State = { parts: { class: string; serial_number: string }[] }
    const chassis = async () => (await ops.get<State>(`/devices/${huawei.id}/state`)).parts.find((part) => part.class === 'chassis')?.serial_number ?? ''
    await expect.poll(chassis, { timeout: 30_000, interval: 500 }).not.toBe('')
    const serial = await chassis()
    const { page, context } = await loggedIn(demo.browser, demo.server.url, 'ops')
    await page.goto(`/ops/devices/${huawei.id}`)
    await page.getByTestId('device-temperature').getByText(/°C$/).waitFor()
    await page.getByRole('tab', { name: /^部件 \(4\)$/ }).click()
    const parts = page.getByTestId('device-parts')
    await parts.getByText('S5735-L48T4X', { exact: true }).first().waitFor()
    await parts.getByText(serial, { exact: true }).waitFor()
    await parts.getByText('电源').waitFor()
    await screenshot(page, 'device-parts')
    // Its first uplink is cabled to a router, which LLDP hears.
    await page.getByRole('tab', { name: /^LLDP 邻居 \(\d+\)$/ }).click()
    await page.getByTestId('device-neighbors').getByText(/^router-\d{5}$/).first().waitFor()
    await screenshot(page, 'device-neighbors')
    // The CMDB's record of the device holds what its chassis says.
    await page.getByRole('tab', { name: 'CMDB 记录' }).click()
    await page.getByText(serial, { exact: true }).filter({ visible: true }).waitFor()
    await context.close()
  })

  it('shows a device whose agent refuses a table as up, with what it would not read', async () => {
    const ops = await ApiUser.login(demo.server.url, 'ops')
    // The demo's second switch refuses its hrStorageTable (noAccess).
    const devices = await ops.get<{ id: number; name: string }[]>('/devices')
    const switchId = devices.find((device) => device.name === 'switch-00006')!.id
    type State = { status: string; warnings: { object: string }[] }
    // Polled at least once (the first polls come within an interval).
    const polled = async () => (await ops.get<State>(`/devices/${switchId}/state`)).warnings.length
    await expect.poll(polled, { timeout: 30_000, interval: 500 }).toBeGreaterThan(0)
    const { page, context } = await loggedIn(demo.browser, demo.server.url, 'ops')
    await page.goto(`/ops/devices/${switchId}`)
    const warnings = page.getByTestId('device-warnings')
    await warnings.getByText('hrStorageType: 拒绝访问').waitFor()
    await expect(page.getByText('在线').first().isVisible()).resolves.toBe(true)
    await screenshot(page, 'device-refused-table')
    await context.close()
  })

  it('shows a link taken down in the simulator in the alarm list and red on the topology, without a reload', async () => {
    const ops = await ApiUser.login(demo.server.url, 'ops')
    type Topology = { nodes: { device_id: number; name: string }[]; links: { link_id: number; a_device_id: number; a_if_index: number; b_device_id: number; status: string }[] }
    // A router's link both of whose ends have been polled up (the first polls come within an interval).
    const routerLink = async () => {
      const topology = await ops.get<Topology>('/datacenters/1/topology')
      const names = new Map(topology.nodes.map((node) => [node.device_id, node.name]))
      const found = topology.links.find((candidate) => candidate.status === 'up' && names.get(candidate.a_device_id)?.startsWith('router'))
      return found ? { link: found, device: names.get(found.a_device_id)! } : null
    }
    await expect.poll(routerLink, { timeout: 30_000, interval: 500 }).not.toBeNull()
    const { link, device } = (await routerLink())!

    const { page: alarms, context } = await loggedIn(demo.browser, demo.server.url, 'ops')
    await alarms.goto('/ops/alarms')
    await alarms.getByTestId('alarm-table').waitFor()
    // A second tab logs in on its own (the login lives in each tab's sessionStorage).
    const second = await loggedIn(demo.browser, demo.server.url, 'ops')
    const map = second.page
    await map.goto('/ops/topology/1')
    await map.getByTestId('topology-graph').waitFor()
    await map.getByTestId('links-down').getByText(/中断链路 \d+/).waitFor()
    const downBefore = Number((await map.getByTestId('links-down').innerText()).match(/\d+/)![0])
    await markNoReload(alarms)
    await markNoReload(map)

    await demo.server.command(`link down ${device} ${link.a_if_index}`)

    const row = alarms.getByRole('row').filter({ hasText: device }).filter({ hasText: 'interface down' })
    await row.first().waitFor({ timeout: 30_000 })
    await map.getByTestId('links-down').getByText(`中断链路 ${downBefore + 1}`).waitFor({ timeout: 30_000 })
    await map.getByRole('list', { name: '中断链路' }).getByText(device).waitFor()
    expect(await stillNoReload(alarms)).toBe(true)
    expect(await stillNoReload(map)).toBe(true)
    await screenshot(map, 'topology-link-down')

    await demo.server.command(`link up ${device} ${link.a_if_index}`)
    await map.getByTestId('links-down').getByText(`中断链路 ${downBefore}`).waitFor({ timeout: 30_000 })
    await context.close()
    await second.context.close()
  })

  it('moves an acknowledged alarm in every other open browser', async () => {
    const admin = await loggedIn(demo.browser, demo.server.url, 'admin')
    const ops = await loggedIn(demo.browser, demo.server.url, 'ops')
    for (const person of [admin, ops]) {
      await person.page.goto('/ops/alarms?state=raised')
      await person.page.getByTestId('alarm-table').getByRole('row').nth(1).waitFor()
    }
    const firstRow = ops.page.getByTestId('alarm-table').getByRole('row').nth(1)
    const device = (await firstRow.getByRole('link').first().innerText()).trim()
    const rule = (await firstRow.getByRole('cell').nth(1).innerText()).trim()
    const seenByAdmin = admin.page.getByTestId('alarm-table').getByRole('row').filter({ hasText: device }).filter({ hasText: rule })
    await seenByAdmin.first().waitFor()
    const before = await seenByAdmin.count()
    await markNoReload(admin.page)

    await firstRow.getByRole('button', { name: '确认' }).click()
    await ops.page.getByText(/告警 #\d+ 已确认/).waitFor()

    await expect.poll(() => seenByAdmin.count(), { timeout: 10_000 }).toBe(before - 1)
    expect(await stillNoReload(admin.page)).toBe(true)
    await admin.context.close()
    await ops.context.close()
  })

  it('shows the server’s field errors on their fields when a CMDB record is created', async () => {
    const { page, context } = await loggedIn(demo.browser, demo.server.url, 'ops')
    await page.goto('/ops/cmdb/devices/new')
    const drawer = page.getByRole('dialog')
    // As a keyboard user would: focus the combobox, open it with Enter, pick the option.
    const choose = async (label: string, option: string) => {
      await drawer.getByRole('combobox', { name: label }).focus()
      await page.keyboard.press('Enter')
      await page.getByRole('option', { name: option, exact: true }).click()
    }
    await choose('数据中心', '政务云数据中心 1')
    await drawer.getByRole('textbox', { name: '名称' }).fill('core-x')
    await choose('类型', '路由器')
    await choose('网络层级', '核心层')
    await drawer.getByRole('textbox', { name: '管理地址' }).fill('not-an-address')
    await drawer.getByRole('button', { name: '新建' }).click()
    // The server's message, under the field it names.
    const field = drawer.locator('.el-form-item').filter({ hasText: '管理地址' })
    await field.getByText('must be an IP address, optionally with :port').waitFor()
    await screenshot(page, 'cmdb-field-errors')
    await drawer.getByRole('textbox', { name: '管理地址' }).fill('10.9.9.9')
    await drawer.getByRole('button', { name: '新建' }).click()
    await page.getByText('已创建 core-x').waitFor()
    await drawer.getByRole('button', { name: '编辑' }).waitFor()
    await context.close()
  })

  it('shows a data center another person enters, changes and deletes in the open CMDB list, without a reload', async () => {
    const admin = await ApiUser.login(demo.server.url, 'admin')
    const { page, context } = await loggedIn(demo.browser, demo.server.url, 'ops')
    await page.goto('/ops/cmdb/data-centers')
    const table = page.getByTestId('cmdb-table')
    await table.getByText('政务云数据中心 1').waitFor()
    await markNoReload(page)

    const created = await admin.post<{ id: number }>('/data-centers', { code: 'dc-e2e-live', name: '临时数据中心', region: 'east', address: '' })
    await table.getByText('临时数据中心').waitFor({ timeout: 10_000 })
    await screenshot(page, 'cmdb-live-created')
    const renamed = await admin.request('PATCH', `/data-centers/${created.id}`, { name: '临时数据中心（改名）' })
    expect(renamed.status).toBe(200)
    await table.getByText('临时数据中心（改名）').waitFor({ timeout: 10_000 })
    const deleted = await admin.request('DELETE', `/data-centers/${created.id}`)
    expect(deleted.status).toBe(204)
    await expect.poll(() => table.getByText('临时数据中心').count(), { timeout: 10_000 }).toBe(0)
    expect(await stillNoReload(page)).toBe(true)
    await context.close()
  })

  it('lets a bureau admin disable an account, which signs it out at once, and enable it again', async () => {
    const member = await ApiUser.login(demo.server.url, 'transport-dev')
    const { page, context } = await loggedIn(demo.browser, demo.server.url, 'admin')
    await page.goto('/ops/users')
    const actions = page.getByTestId('user-actions-transport-dev')
    await actions.getByRole('button', { name: '停用' }).click()
    const confirm = page.locator('.el-message-box')
    await confirm.getByText('其所有登录将立即退出').waitFor()
    await confirm.getByRole('button', { name: '停用' }).click()
    await page.getByText('已停用 交通局开发运维').waitFor()
    await page.getByRole('row').filter({ has: actions }).getByText('已停用').waitFor()
    expect((await member.request('GET', '/auth/me')).status).toBe(401)
    await screenshot(page, 'users-disabled')
    await actions.getByRole('button', { name: '启用' }).click()
    await page.getByText('已启用 交通局开发运维').waitFor()
    expect((await ApiUser.login(demo.server.url, 'transport-dev')).user.username).toBe('transport-dev')
    await context.close()
  })

  it('lets a bureau admin give a wall its key once, and revoke it', async () => {
    const { page, context } = await loggedIn(demo.browser, demo.server.url, 'admin')
    await page.goto('/ops/display-keys')
    await page.getByRole('heading', { name: '大屏显示密钥', exact: true }).first().waitFor()
    await page.getByRole('textbox', { name: '大屏名称' }).fill('测试大屏')
    await page.getByRole('button', { name: '新建密钥' }).click()
    const dialog = page.getByRole('dialog', { name: '显示密钥“测试大屏”已创建' })
    await dialog.getByText('密钥只显示这一次', { exact: false }).waitFor()
    const address = await dialog.getByTestId('wall-address').inputValue()
    expect(address).toMatch(/\/screen\/\?key=[\w%-]+$/)
    await screenshot(page, 'display-key-created')
    await dialog.getByRole('button', { name: '我已复制，关闭' }).click()
    // The address logs a wall in.
    const key = decodeURIComponent(new URL(address).searchParams.get('key')!)
    const login = (await fetch(`${demo.server.url}/api/v1/display-keys/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ key }) })).status
    expect(login).toBe(200)
    // A second key of the same name is refused on its field.
    await page.getByRole('textbox', { name: '大屏名称' }).fill('测试大屏')
    await page.getByRole('button', { name: '新建密钥' }).click()
    await page.getByText('已有同名的显示密钥').waitFor()
    const row = page.getByTestId('display-keys-table').getByRole('row').filter({ hasText: '测试大屏' })
    await row.getByRole('button', { name: '撤销' }).click()
    await page.getByRole('dialog').getByRole('button', { name: '撤销' }).click()
    await row.getByText(/已于 .* 撤销/).waitFor()
    await expect.poll(async () => (await row.getByRole('button', { name: '撤销' }).count())).toBe(0)
    const after = (await fetch(`${demo.server.url}/api/v1/display-keys/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ key }) })).status
    expect(after).toBe(401)
    await screenshot(page, 'display-key-revoked')
    await context.close()
  })

  it('lets a bureau admin add a signed webhook channel and try it, the receiver checking the signature', async () => {
    // A receiver of our own: it checks each post's HMAC with Node's crypto, apart from ours.
    const posts: { event: string | undefined; verified: boolean; body: { event: string } }[] = []
    const receiver = createServer((request, response) => {
      let raw = ''
      request.on('data', (chunk) => (raw += chunk))
      request.on('end', () => {
        const stamp = String(request.headers['x-yunguan-timestamp'] ?? '')
        const expected = `sha256=${createHmac('sha256', 'e2e-webhook-secret').update(`${stamp}.${raw}`).digest('hex')}`
        posts.push({ event: request.headers['x-yunguan-event'] as string | undefined, verified: request.headers['x-yunguan-signature'] === expected, body: JSON.parse(raw) })
        response.writeHead(200).end('{}')
      })
    })
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve))
    const port = (receiver.address() as AddressInfo).port
    const { page, context } = await loggedIn(demo.browser, demo.server.url, 'admin')
    await page.goto('/ops/notification-channels')
    await page.getByRole('heading', { name: '通知渠道', exact: true }).first().waitFor()
    await page.getByTestId('new-channel').click()
    const form = page.getByTestId('channel-form')
    await form.getByLabel('名称').fill('值班 Webhook')
    await form.getByText('Webhook', { exact: true }).click()
    // Every problem on its field: no address yet.
    await page.getByTestId('save-channel').click()
    await form.getByText('请输入地址').waitFor()
    await form.getByLabel('地址').fill(`http://127.0.0.1:${port}/hook?token=not-shown`)
    await form.getByLabel('签名密钥').fill('e2e-webhook-secret')
    // Routed: alarms of one data center only.
    await form.getByTestId('channel-data-centers').click()
    await page.getByRole('option', { name: '政务云数据中心 1', exact: true }).click()
    await page.keyboard.press('Escape')
    await page.getByRole('option', { name: '政务云数据中心 2', exact: true }).waitFor({ state: 'hidden' })
    await screenshot(page, 'channel-form')
    await page.getByTestId('save-channel').click()
    const actions = page.getByTestId('channel-actions-值班 Webhook')
    await actions.waitFor()
    const row = page.getByTestId('channels-table').getByRole('row').filter({ has: actions })
    await row.getByText(`http://127.0.0.1:${port}/hook`).waitFor()
    expect(await row.textContent()).not.toContain('not-shown')
    await row.getByText('已加签').waitFor()
    await row.getByText(/政务云数据中心 1/).waitFor()
    await actions.getByRole('button', { name: '发送测试' }).click()
    await expect.poll(() => posts.length, { timeout: 15_000 }).toBeGreaterThan(0)
    expect(posts[0]).toMatchObject({ event: 'test', verified: true, body: { event: 'test' } })
    const drawer = page.getByRole('dialog', { name: '「值班 Webhook」的推送记录' })
    await drawer.getByRole('button', { name: '刷新' }).click()
    await drawer.getByText(/已送达/).waitFor()
    await screenshot(page, 'channel-deliveries')
    await context.close()
    receiver.close()
  })

  it('shows the links LLDP discovered on the topology and adds one to the CMDB', async () => {
    const ops = await ApiUser.login(demo.server.url, 'ops')
    type Proposal = { id: number; kind: string; data_center_id: number; link_id: number | null; a: { device_name: string }; b: { device_name: string } }
    // The demo cables its first two switches' second uplinks to each other; the CMDB lacks it.
    const between = (proposal: Proposal) => [proposal.a.device_name, proposal.b.device_name].sort().join(' ')
    const found = async () => (await ops.get<Proposal[]>('/link-proposals?limit=200')).find((p) => p.kind === 'new' && between(p) === 'switch-00005 switch-00006')
    await expect.poll(found, { timeout: 60_000, interval: 1000 }).toBeTruthy()
    const proposal = (await found())!
    const { page, context } = await loggedIn(demo.browser, demo.server.url, 'ops')
    await page.goto(`/ops/topology/${proposal.data_center_id}`)
    await page.getByTestId('lldp-proposals-button').click()
    const table = page.getByTestId('lldp-proposals')
    await table.getByText(/switch-00005 · XGigabitEthernet0\/0\/2/).waitFor()
    await table.getByText('新链路').first().waitFor()
    await screenshot(page, 'lldp-proposals')
    await page.getByTestId(`lldp-actions-${proposal.id}`).getByRole('button', { name: '添加' }).click()
    await page.getByText('已按 LLDP 更新配置库').waitFor()
    const accepted = (await ops.get<Proposal[]>('/link-proposals?state=accepted&limit=200')).find((p) => p.id === proposal.id)!
    expect(accepted.link_id).not.toBeNull()
    expect((await ops.request('GET', `/links/${accepted.link_id}`)).status).toBe(200)
    await context.close()
  })

  it('lets an operator choose the alarms mailed to them: critical ones of one data center', async () => {
    const { page, context } = await loggedIn(demo.browser, demo.server.url, 'ops')
    await page.goto('/ops/alarm-mail')
    await page.getByRole('heading', { name: '告警邮件', exact: true }).first().waitFor()
    // Their own row only, with their role's default.
    const table = page.getByTestId('alarm-mail-table')
    await page.getByTestId('alarm-mail-raised-ops').getByText('重要及以上').waitFor()
    await expect.poll(() => table.locator('tbody tr').count()).toBe(1)
    await page.getByTestId('alarm-mail-actions-ops').getByRole('button', { name: '设置' }).click()
    const form = page.getByTestId('alarm-mail-form')
    await form.getByTestId('alarm-mail-severity').click()
    await page.getByRole('option', { name: '紧急及以上', exact: true }).click()
    await form.getByTestId('alarm-mail-data-centers').click()
    await page.getByRole('option', { name: '政务云数据中心 1', exact: true }).click()
    await page.keyboard.press('Escape')
    await page.getByRole('option', { name: '政务云数据中心 2', exact: true }).waitFor({ state: 'hidden' })
    await screenshot(page, 'alarm-mail-form')
    await page.getByTestId('save-alarm-mail').click()
    await page.getByTestId('alarm-mail-raised-ops').getByText('紧急及以上').waitFor()
    await page.getByTestId('alarm-mail-scope-ops').getByText('政务云数据中心 1').waitFor()
    await page.getByTestId('alarm-mail-form').waitFor({ state: 'hidden' })
    await screenshot(page, 'alarm-mail-own')
    // The server holds it; put back as it was for the tests after.
    const ops = await ApiUser.login(demo.server.url, 'ops')
    const [own] = await ops.get<{ user_id: number; chosen: boolean; raised_min_severity: string; data_center_ids: number[] }[]>('/alarm-mail-routes')
    expect(own).toMatchObject({ chosen: true, raised_min_severity: 'critical', data_center_ids: [1] })
    await page.getByTestId('alarm-mail-actions-ops').getByRole('button', { name: '恢复默认' }).click()
    await page.getByTestId('alarm-mail-raised-ops').getByText('重要及以上').waitFor()
    await context.close()
  })

  it('checks an import without writing it, naming the rejected rows, then imports it', async () => {
    const { page, context } = await loggedIn(demo.browser, demo.server.url, 'ops')
    await page.goto('/ops/cmdb-import')
    const document = (address: string) =>
      JSON.stringify({
        machine_rooms: [{ data_center_code: 'dc-1', name: 'C 栋 2 层', floor: 2 }],
        devices: [{ data_center_code: 'dc-1', name: 'edge-router-9', kind: 'router', tier: 'core', management_address: address }],
      })
    await page.getByRole('textbox', { name: '内容' }).fill(document('300.1.1.1'))
    await page.getByText('设备：1 行').waitFor()
    await page.getByRole('button', { name: '校验（不写入）' }).click()
    await page.getByText('校验未通过，请修正后再导入').waitFor()
    await page.getByTestId('rejected-rows').getByText('must be an IP address', { exact: false }).waitFor()
    await page.getByRole('textbox', { name: '内容' }).fill(document('10.8.8.8'))
    await page.getByRole('button', { name: '校验（不写入）' }).click()
    await page.getByText('校验通过：导入将会').waitFor()
    const ops = await ApiUser.login(demo.server.url, 'ops')
    expect((await ops.get<{ name: string }[]>('/machine-rooms?limit=200')).some((room) => room.name === 'C 栋 2 层')).toBe(false)
    await page.getByRole('button', { name: '导入', exact: true }).click()
    await page.getByText('导入完成').waitFor()
    expect((await ops.get<{ name: string }[]>('/machine-rooms?limit=200')).some((room) => room.name === 'C 栋 2 层')).toBe(true)
    await screenshot(page, 'cmdb-import-done')
    await context.close()
  })

  it('shows an approval on the requester’s open ticket page the moment it is made', async () => {
    const requester = await ApiUser.login(demo.server.url, 'edu-dev')
    const approver = await ApiUser.login(demo.server.url, 'edu-admin')
    const catalog = await requester.get<{ id: number; code: string }[]>('/catalog')
    const item = catalog.find((entry) => entry.code === 'vm.request')!
    const ticket = await requester.post<{ id: number }>('/tickets', {
      item_id: item.id,
      title: '学籍系统扩容',
      form: { business_system: '学籍系统', flavour: 's1.large', disk_gb: 100, image: 'kylin-v10', network: 'gov-intranet', count: 1, lease_end: '2027-06-30' },
    })
    const { page, context } = await loggedIn(demo.browser, demo.server.url, 'edu-dev')
    await page.goto(`/portal/tickets/${ticket.id}`)
    await page.getByTestId('ticket-state').getByText('审批中').waitFor()
    await markNoReload(page)

    await approver.post(`/tickets/${ticket.id}/approve`, { comment: '同意扩容' })

    await page.getByTestId('ticket-timeline').getByText('环节通过').waitFor({ timeout: 10_000 })
    await page.getByText('“同意扩容”').first().waitFor()
    expect(await stillNoReload(page)).toBe(true)
    await screenshot(page, 'portal-ticket-approved')
    await context.close()
  })
})

describe('every ops page', () => {
  // A ticket for the ticket page, whatever ran before.
  beforeAll(async () => {
    const requester = await ApiUser.login(demo.server.url, 'health-dev')
    const item = (await requester.get<{ id: number; code: string }[]>('/catalog')).find((entry) => entry.code === 'support.incident')!
    const ticket = await requester.post<{ id: number }>('/tickets', { item_id: item.id, title: '门户打不开', form: { business_system: '医保系统', severity: 'major', description: '登录页报错 502' } })
    pages.push(['ticket', `/ops/tickets/${ticket.id}`, '工单详情'])
  })
  const pages: [string, string, string][] = [
    ['overview', '/ops/', '运行总览'],
    ['alarms', '/ops/alarms', '告警中心'],
    ['maintenance', '/ops/maintenance', '维护窗口'],
    ['topology', '/ops/topology/1', '网络拓扑'],
    ['device', '/ops/devices/1', '设备详情'],
    ['cmdb', '/ops/cmdb/devices', '配置管理'],
    ['cmdb-record', '/ops/cmdb/data-centers/1', '配置管理'],
    ['cmdb-pools', '/ops/cmdb/resource-pools', '配置管理'],
    ['cmdb-pool', '/ops/cmdb/resource-pools/1', '配置管理'],
    ['import', '/ops/cmdb-import', '批量导入'],
    ['approvals', '/ops/approvals', '待我审批'],
    ['tickets', '/ops/tickets', '工单管理'],
    ['tasks', '/ops/tasks', '人工任务'],
    ['catalog', '/ops/catalog', '服务目录'],
    ['tenants', '/ops/tenants', '租户与配额'],
    ['users', '/ops/users', '用户'],
    ['display-keys', '/ops/display-keys', '大屏显示密钥'],
    ['notification-channels', '/ops/notification-channels', '通知渠道'],
    ['alarm-mail', '/ops/alarm-mail', '告警邮件'],
    ['announcements', '/ops/announcements', '公告'],
    ['audit', '/ops/audit', '审计校验'],
  ]

  it('has no serious or critical accessibility violations', async () => {
    const { page, context } = await loggedIn(demo.browser, demo.server.url, 'admin')
    const found: [string, string[]][] = []
    for (const [, path, heading] of pages) {
      await page.goto(path)
      await page.getByRole('heading', { name: heading, exact: true }).first().waitFor()
      await page.waitForLoadState('networkidle')
      const violations = await accessibilityViolations(page)
      if (violations.length) found.push([path, violations])
    }
    expect(found).toEqual([])
    await context.close()
  })

  const looks = [
    { width: 1920, height: 1080, theme: 'light', locale: 'zh-CN' },
    { width: 1920, height: 1080, theme: 'dark', locale: 'zh-CN' },
    { width: 1920, height: 1080, theme: 'light', locale: 'en' },
    { width: 1920, height: 1080, theme: 'dark', locale: 'en' },
    { width: 1366, height: 768, theme: 'light', locale: 'zh-CN' },
    { width: 1366, height: 768, theme: 'dark', locale: 'zh-CN' },
  ] as const
  it.each(looks)('is screenshotted at $width×$height, $theme, $locale', async ({ width, height, theme, locale }) => {
    const { page, context } = await loggedIn(demo.browser, demo.server.url, 'admin', { viewport: { width, height }, theme, locale })
    for (const [name, path] of pages) {
      await page.goto(path)
      await page.waitForLoadState('networkidle')
      await screenshot(page, `${name}-${width}x${height}-${theme}-${locale}`)
    }
    await context.close()
  }, 300_000)
})
