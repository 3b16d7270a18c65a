// Soak of the command-center wall: the rotation runs through every view (each data center
// and machine room included) with a 5 s dwell for SOAK_MINUTES (default 60), while the
// demo's faults come at ten times their normal rate (a link down every 2 s instead of every
// 20 s, each back up 40 s later), besides the summaries pushed every second. At the start
// (after a minute's warm-up) and at the end (a minute after the last interface came back)
// the rotation is paused on the first 3D room and
// then on the overview, and the JS heap after a forced garbage collection, the DOM node
// count (Chrome DevTools Protocol) and the GPU objects alive (three.js `renderer.info`) are
// read. Target: heap growth <= 5 MB, no growth in DOM nodes or GPU objects, and no GPU
// objects left once the room is gone.
import { it } from 'vitest'
import type { Page } from 'playwright-core'
import { withDemo } from '../e2e/support/server'
import { ApiUser } from '../e2e/support/api'
import { report } from './report'
import { flap, heapAndNodes, ports } from './support'

const MINUTES = Number(process.env.SOAK_MINUTES ?? 60)

const demo = withDemo({ webgl: true })

interface Gpu {
  geometries: number
  textures: number
  programs: number
}

const gpu = (page: Page) => page.evaluate(() => (globalThis as unknown as { __yunguanWall: { gpu(): Gpu | null } }).__yunguanWall.gpu())

/** The alarm rows the view shows (its lists are bounded: 12 on the overview). */
const alarmRows = (page: Page) => page.locator('[data-alarm-id]').count()

/** Pauses on the first room, then on the overview, measuring each; resumes the rotation. */
async function measure(page: Page) {
  await page.getByRole('button', { name: '暂停轮播' }).click()
  await page.getByRole('button', { name: '机房 3D' }).click()
  await page.getByTestId('room-title').waitFor()
  await page.waitForTimeout(3000)
  const room = { ...(await heapAndNodes(page)), alarmRows: await alarmRows(page), gpu: await gpu(page) }
  await page.getByRole('button', { name: '总览' }).click()
  await page.getByTestId('kpi-alarms').waitFor()
  await page.waitForTimeout(3000)
  const overview = { ...(await heapAndNodes(page)), alarmRows: await alarmRows(page), gpu: await gpu(page) }
  await page.getByRole('button', { name: '继续轮播' }).click()
  return { room, overview }
}

it('keeps the wall flat over a long rotation', async () => {
  const list = await ports(demo.server.url)
  const admin = await ApiUser.login(demo.server.url, 'admin')
  const { key } = await admin.post<{ key: string }>('/display-keys', { name: 'soak' })
  const context = await demo.browser.newContext({ viewport: { width: 1920, height: 1080 }, baseURL: demo.server.url })
  const page = await context.newPage()
  await page.goto(`/screen/?key=${encodeURIComponent(key)}&dwell=overview:5,dc:5,cloud:5,network:5,business:5,room:5`)
  await page.getByTestId('kpi-alarms').waitFor()
  await page.waitForTimeout(60_000)
  const start = await measure(page)
  const flapped = await flap(demo.server, list, 0.5, MINUTES * 60_000, 40_000)
  // Every interface is back up: a minute for their alarms to clear, so that the lists hold
  // what they held at the start.
  await page.waitForTimeout(60_000)
  const end = await measure(page)
  for (const view of ['room', 'overview'] as const)
    report(`screen-soak-${view}`, {
      minutes: MINUTES,
      interfaces_flapped: flapped,
      heap_start_mb: start[view].heapMb,
      heap_end_mb: end[view].heapMb,
      heap_growth_mb: end[view].heapMb - start[view].heapMb,
      dom_nodes_start: start[view].nodes,
      dom_nodes_end: end[view].nodes,
      dom_attached_start: start[view].attached,
      dom_attached_end: end[view].attached,
      alarm_rows_start: start[view].alarmRows,
      alarm_rows_end: end[view].alarmRows,
      listeners_start: start[view].listeners,
      listeners_end: end[view].listeners,
      gpu_geometries_start: start[view].gpu?.geometries ?? 0,
      gpu_geometries_end: end[view].gpu?.geometries ?? 0,
      gpu_textures_start: start[view].gpu?.textures ?? 0,
      gpu_textures_end: end[view].gpu?.textures ?? 0,
      gpu_programs_start: start[view].gpu?.programs ?? 0,
      gpu_programs_end: end[view].gpu?.programs ?? 0,
    })
  await context.close()
  // The run itself, the warm-up and the measurements: longer than the benchmarks' default.
}, (MINUTES + 10) * 60_000)
