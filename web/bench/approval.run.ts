// Approval reaches the phone: a tenant admin approves a request's first level over HTTP, and
// the request's next level opens for the bureau operators. From the moment the approve
// request's answer arrives, how long until (a) the bureau operator's mobile inbox, open in
// Chromium, shows the request's row and the tab's badge has counted it, and (b) the
// requester's portal page of the ticket shows the level passed. Each time is taken in the
// first animation frame in which the change is on the page (a check per frame, started
// before the approval). APPROVALS (default 200) firewall requests, one after the other;
// p50 and p99. Target: p99 <= 150 ms (mail-driven approvals take minutes).
import { it } from 'vitest'
import type { Page } from 'playwright-core'
import { withDemo } from '../e2e/support/server'
import { loggedIn, onPhone } from '../e2e/support/browser'
import { ApiUser } from '../e2e/support/api'
import { percentile, report } from './report'

const APPROVALS = Number(process.env.APPROVALS ?? 200)

const demo = withDemo()

/** When (epoch ms) `condition` first holds in a frame of the page; started now, awaited later. */
function frameWhen(page: Page, condition: string, argument: string | number): Promise<number> {
  return page.evaluate(
    ([source, value]) =>
      new Promise<number>((resolve) => {
        const holds = new Function('value', `return (${source})(value)`) as (value: unknown) => boolean
        const check = () => (holds(value) ? resolve(performance.timeOrigin + performance.now()) : requestAnimationFrame(check))
        check()
      }),
    [condition, argument] as const,
  )
}

it('measures an approval reaching the next approver’s phone and the requester’s page', async () => {
  const requester = await ApiUser.login(demo.server.url, 'edu-dev')
  const approver = await ApiUser.login(demo.server.url, 'edu-admin')
  const item = (await requester.get<{ id: number; code: string }[]>('/catalog')).find((entry) => entry.code === 'network.firewall')!
  const form = { business_system: '学籍管理系统', source_cidrs: ['10.1.0.0/16'], destination_cidrs: ['10.2.0.0/24'], ports: ['443'], protocol: 'tcp', duration_days: 7 }

  const phone = await onPhone(demo.browser, demo.server.url, 'ops')
  await phone.page.getByRole('tab', { name: '待我处理' }).waitFor()
  const portal = await loggedIn(demo.browser, demo.server.url, 'edu-dev')

  const toPhone: number[] = []
  const toPortal: number[] = []
  for (let i = 0; i < APPROVALS; i++) {
    const ticket = await requester.post<{ id: number }>('/tickets', { item_id: item.id, title: `防火墙策略 ${i + 1}`, form })
    await portal.page.goto(`/portal/tickets/${ticket.id}`)
    await portal.page.getByTestId('ticket-timeline').waitFor()
    await portal.page.waitForLoadState('networkidle')
    const badgeBefore = await phone.page.evaluate(() => Number(document.querySelector('[data-testid="inbox-tab"] .van-badge')?.textContent ?? 0))
    const onPhoneAt = frameWhen(
      phone.page,
      `(expected) => !!document.querySelector('[data-testid="pending-list"] [data-ticket="${ticket.id}"]') && Number(document.querySelector('[data-testid="inbox-tab"] .van-badge')?.textContent ?? 0) >= expected`,
      badgeBefore + 1,
    )
    const onPortalAt = frameWhen(
      portal.page,
      `() => [...document.querySelectorAll('[data-testid="ticket-timeline"] strong')].filter((node) => node.textContent === '环节通过').length >= 1`,
      0,
    )
    await approver.post(`/tickets/${ticket.id}/approve`, {})
    const answered = Date.now()
    const [phoneAt, portalAt] = await Promise.all([onPhoneAt, onPortalAt])
    toPhone.push(phoneAt - answered)
    toPortal.push(portalAt - answered)
  }
  report('approval-to-phone', {
    approvals: APPROVALS,
    phone_p50_ms: percentile(toPhone, 50),
    phone_p99_ms: percentile(toPhone, 99),
    phone_max_ms: Math.max(...toPhone),
    portal_p50_ms: percentile(toPortal, 50),
    portal_p99_ms: percentile(toPortal, 99),
    portal_max_ms: Math.max(...toPortal),
  })
  await Promise.all([phone.context.close(), portal.context.close()])
})
