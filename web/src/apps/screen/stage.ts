// The wall's fixed 1920×1080 design canvas, scaled to fit the window with letterboxing.
// Computed from the window's size in CSS pixels (never `window.screen`, which is the
// monitor's), so it is right at any display scaling; charts and the 3D room draw at the
// resulting device pixels rather than being blown up by the CSS scale.

export const DESIGN_WIDTH = 1920
export const DESIGN_HEIGHT = 1080

export interface StageFit {
  /** CSS pixels per design pixel. */
  scale: number
  /** The canvas's offset in the window, in CSS pixels (the letterbox bars). */
  left: number
  top: number
}

export function fitStage(windowWidth: number, windowHeight: number): StageFit {
  const scale = Math.max(0.01, Math.min(windowWidth / DESIGN_WIDTH, windowHeight / DESIGN_HEIGHT))
  return {
    scale,
    left: Math.max(0, Math.round((windowWidth - DESIGN_WIDTH * scale) / 2)),
    top: Math.max(0, Math.round((windowHeight - DESIGN_HEIGHT * scale) / 2)),
  }
}

/** The pixel ratio a canvas inside the stage draws at to be sharp on this screen. */
export function canvasPixelRatio(fit: StageFit, devicePixelRatio: number): number {
  return Math.max(1, Math.min(4, fit.scale * devicePixelRatio))
}
