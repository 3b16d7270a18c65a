import { describe, expect, it } from 'vitest'
import { canvasPixelRatio, fitStage } from './stage'

describe('the stage', () => {
  it('fills a 16:9 window exactly and letterboxes the others', () => {
    expect(fitStage(1920, 1080)).toEqual({ scale: 1, left: 0, top: 0 })
    expect(fitStage(3840, 2160)).toEqual({ scale: 2, left: 0, top: 0 })
    // 1366×768 is not quite 16:9: its height decides, with under a pixel to spare.
    expect(fitStage(1366, 768)).toEqual({ scale: 768 / 1080, left: 0, top: 0 })
    // A 4:3 window: bars above and below; a wide one: bars left and right.
    expect(fitStage(1024, 768).top).toBeGreaterThan(0)
    const wide = fitStage(2560, 1080)
    expect(wide).toEqual({ scale: 1, left: 320, top: 0 })
  })

  it('draws canvases at the screen pixels the scale lands on', () => {
    // 150 % display scaling on a 1920×1080 monitor: a 1280×720 CSS window.
    const scaled = fitStage(1280, 720)
    expect(canvasPixelRatio(scaled, 1.5)).toBeCloseTo(1)
    expect(canvasPixelRatio(fitStage(3840, 2160), 1)).toBe(2)
    expect(canvasPixelRatio(fitStage(800, 450), 1)).toBe(1)
  })
})
