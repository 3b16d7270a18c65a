// How many pixels the 3D room is drawn at. Pure, so it is tested without a GPU.

/**
 * Dynamic resolution: when frames come slower than 25 a second (a weak GPU driving a 4K wall,
 * or WebGL drawn on the CPU), the room is drawn at fewer pixels, in quarter steps down to
 * half, and back up when they come faster than 50 a second. `native` holds it at the
 * screen's pixels.
 */
export class Resolution {
  scale = 1
  private readonly intervals: number[] = []
  private last = 0
  private judgedAt = 0

  constructor(private readonly native: boolean) {}

  /** Takes a frame's time; true when the scale changed. */
  frame(time: number): boolean {
    if (this.last) this.intervals.push(time - this.last)
    this.last = time
    if (this.intervals.length > 60) this.intervals.shift()
    if (this.native || time - this.judgedAt < 2000 || this.intervals.length < 10) return false
    this.judgedAt = time
    const typical = [...this.intervals].sort((a, b) => a - b)[this.intervals.length >> 1]!
    const next = typical > 40 ? Math.max(0.5, this.scale - 0.25) : typical < 20 ? Math.min(1, this.scale + 0.25) : this.scale
    if (next === this.scale) return false
    this.scale = next
    this.intervals.length = 0
    return true
  }
}
