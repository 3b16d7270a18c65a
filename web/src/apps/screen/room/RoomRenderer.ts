// The 3D machine room (three.js). One WebGL renderer serves the wall for its whole life (a
// canvas moved into each room view as it shows), so that rotating through rooms for weeks
// opens no new GL context; each room's geometries and materials are made when it shows and
// disposed when it leaves. The racks are one instanced mesh whose faces show their devices
// from the room's unit map (a texture), so a room of 200 racks and 4,000 devices is one draw
// call plus the frames, and a device's change is a few texels; devices with a critical
// alarm pulse. Orbit with the mouse; after a while untouched the camera tours the room
// slowly. The view decides colours; this draws them.
import {
  BufferGeometry,
  Color,
  DataTexture,
  Float32BufferAttribute,
  GridHelper,
  InstancedBufferAttribute,
  InstancedMesh,
  LineBasicMaterial,
  LineSegments,
  Matrix4,
  Mesh,
  MeshBasicMaterial,
  PerspectiveCamera,
  PlaneGeometry,
  Quaternion,
  Raycaster,
  Scene,
  ShaderMaterial,
  Vector2,
  Vector3,
  WebGLRenderer,
  type Material,
} from 'three'
import { OrbitControls } from 'three/examples/jsm/controls/OrbitControls.js'
import { Resolution } from './resolution'
import { layOut, RACK_DEPTH, RACK_WIDTH, type Scene as RoomScene } from './layout'
import { pulseAt, rackBox, rackMaterial, unitTexture } from './rackMaterial'
import { UnitMap } from './unitMap'

/** How long the room stays untouched before the tour starts. */
const TOUR_AFTER_MS = 15_000
const BACKGROUND = 0x061226

let shared: WebGLRenderer | null = null
/** The room on screen, if any. */
let current: RoomRenderer | null = null

/** Whether WebGL is drawn on the CPU here (SwiftShader, llvmpipe): then every pixel counts,
 * and multisampling would cost four times each. */
function softwareRendered(): boolean {
  const gl = document.createElement('canvas').getContext('webgl2')
  const info = gl?.getExtension('WEBGL_debug_renderer_info')
  const name = info ? String(gl!.getParameter(info.UNMASKED_RENDERER_WEBGL)) : ''
  gl?.getExtension('WEBGL_lose_context')?.loseContext()
  return /swiftshader|llvmpipe|software/i.test(name)
}

/** The wall's one renderer, made on first use. */
function wallRenderer(): WebGLRenderer {
  shared ??= new WebGLRenderer({ antialias: !softwareRendered(), powerPreference: 'high-performance' })
  return shared
}

/** What the browser tests and benchmarks read: the GPU objects alive, the frames drawn, the
 * colour a device is drawn in. */
export const renderStats = { frames: 0 }
;(globalThis as { __yunguanWall?: unknown }).__yunguanWall = {
  gpu: () => (shared ? { ...shared.info.memory, programs: shared.info.programs?.length ?? 0 } : null),
  frames: () => renderStats.frames,
  colour: (deviceId: number) => current?.colourOf(deviceId) ?? null,
  canvas: () => (current ? { width: shared!.domElement.width, height: shared!.domElement.height } : null),
  resolution: () => current?.resolutionScale() ?? null,
  rackOnScreen: (rackId: number) => current?.rackOnScreen(rackId) ?? null,
}

export interface RoomRendererEvents {
  /** A rack was clicked (null: empty floor). */
  onSelect: (rackId: number | null) => void
}

export class RoomRenderer {
  private readonly renderer = wallRenderer()
  private readonly scene = new Scene()
  private readonly camera = new PerspectiveCamera(40, 16 / 9, 0.1, 400)
  private readonly controls: OrbitControls
  private readonly disposables: { dispose(): void }[] = []
  private readonly rackIds: number[] = []
  private readonly units: UnitMap
  private readonly unitTexture: DataTexture
  private readonly rackMaterial: ShaderMaterial
  private readonly rackMesh: InstancedMesh
  private readonly selection: LineSegments
  private lastTouched = performance.now()
  private nativeRatio = 1
  private readonly resolution: Resolution
  private pointerDown: { x: number; y: number } | null = null

