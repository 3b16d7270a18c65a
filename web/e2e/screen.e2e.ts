// The command-center wall in a real browser (WebGL on SwiftShader): a display key opens it
// and leaves the address; every view shows live data and is screenshotted at 1920×1080, in
// Chinese and English; the stage letterboxes at 1366×768, 3840×2160 and 150 % display
// scaling, with the 3D canvas at the screen's own pixels; a link taken down in the simulator
// changes the network view and the device's colour in the 3D room without a reload; the
// wall recovers after the server restarts under it; a revoked key closes it.
import { describe, expect, it } from 'vitest'
import type { Browser, Page, WebSocket } from 'playwright-core'
import { withDemo } from './support/server'
import { screenshot } from './support/browser'
import { ApiUser } from './support/api'

const demo = withDemo({ webgl: true })

const COLOURS = { up: 0x1f9a70, major: 0xff8c1a, critical: 0xff3b3b }

interface Site {
  id: number
  rooms: { id: number; name: string; racks: number; devices: number }[]
}

async function newKey(name: string): Promise<{ id: number; key: string }> {
  const admin = await ApiUser.login(demo.server.url, 'admin')
  return admin.post<{ id: number; key: string }>('/display-keys', { name })
}

/** The sockets each wall opened, in order. */
const socketsOf = new WeakMap<Page, WebSocket[]>()

async function wall(browser: Browser, key: string, search: string, options: { width?: number; height?: number; scale?: number; locale?: 'zh-CN' | 'en' } = {}): Promise<Page> {
  const context = await browser.newContext({
    viewport: { width: options.width ?? 1920, height: options.height ?? 1080 },
    deviceScaleFactor: options.scale ?? 1,
    baseURL: demo.server.url,
  })
  await context.addInitScript((locale) => localStorage.setItem('yunguan.locale', locale), options.locale ?? 'zh-CN')
  const page = await context.newPage()
  const sockets: WebSocket[] = []
  socketsOf.set(page, sockets)
  page.on('websocket', (socket) => sockets.push(socket))
  await page.goto(`/screen/?key=${encodeURIComponent(key)}&paused=1&${search}`)
  await page.getByRole('status').filter({ hasText: options.locale === 'en' ? 'Live' : '实时' }).waitFor({ timeout: 30_000 })
  return page
}

/** The stage's box in the window. */
async function stageBox(page: Page) {
  const box = await page.getByTestId('stage').boundingBox()
  if (!box) throw new Error('no stage')
  return box
}

async function frames(page: Page): Promise<number> {
  return page.evaluate(() => (globalThis as unknown as { __yunguanWall: { frames(): number } }).__yunguanWall.frames())
}

