// How a rack is drawn: a box whose front, back and sides show its units (a column of the
// room's unit map, as through glass doors and side panels), whose top and bottom are plain. Unlit: each face carries a
// brightness (the `shade` attribute), so thousands of units cost no lighting. An empty unit
// is not drawn; a pulsing one throbs once a second between full colour and a third of it.
// Colours are written as given (sRGB), so a device is drawn in the very colour the view
// chose. A shader of our own because no three.js material samples a per-instance column.
import { BoxGeometry, DataTexture, Float32BufferAttribute, NearestFilter, RGBAFormat, ShaderMaterial, UnsignedByteType, Vector3 } from 'three'
import { PLINTH, UNIT } from './layout'
import type { UnitMap } from './unitMap'

const PANEL = 0x1b2c42
const PLINTH_COLOUR = 0x0d1a2a

const vertexShader = /* glsl */ `
  attribute float shade;
  attribute float panel;
  // Per rack: its column in the unit map (the texel's centre) and its height in metres.
  attribute float rackColumn;
  attribute float rackHeight;
  varying float vShade;
  varying float vPanel;
  varying float vColumn;
  varying float vMetres;
  void main() {
    vShade = shade;
    vPanel = panel;
    vColumn = rackColumn;
    vMetres = uv.y * rackHeight;
    gl_Position = projectionMatrix * modelViewMatrix * instanceMatrix * vec4(position, 1.0);
  }
`

const fragmentShader = /* glsl */ `
  uniform sampler2D units;
  uniform float maxUnits;
  uniform float plinth;
  uniform float unitHeight;
  uniform float pulse;
  uniform vec3 panelColour;
  uniform vec3 plinthColour;
  varying float vShade;
  varying float vPanel;
  varying float vColumn;
  varying float vMetres;
  void main() {
    float unit = (vMetres - plinth) / unitHeight;
    vec3 face = panelColour;
    if (vPanel < 0.5 && unit < 0.0) {
      face = plinthColour;
    } else if (vPanel < 0.5) {
      // Alpha: 0 no device, 0.5 a device, 1 a pulsing device (unitMap.ts).
      vec4 cell = texture2D(units, vec2(vColumn, unit / maxUnits));
      if (cell.a < 0.25) discard;
      face = cell.rgb * (cell.a > 0.75 ? pulse : 1.0);
    }
    gl_FragColor = vec4(face * vShade, 1.0);
  }
`

/** The unit map as a texture (nearest texel: units stay crisp). */
export function unitTexture(map: UnitMap): DataTexture {
  const texture = new DataTexture(map.data, map.width, map.height, RGBAFormat, UnsignedByteType)
  texture.magFilter = NearestFilter
  texture.minFilter = NearestFilter
  texture.generateMipmaps = false
  texture.needsUpdate = true
  return texture
}

export function rackMaterial(map: UnitMap, texture: DataTexture): ShaderMaterial {
  return new ShaderMaterial({
    vertexShader,
    fragmentShader,
    uniforms: {
      units: { value: texture },
      maxUnits: { value: map.maxUnits },
      plinth: { value: PLINTH },
      unitHeight: { value: UNIT },
      pulse: { value: 1 },
      panelColour: { value: rgb(PANEL) },
      plinthColour: { value: rgb(PLINTH_COLOUR) },
    },
  })
}

/** The strength of a pulsing unit at a time (ms): between full and a third, once a second. */
export function pulseAt(time: number): number {
  return 0.67 + 0.33 * Math.sin((time / 1000) * Math.PI * 2)
}

/** A colour's channels as given, 0-1 (three's Color would convert them to linear). */
function rgb(hex: number): Vector3 {
  return new Vector3(((hex >> 16) & 0xff) / 255, ((hex >> 8) & 0xff) / 255, (hex & 0xff) / 255)
}

/** A unit box: its faces (+x, -x, +y, -y, +z, -z, four vertices each) carry a brightness;
 * the top (+y) and bottom (-y) are panels. */
export function rackBox(): BoxGeometry {
  const box = new BoxGeometry(1, 1, 1)
  const shades = [0.62, 0.62, 1, 0.35, 1, 0.8]
  const panels = [0, 0, 1, 1, 0, 0]
  const perVertex = (values: number[]) => values.flatMap((value) => [value, value, value, value])
  box.setAttribute('shade', new Float32BufferAttribute(perVertex(shades), 1))
  box.setAttribute('panel', new Float32BufferAttribute(perVertex(panels), 1))
  return box
}