  constructor(
    host: HTMLElement,
    room: RoomScene,
    private readonly events: RoomRendererEvents,
    native = false,
  ) {
    this.resolution = new Resolution(native)
    const canvas = this.renderer.domElement
    host.appendChild(canvas)
    this.scene.background = new Color(BACKGROUND)
    const layout = layOut(room)

    const floor = this.own(new PlaneGeometry(layout.width + 6, layout.depth + 6))
    const floorMaterial = this.own(new MeshBasicMaterial({ color: 0x0a1a30 }))
    const floorMesh = new Mesh(floor, floorMaterial)
    floorMesh.rotation.x = -Math.PI / 2
    this.scene.add(floorMesh)
    const size = Math.ceil(Math.max(layout.width, layout.depth) + 6)
    const grid = new GridHelper(size, size * 2, 0x1c4f7c, 0x12304f)
    this.own(grid.geometry)
    this.own(grid.material as Material)
    grid.position.y = 0.002
    this.scene.add(grid)

    // Racks: one instanced box each, showing its units from the room's unit map, and their
    // frames as one set of lines. The devices are texels of the map, not boxes of their own.
    this.units = new UnitMap(room.racks, room.devices)
    this.unitTexture = this.own(unitTexture(this.units))
    const rackGeometry = this.own(rackBox())
    this.rackMaterial = this.own(rackMaterial(this.units, this.unitTexture))
    this.rackMesh = new InstancedMesh(rackGeometry, this.rackMaterial, Math.max(1, room.racks.length))
    this.rackMesh.count = room.racks.length
    const columns = new Float32Array(Math.max(1, room.racks.length))
    const heights = new Float32Array(Math.max(1, room.racks.length))
    const frames: number[] = []
    const matrix = new Matrix4()
    const rotation = new Quaternion()
    const up = new Vector3(0, 1, 0)
    room.racks.forEach((rack, index) => {
      const placed = layout.racks.get(rack.id)!
      this.rackIds.push(rack.id)
      columns[index] = (this.units.column(rack.id)! + 0.5) / this.units.width
      heights[index] = placed.height
      rotation.setFromAxisAngle(up, placed.angle)
      matrix.compose(new Vector3(placed.x, placed.height / 2, placed.z), rotation, new Vector3(RACK_WIDTH * 0.98, placed.height, RACK_DEPTH))
      this.rackMesh.setMatrixAt(index, matrix)
      // A rack turned east or west lies across the row: its frame's width and depth swap.
      const across = Math.abs(Math.sin(placed.angle)) > 0.5
      const [frameWidth, frameDepth] = across ? [RACK_DEPTH, RACK_WIDTH] : [RACK_WIDTH, RACK_DEPTH]
      frames.push(...boxEdges(placed.x, placed.height / 2, placed.z, frameWidth, placed.height, frameDepth))
    })
    rackGeometry.setAttribute('rackColumn', new InstancedBufferAttribute(columns, 1))
    rackGeometry.setAttribute('rackHeight', new InstancedBufferAttribute(heights, 1))
    this.scene.add(this.rackMesh)
    const frameGeometry = this.own(new BufferGeometry())
    frameGeometry.setAttribute('position', new Float32BufferAttribute(frames, 3))
    this.scene.add(new LineSegments(frameGeometry, this.own(new LineBasicMaterial({ color: 0x2f7fc1 }))))

    const selectionGeometry = this.own(new BufferGeometry())
    selectionGeometry.setAttribute('position', new Float32BufferAttribute(boxEdges(0, 0, 0, 1, 1, 1), 3))
    this.selection = new LineSegments(selectionGeometry, this.own(new LineBasicMaterial({ color: 0x5ff4ff })))
    this.selection.visible = false
    this.scene.add(this.selection)

    const reach = Math.max(layout.width, layout.depth, 4)
    // From above one end of the rows, looking along the aisle between them.
    this.camera.position.set(reach * 0.95, reach * 0.6, reach * 0.45)
    this.controls = new OrbitControls(this.camera, canvas)
    this.controls.target.set(0, 0.8, 0)
    this.controls.enableDamping = true
    this.controls.maxPolarAngle = Math.PI * 0.48
    this.controls.minDistance = 2
    this.controls.maxDistance = reach * 2.5
    this.controls.autoRotateSpeed = 0.6
    this.controls.addEventListener('start', this.touched)
    canvas.addEventListener('pointerdown', this.onPointerDown)
    canvas.addEventListener('pointerup', this.onPointerUp)
    this.renderer.setAnimationLoop(this.frame)
    current = this
  }

  /** Sizes the drawing to its host, in the screen's own pixels (times the resolution the
   * frame rate allows, unless `native` holds it at 1). */
  resize(width: number, height: number, pixelRatio: number): void {
    this.nativeRatio = pixelRatio
    this.renderer.setPixelRatio(pixelRatio * this.resolution.scale)
    this.renderer.setSize(width, height, true)
    this.camera.aspect = width / Math.max(1, height)
    this.camera.updateProjectionMatrix()
  }

