// Weight: the gzipped JavaScript the login page, the ops overview and the mobile inbox load
// (and the mobile app's CSS): each entry's
// script and every chunk it imports statically, plus, for the overview, its lazily loaded
// route chunk and what that imports (from Vite's build manifest, so browser caches do not
// blur it). Code is split per route and Element Plus and ECharts are imported per
// component. Targets: at most 300 KB for the overview, 200 KB for the mobile inbox.
import { it } from 'vitest'
import { readFileSync } from 'node:fs'
import { gzipSync } from 'node:zlib'
import { report } from './report'

interface Chunk {
  file: string
  css?: string[]
  src?: string
  isEntry?: boolean
  imports?: string[]
  dynamicImports?: string[]
}

const dist = new URL('../dist/', import.meta.url).pathname
const manifest = JSON.parse(readFileSync(`${dist}.vite/manifest.json`, 'utf8')) as Record<string, Chunk>

/** The CSS files of every chunk visited, by `closure`. */
const styles = new Set<string>()

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
    for (const css of chunk.css ?? []) styles.add(css)
    for (const imported of chunk.imports ?? []) visit(imported)
  }
  keys.forEach(visit)
  return files
}

const gzipped = (files: Set<string>) => [...files].reduce((sum, file) => sum + gzipSync(readFileSync(`${dist}${file}`), { level: 9 }).length, 0)

it('weighs the login page, the overview and the mobile inbox', () => {
  const login = closure(['index.html'])
  const overviewRoute = Object.keys(manifest).find((key) => key.endsWith('views/OverviewPage.vue'))!
  const overview = closure(['ops/index.html', overviewRoute])
  styles.clear()
  const inboxRoute = Object.keys(manifest).find((key) => key.endsWith('apps/mobile/views/InboxPage.vue'))!
  const inbox = closure(['mobile/index.html', inboxRoute])
  report('weight', {
    login_js_gzip_kb: gzipped(login) / 1024,
    login_files: login.size,
    overview_js_gzip_kb: gzipped(overview) / 1024,
    overview_files: overview.size,
    mobile_inbox_js_gzip_kb: gzipped(inbox) / 1024,
    mobile_inbox_files: inbox.size,
    mobile_inbox_css_gzip_kb: gzipped(styles) / 1024,
  })
})