describe('the command-center wall', () => {
  it('opens with a display key, forgets it in the address and shows every view live', async () => {
    const { key } = await newKey('主屏')
    const page = await wall(demo.browser, key, 'views=overview,dc,cloud,network,business,room')
    expect(new URL(page.url()).searchParams.has('key')).toBe(false)
    await page.getByTestId('stage').getByText('300').first().waitFor()
    await page.getByTestId('latest-alarms').locator('[data-alarm-id]').first().waitFor({ timeout: 30_000 })
    // Every device polled once (the demo polls every 10 s), and the newest row slid in.
    const admin = await ApiUser.login(demo.server.url, 'admin')
    await expect
      .poll(async () => {
        const overview = await admin.get<{ devices: number; devices_up: number; devices_down: number }>('/overview')
        return overview.devices_up + overview.devices_down === overview.devices
      }, { timeout: 30_000 })
      .toBe(true)
    await page.waitForTimeout(2000)
    await screenshot(page, 'screen-overview')

    await page.getByRole('button', { name: '数据中心' }).click()
    await page.getByTestId('dc-name').getByText('政务云数据中心 1').waitFor()
    await page.getByTestId('dc-devices').getByText('100').waitFor()
    await page.getByRole('region', { name: '资源池与云平台' }).getByText('政务云计算资源池').waitFor()
    await page.waitForTimeout(1000)
    await screenshot(page, 'screen-dc')

    await page.getByRole('button', { name: '云资源' }).click()
    await page.getByTestId('cloud-vms').getByText('60').waitFor({ timeout: 60_000 })
    await screenshot(page, 'screen-cloud')

    await page.getByRole('button', { name: '网络资源' }).click()
    await page.getByTestId('links-down').waitFor()
    await expect.poll(async () => (await page.getByRole('region', { name: '带宽利用率 TOP 10' }).locator('canvas').count()) > 0, { timeout: 20_000 }).toBe(true)
    await screenshot(page, 'screen-network')

    await page.getByRole('button', { name: '业务' }).click()
    await page.getByTestId('tenant-edu').getByText('教育局').waitFor()
    await screenshot(page, 'screen-business')

    await page.getByRole('button', { name: '机房 3D' }).click()
    await page.getByTestId('room-title').getByText('政务云数据中心 1 · A 机房').waitFor()
    const before = await frames(page)
    await expect.poll(() => frames(page), { timeout: 20_000 }).toBeGreaterThan(before + 5)
    await page.waitForTimeout(1000)
    await screenshot(page, 'screen-room')

    // A click on the rack nearest the camera (where it shows now) opens its devices.
    const site = (await admin.get<Site[]>('/screen/sites'))[0]!
    const scene = await admin.get<{ racks: { id: number; name: string }[]; devices: { rack_id: number; name: string }[] }>(`/screen/rooms/${site.rooms[0]!.id}`)
    const points = await page.evaluate(
      (ids) => ids.map((id) => (globalThis as unknown as { __yunguanWall: { rackOnScreen(id: number): { x: number; y: number; depth: number } } }).__yunguanWall.rackOnScreen(id)),
      scene.racks.map((candidate) => candidate.id),
    )
    const nearest = points.indexOf(points.reduce((best, point) => (point.depth < best.depth ? point : best)))
    const rack = scene.racks[nearest]!
    await page.mouse.click(points[nearest]!.x, points[nearest]!.y)
    const panel = page.getByTestId('rack-panel')
    await panel.getByRole('heading', { name: `机柜 ${rack.name}` }).waitFor()
    const inRack = scene.devices.filter((device) => device.rack_id === rack.id)
    await panel.getByText(inRack[0]?.name ?? '空机柜').waitFor()
    await screenshot(page, 'screen-room-rack')
    await panel.getByRole('button', { name: '关闭' }).click()

    // The rotation moves on by itself when not paused: the next view comes after its dwell.
    await page.getByRole('button', { name: '继续轮播' }).click()
    await page.getByRole('button', { name: '暂停轮播' }).waitFor()
    await page.close()
  })

  it('is complete in English', async () => {
    const { key } = await newKey('English wall')
    const page = await wall(demo.browser, key, 'views=overview,room', { locale: 'en' })
    await page.getByRole('heading', { name: 'yunguan · Big Data Bureau Command Center' }).waitFor()
    await page.getByText('Latest alarms').waitFor()
    // Charts and rows finish drawing in before the picture.
    await page.waitForTimeout(2000)
    await screenshot(page, 'screen-overview-en')
    await page.getByRole('button', { name: 'Room 3D' }).click()
    await page.getByTestId('room-title').getByText('room A').waitFor()
    await screenshot(page, 'screen-room-en')
    await page.close()
  })

  it('letterboxes at 1366×768 and 3840×2160 and draws the 3D room at the screen’s pixels at 150 %', async () => {
    const { key } = await newKey('各种屏幕')
    const cases = [
      { width: 1366, height: 768, scale: 1, name: 'screen-1366x768' },
      { width: 3840, height: 2160, scale: 1, name: 'screen-3840x2160' },
      // A 1920×1080 monitor at 150 % display scaling: a 1280×720 window of 1.5-pixel points.
      { width: 1280, height: 720, scale: 1.5, name: 'screen-150pct' },
      // A window narrower than 16:9: bars above and below.
      { width: 1200, height: 900, scale: 1, name: 'screen-4x3' },
    ]
    for (const { width, height, scale, name } of cases) {
      // At the screen's pixels whatever the frame rate (no dynamic resolution).
      const page = await wall(demo.browser, key, 'views=room,overview&resolution=native', { width, height, scale })
      const factor = Math.min(width / 1920, height / 1080)
      const box = await stageBox(page)
      // Within a pixel: the offsets are whole pixels.
      const near = (actual: number, expected: number) => expect(Math.abs(actual - expected)).toBeLessThanOrEqual(1)
      near(box.width, 1920 * factor)
      near(box.height, 1080 * factor)
      near(box.x, (width - 1920 * factor) / 2)
      near(box.y, (height - 1080 * factor) / 2)
      // No scrollbars, whatever the size.
      const scroll = await page.evaluate(() => [document.documentElement.scrollWidth, document.documentElement.scrollHeight])
      expect(scroll).toEqual([width, height])
      // The WebGL canvas covers the 3D frame and has a device pixel for each screen pixel.
      await page.getByTestId('room-title').waitFor()
      const frame = await page.getByTestId('room-3d').boundingBox()
      await expect.poll(() => page.evaluate(() => (globalThis as unknown as { __yunguanWall: { canvas(): { width: number } | null } }).__yunguanWall.canvas()?.width ?? 0)).toBeGreaterThan(0)
      const canvas = await page.evaluate(() => (globalThis as unknown as { __yunguanWall: { canvas(): { width: number; height: number } } }).__yunguanWall.canvas())
      expect(canvas.width).toBe(Math.floor(Math.round(frame!.width) * scale))
      const glBox = await page.locator('body > .gl canvas, body > div > canvas').first().boundingBox()
      near(glBox!.x, frame!.x)
      near(glBox!.width, frame!.width)
      await page.waitForTimeout(500)
      await screenshot(page, name)
      await page.getByRole('button', { name: '总览' }).click()
      await page.getByTestId('kpi-alarms').waitFor()
      await page.waitForTimeout(2000)
      await screenshot(page, `${name}-overview`)
      await page.close()
    }
  })

  it('changes the network view and the device in the 3D room when a link goes down, without a reload', async () => {
    const admin = await ApiUser.login(demo.server.url, 'admin')
    const sites = await admin.get<Site[]>('/screen/sites')
    const room = sites[0]!.rooms[0]!
    const scene = await admin.get<{ devices: { id: number; name: string }[] }>(`/screen/rooms/${room.id}`)
    const inRoom = new Map(scene.devices.map((device) => [device.id, device.name]))
    const topology = await admin.get<{ links: { link_id: number; a_device_id: number; a_if_index: number; b_device_id: number; status: string }[] }>(`/datacenters/${sites[0]!.id}/topology`)
    const link = topology.links.find((candidate) => candidate.status === 'up' && inRoom.has(candidate.a_device_id))!
    const device = link.a_device_id

    const { key } = await newKey('链路测试')
    const page = await wall(demo.browser, key, `views=network,room:${room.id}`)
    let navigations = 0
    page.on('framenavigated', (frame) => frame === page.mainFrame() && (navigations += 1))
    const downCount = async () => Number((await page.getByTestId('links-down').locator('.value').innerText()).replace(/\D/g, ''))
    await expect.poll(downCount).toBeGreaterThanOrEqual(0)
    const downBefore = await downCount()

    await demo.server.command(`link down ${inRoom.get(device)} ${link.a_if_index}`)
    await page.getByTestId('down-list').locator(`[data-link-id="${link.link_id}"]`).waitFor({ timeout: 30_000 })
    // At least this link more: others the demo broke from the start may still be settling.
    await expect.poll(downCount).toBeGreaterThanOrEqual(downBefore + 1)
    await screenshot(page, 'screen-network-link-down')

    await page.getByRole('button', { name: '机房 3D' }).click()
    await page.getByTestId('room-title').waitFor()
    const colour = () => page.evaluate((id) => (globalThis as unknown as { __yunguanWall: { colour(id: number): number | null } }).__yunguanWall.colour(id), device)
    await expect.poll(colour, { timeout: 30_000 }).toBe(COLOURS.major)
    await screenshot(page, 'screen-room-link-down')

    await demo.server.command(`link up ${inRoom.get(device)} ${link.a_if_index}`)
    await expect.poll(colour, { timeout: 30_000 }).toBe(COLOURS.up)
    expect(navigations).toBe(0)
    await page.close()
  })

  it('recovers by itself after the server restarts under it', async () => {
    const { key } = await newKey('重启测试')
    const page = await wall(demo.browser, key, 'views=overview')
    await page.getByTestId('kpi-alarms').waitFor()
    await demo.server.stop()
    await page.getByRole('status').filter({ hasText: '重连中' }).waitFor({ timeout: 20_000 })
    await page.getByTestId('stale').waitFor({ timeout: 20_000 })
    await screenshot(page, 'screen-stale')
    await demo.server.start()
    await page.getByRole('status').filter({ hasText: '实时' }).waitFor({ timeout: 60_000 })
    await page.getByTestId('stale').waitFor({ state: 'detached' })
    await page.getByTestId('stage').getByText('300').first().waitFor()
    await page.close()
  })

  it('closes when its key is revoked, and the key writes nothing meanwhile', async () => {
    const { id, key } = await newKey('吊销测试')
    const page = await wall(demo.browser, key, 'views=overview')
    // What the wall's session may do: read, not write.
    const refused = await page.evaluate(async () => {
      const { token } = JSON.parse(sessionStorage.getItem('yunguan.session')!) as { token: string }
      const response = await fetch('/api/v1/announcements', {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ title: 'x', body: 'y' }),
      })
      return response.status
    })
    expect(refused).toBe(403)
    const socket = socketsOf.get(page)!.at(-1)!
    expect(socket.isClosed()).toBe(false)
    const closed = new Promise<void>((resolve) => socket.on('close', () => resolve()))
    const admin = await ApiUser.login(demo.server.url, 'admin')
    await admin.post(`/display-keys/${id}/revoke`)
    await closed
    await page.getByRole('heading', { name: '显示密钥已被吊销' }).waitFor({ timeout: 20_000 })
    await screenshot(page, 'screen-revoked')
    await page.close()
  })
})