  /** Colours a device; `pulse` makes it throb (a critical alarm). */
  colour(deviceId: number, colour: number, pulse: boolean): void {
    if (this.units.set(deviceId, colour, pulse)) this.unitTexture.needsUpdate = true
  }

  /** Where a rack's middle is in the window (CSS pixels) and how deep (-1 nearest, 1
   * farthest), if it is in this room. */
  rackOnScreen(rackId: number): { x: number; y: number; depth: number } | null {
    const index = this.rackIds.indexOf(rackId)
    if (index < 0) return null
    const matrix = new Matrix4()
    this.rackMesh.getMatrixAt(index, matrix)
    const point = new Vector3().setFromMatrixPosition(matrix).project(this.camera)
    const rect = this.renderer.domElement.getBoundingClientRect()
    return { x: rect.left + ((point.x + 1) / 2) * rect.width, y: rect.top + ((1 - point.y) / 2) * rect.height, depth: point.z }
  }

  /** The share of the screen's pixels the room is drawn at. */
  resolutionScale(): number {
    return this.resolution.scale
  }

  /** The colour a device is drawn in (before any pulse), if it is in this room. */
  colourOf(deviceId: number): number | null {
    return this.units.colourOf(deviceId)
  }

  /** Outlines a rack (or none). */
  select(rackId: number | null): void {
    const index = rackId === null ? -1 : this.rackIds.indexOf(rackId)
    this.selection.visible = index >= 0
    if (index < 0) return
    const matrix = new Matrix4()
    this.rackMesh.getMatrixAt(index, matrix)
    matrix.decompose(this.selection.position, this.selection.quaternion, this.selection.scale)
    this.selection.scale.multiplyScalar(1.04)
  }

  dispose(): void {
    if (current === this) current = null
    this.renderer.setAnimationLoop(null)
    const canvas = this.renderer.domElement
    canvas.removeEventListener('pointerdown', this.onPointerDown)
    canvas.removeEventListener('pointerup', this.onPointerUp)
    this.controls.removeEventListener('start', this.touched)
    this.controls.dispose()
    this.rackMesh.dispose()
    for (const disposable of this.disposables) disposable.dispose()
    this.scene.clear()
    this.renderer.renderLists.dispose()
    canvas.remove()
  }

  private own<T extends { dispose(): void }>(thing: T): T {
    this.disposables.push(thing)
    return thing
  }

  private readonly touched = () => {
    this.lastTouched = performance.now()
    this.controls.autoRotate = false
  }

  private readonly frame = (time: number) => {
    renderStats.frames += 1
    if (this.resolution.frame(time)) this.renderer.setPixelRatio(this.nativeRatio * this.resolution.scale)
    if (!this.controls.autoRotate && time - this.lastTouched > TOUR_AFTER_MS) this.controls.autoRotate = true
    this.rackMaterial.uniforms.pulse!.value = pulseAt(time)
    this.controls.update()
    this.renderer.render(this.scene, this.camera)
  }

  private readonly onPointerDown = (event: PointerEvent) => {
    this.touched()
    this.pointerDown = { x: event.clientX, y: event.clientY }
  }

  /** A click (not a drag) picks the rack under the pointer, or its device's rack. */
  private readonly onPointerUp = (event: PointerEvent) => {
    const down = this.pointerDown
    this.pointerDown = null
    if (!down || Math.hypot(event.clientX - down.x, event.clientY - down.y) > 5) return
    const rect = this.renderer.domElement.getBoundingClientRect()
    const pointer = new Vector2(((event.clientX - rect.left) / rect.width) * 2 - 1, -((event.clientY - rect.top) / rect.height) * 2 + 1)
    const raycaster = new Raycaster()
    raycaster.setFromCamera(pointer, this.camera)
    const [hit] = raycaster.intersectObject(this.rackMesh, false)
    const rackId = hit?.instanceId !== undefined ? (this.rackIds[hit.instanceId] ?? null) : null
    this.select(rackId)
    this.events.onSelect(rackId)
  }
}

/** The twelve edges of a box as line-segment end points. */
function boxEdges(x: number, y: number, z: number, width: number, height: number, depth: number): number[] {
  const [w, h, d] = [width / 2, height / 2, depth / 2]
  const corners = [
    [-w, -h, -d], [w, -h, -d], [w, h, -d], [-w, h, -d],
    [-w, -h, d], [w, -h, d], [w, h, d], [-w, h, d],
  ] as const
  const edges = [[0, 1], [1, 2], [2, 3], [3, 0], [4, 5], [5, 6], [6, 7], [7, 4], [0, 4], [1, 5], [2, 6], [3, 7]] as const
  return edges.flatMap(([a, b]) => [...corners[a], ...corners[b]].map((value, i) => value + [x, y, z][i % 3]!))
}
