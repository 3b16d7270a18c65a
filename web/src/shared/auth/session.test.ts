import { afterEach, describe, expect, it, vi } from 'vitest'

/** A fresh copy of the module (its state is per page) on a stubbed page address. */
async function freshSession() {
  vi.resetModules()
  const assign = vi.fn()
  vi.stubGlobal('location', { pathname: '/ops/alarms', search: '?state=raised', hash: '', assign })
  const { session } = await import('./session')
  return { session, assign }
}

afterEach(() => {
  vi.unstubAllGlobals()
})

describe('a refused token', () => {
  it('sends the user to log in again, and back here afterwards', async () => {
    const { session, assign } = await freshSession()
    session.expired()
    expect(assign).toHaveBeenCalledWith('/login?return=%2Fops%2Falarms%3Fstate%3Draised&expired=1')
  })

  it('is expected once logout has begun, and does not race its way to the login page', async () => {
    const { session, assign } = await freshSession()
    session.leave()
    session.expired()
    expect(assign).not.toHaveBeenCalled()
  })
})
