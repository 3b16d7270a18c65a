import { describe, expect, it } from 'vitest'
import { Resolution } from './resolution'

describe('the dynamic resolution', () => {
  it('draws at fewer pixels while frames are slow, down to half, and back when they are fast', () => {
    const run = (resolution: InstanceType<typeof Resolution>, intervalMs: number, seconds: number, from: number) => {
      let time = from
      while (time < from + seconds * 1000) resolution.frame((time += intervalMs))
      return time
    }
    const adaptive = new Resolution(false)
    let time = run(adaptive, 100, 10, 0)
    expect(adaptive.scale).toBe(0.5)
    time = run(adaptive, 30, 10, time)
    expect(adaptive.scale).toBe(0.5)
    // 22 frames a second: too slow for full pixels.
    const slowish = new Resolution(false)
    run(slowish, 45, 10, 0)
    expect(slowish.scale).toBe(0.5)
    run(adaptive, 10, 10, time)
    expect(adaptive.scale).toBe(1)
    const native = new Resolution(true)
    run(native, 100, 10, 0)
    expect(native.scale).toBe(1)
  })
})
