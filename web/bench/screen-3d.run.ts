// Frames per second of the wall's 3D machine room with ROOM_RACKS racks (default 200, on a
// 10-row grid) holding ROOM_DEVICES devices (default 4,000, 2U each), while CHANGES_PER_SECOND
// devices (default 50) change state: each change is a `device.state` frame (reachable or
// unreachable) handed to the page's WebSocket as the server would send it, so it takes the
// real way through the live client, the view and the renderer. Headless Chromium draws WebGL
// on SwiftShader, a CPU renderer (the real wall has a GPU). The room is imported through the
// API into the demo as its own data center. Frames are counted with requestAnimationFrame
// over three WINDOW_SECONDS windows (default 10) after a warm-up; the median is reported,
// beside the same count with no changes, once as the wall runs (dynamic resolution: fewer
// pixels while frames are slow) and once held at the screen's pixels (`resolution=native`);
// a screenshot of each ends up in bench/output/.
import { it } from 'vitest'
import type { Page, WebSocketRoute } from 'playwright-core'
import { withDemo } from '../e2e/support/server'
import { ApiUser } from '../e2e/support/api'
import { percentile, report } from './report'

const RACKS = Number(process.env.ROOM_RACKS ?? 200)
const DEVICES = Number(process.env.ROOM_DEVICES ?? 4000)
const CHANGES_PER_SECOND = Number(process.env.CHANGES_PER_SECOND ?? 50)
const WINDOW_SECONDS = Number(process.env.WINDOW_SECONDS ?? 10)
const ROWS = 10

const demo = withDemo({ webgl: true })

/** The room, its racks and devices as one import document. */
function document() {
  const columns = Math.ceil(RACKS / ROWS)
  const perRack = Math.ceil(DEVICES / RACKS)
  const racks = Array.from({ length: RACKS }, (_, n) => ({
    data_center_code: 'bench-3d',
    room: 'BIG',
    name: `R${String(n + 1).padStart(3, '0')}`,
    height_u: 42,
    grid_row: Math.floor(n / columns) + 1,
    grid_column: (n % columns) + 1,
    facing: Math.floor(n / columns) % 2 === 0 ? 'south' : 'north',
  }))
  const devices = Array.from({ length: DEVICES }, (_, n) => ({
    data_center_code: 'bench-3d',
    name: `bench-${String(n).padStart(5, '0')}`,
    kind: 'server',
    tier: 'host',
    management_address: `10.${200 + Math.floor(n / 65_000)}.${Math.floor(n / 250) % 256}.${(n % 250) + 1}`,
    rack: racks[Math.floor(n / perRack)]!.name,
    rack_unit: (n % perRack) * 2 + 1,
    height_u: 2,
  }))
  return {
    data_centers: [{ code: 'bench-3d', name: '压测数据中心', region: 'bench' }],
    machine_rooms: [{ data_center_code: 'bench-3d', name: 'BIG', floor: 1, grid_rows: ROWS, grid_columns: columns }],
    racks,
    devices,
  }
}

async function fps(page: Page, seconds: number): Promise<number> {
  return page.evaluate(
    (ms) =>
      new Promise<number>((resolve) => {
        let frames = 0
        const started = performance.now()
        const tick = () => {
          frames += 1
          if (performance.now() - started < ms) requestAnimationFrame(tick)
          else resolve((frames * 1000) / (performance.now() - started))
        }
        requestAnimationFrame(tick)
      }),
    seconds * 1000,
  )
}

it('draws a room of 200 racks and 4,000 devices fluidly while 50 devices a second change', async () => {
  const admin = await ApiUser.login(demo.server.url, 'admin')
  await admin.post('/inventory/import', document())
  const sites = await admin.get<{ id: number; code: string; rooms: { id: number; name: string }[] }[]>('/screen/sites')
  const site = sites.find((candidate) => candidate.code === 'bench-3d')!
  const room = site.rooms[0]!
  const scene = await admin.get<{ devices: { id: number }[] }>(`/screen/rooms/${room.id}`)
  const { key } = await admin.post<{ key: string }>('/display-keys', { name: 'bench-3d' })

  for (const resolution of ['auto', 'native'] as const) {
    const context = await demo.browser.newContext({ viewport: { width: 1920, height: 1080 }, baseURL: demo.server.url })
    const page = await context.newPage()
    let socket: WebSocketRoute | null = null
    await page.routeWebSocket(/\/api\/v1\/ws/, (route) => {
      route.connectToServer()
      socket = route
    })
    await page.goto(`/screen/?key=${encodeURIComponent(key)}&views=room:${room.id}&resolution=${resolution}`)
    await page.getByTestId('room-title').waitFor()
    // Long enough for the resolution to settle.
    await page.waitForTimeout(10_000)

    const still: number[] = []
    for (let window = 0; window < 3; window++) still.push(await fps(page, WINDOW_SECONDS))

    // Changes at a steady pace, from Node, while the page counts its frames.
    let seq = 9_000_000_000_000_000
    let sent = 0
    const topic = `dc/${site.id}`
    const timer = setInterval(() => {
      for (let n = 0; n < CHANGES_PER_SECOND / 10; n++) {
        const device = scene.devices[Math.floor(Math.random() * scene.devices.length)]!
        socket?.send(
          JSON.stringify({
            op: 'event',
            topic,
            seq: (seq += 1),
            kind: 'device.state',
            ts: new Date().toISOString(),
            data: { device_id: device.id, change: Math.random() < 0.5 ? 'unreachable' : 'reachable', at_ms: Date.now(), if_index: null },
          }),
        )
        sent += 1
      }
    }, 100)
    await page.waitForTimeout(2000)
    const changing: number[] = []
    for (let window = 0; window < 3; window++) changing.push(await fps(page, WINDOW_SECONDS))
    clearInterval(timer)
    // What was measured, to look at: the room as it stood at the end.
    await page.screenshot({ path: new URL(`./output/screen-3d-${resolution}.png`, import.meta.url).pathname })
    const down = Number((await page.getByTestId('room-down').locator('.value').innerText()).replace(/\D/g, ''))
    const scale = await page.evaluate(() => (globalThis as unknown as { __yunguanWall: { resolution(): number | null } }).__yunguanWall.resolution())

    report(`screen-3d-${resolution}`, {
      racks: RACKS,
      devices: scene.devices.length,
      changes_per_second: CHANGES_PER_SECOND,
      changes_sent: sent,
      devices_down_at_end: down,
      resolution_scale: scale ?? Number.NaN,
      fps_still_median: percentile(still, 50),
      fps_changing_median: percentile(changing, 50),
      fps_changing_min: Math.min(...changing),
      fps_changing_max: Math.max(...changing),
    })
    await context.close()
  }
})
