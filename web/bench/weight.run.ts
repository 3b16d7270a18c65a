// Weight: the gzipped JavaScript the login page and the ops overview load: each entry's
// script and every chunk it imports statically, plus, for the overview, its lazily loaded
// route chunk and what that imports (from Vite's build manifest, so browser caches do not
// blur it). Code is split per route and Element Plus and ECharts are imported per
// component. Target: at most 300 KB for the overview.
import { it } from 'vitest'
import { readFileSync } from 'node:fs'
import { gzipSync } from 'node:zlib'
import { report } from './report'

interface Chunk {
  file: string
  src?: string
  isEntry?: boolean
  imports?: string[]
  dynamicImports?: string[]
}

const dist = new URL('../dist/', import.meta.url).pathname
const manifest = JSON.parse(readFileSync(`${dist}.vite/manifest.json`, 'utf8')) as Record<string, Chunk>

/** Every JS file a chunk needs before it runs: itself and its static imports, transitively. */
function closure(keys: string[]): Set<string> {
  const files = new Set<string>()
  const seen = new Set<string>()
  const visit = (key: string) => {
    if (seen.has(key)) return
    seen.add(key)
    const chunk = manifest[key]
    if (!chunk) throw new Error(`no chunk ${key} in the manifest`)
    if (chunk.file.endsWith('.js')) files.add(chunk.file)
    for (const imported of chunk.imports ?? []) visit(imported)
  }
  keys.forEach(visit)
  return files
}

const gzipped = (files: Set<string>) => [...files].reduce((sum, file) => sum + gzipSync(readFileSync(`${dist}${file}`), { level: 9 }).length, 0)

it('weighs the login page and the overview', () => {
  const login = closure(['index.html'])
  const overviewRoute = Object.keys(manifest).find((key) => key.endsWith('views/OverviewPage.vue'))!
  const overview = closure(['ops/index.html', overviewRoute])
  report('weight', {
    login_js_gzip_kb: gzipped(login) / 1024,
    login_files: login.size,
    overview_js_gzip_kb: gzipped(overview) / 1024,
    overview_files: overview.size,
  })
})
