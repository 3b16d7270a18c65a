// One Vite project, one HTML entry per app: the root (login and the dispatcher to each
// person's app), the ops portal, the service portal, the mobile app and the command-center
// wall. Element Plus and Vant are imported per component with their styles (the resolvers),
// never whole, so each route loads only what it shows; the mobile app and the wall have no
// Element Plus.
import { createHash } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { fileURLToPath, URL } from 'node:url'
import { defineConfig, type Plugin } from 'vite'
import vue from '@vitejs/plugin-vue'
import Components from 'unplugin-vue-components/vite'
import { ElementPlusResolver, VantResolver } from 'unplugin-vue-components/resolvers'

const backend = process.env.YUNGUAN_URL ?? 'http://127.0.0.1:8080'

/** Vant's icon font is inline (woff2) with a fallback on a CDN; the bureau's network reaches
 * no CDN and the pages' CSP allows none, so the fallback is dropped. */
const vantIconsOffline: Plugin = {
  name: 'vant-icons-offline',
  transform(code, id) {
    if (!id.includes('/vant/') || !id.endsWith('.css')) return null
    return code.replace(/,url\(\/\/at\.alicdn\.com[^)]*\) format\("woff"\)/, '')
  },
}

/** The mobile app's service worker, at `/mobile/sw.js`, with the build's version in it: the
 * hash of every file the build wrote, so that a release with any change is a new worker. */
const mobileServiceWorker: Plugin = {
  name: 'mobile-service-worker',
  apply: 'build',
  generateBundle(_options, bundle) {
    const version = createHash('sha256').update(Object.keys(bundle).sort().join('\n')).digest('hex').slice(0, 12)
    const source = readFileSync(fileURLToPath(new URL('./src/apps/mobile/sw.js', import.meta.url)), 'utf8').replace('__BUILD__', version)
    this.emitFile({ type: 'asset', fileName: 'mobile/sw.js', source })
  },
}

/** The API reference at `/docs/`: Redoc's standalone bundle (from npm, served by yunguan
 * itself: the bureau's network reaches no CDN) rendering `/api/v1/openapi.json`. The bundle
 * goes in as a hashed asset, without the one file it would fetch from a CDN; the page is
 * `src/apps/docs/index.html` pointing at it. Redoc
 * starts itself on the page's `<redoc spec-url>` element, so the page has no inline script. */
const apiReference: Plugin = {
  name: 'api-reference',
  apply: 'build',
  generateBundle() {
    const read = (path: string) => readFileSync(fileURLToPath(new URL(path, import.meta.url)), 'utf8')
    // Its attribution's logo comes from Redocly's CDN; an empty source makes Redoc drop it.
    const logo = '"https://cdn.redoc.ly/redoc/logo-mini.svg"'
    const redoc = read('./node_modules/redoc/bundles/redoc.standalone.js')
    if (!redoc.includes(logo)) this.error('redoc.standalone.js no longer loads its logo from the CDN: check what it loads now')
    const bundle = this.emitFile({ type: 'asset', name: 'redoc.standalone.js', source: redoc.replace(logo, '""') })
    const page = read('./src/apps/docs/index.html').replace('__REDOC__', `/${this.getFileName(bundle)}`)
    this.emitFile({ type: 'asset', fileName: 'docs/index.html', source: page })
  },
}

export default defineConfig({
  plugins: [
    vue(),
    vantIconsOffline,
    mobileServiceWorker,
    apiReference,
    Components({ resolvers: [ElementPlusResolver({ importStyle: 'css' }), VantResolver({ importStyle: 'css' })], dts: 'src/components.d.ts' }),
  ],
  resolve: {
    alias: {
      '@shared': fileURLToPath(new URL('./src/shared', import.meta.url)),
      '@ops': fileURLToPath(new URL('./src/apps/ops', import.meta.url)),
    },
  },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    // Which chunks each entry and route needs (bench/weight.run.ts reads it).
    manifest: true,
    chunkSizeWarningLimit: 1200,
    rollupOptions: {
      input: {
        root: fileURLToPath(new URL('./index.html', import.meta.url)),
        ops: fileURLToPath(new URL('./ops/index.html', import.meta.url)),
        portal: fileURLToPath(new URL('./portal/index.html', import.meta.url)),
        mobile: fileURLToPath(new URL('./mobile/index.html', import.meta.url)),
        screen: fileURLToPath(new URL('./screen/index.html', import.meta.url)),
      },
    },
  },
  // `npm run dev` against a running yunguan (YUNGUAN_URL, default http://127.0.0.1:8080).
  server: { proxy: { '/api': { target: backend, ws: true } } },
  preview: { proxy: { '/api': { target: backend, ws: true } } },
})
