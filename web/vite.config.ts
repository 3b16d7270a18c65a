// One Vite project, one HTML entry per app: the root (login and the dispatcher to each
// person's app), the ops portal and the service portal. Element Plus is imported per component (the resolver),
// never whole, so each route loads only what it shows.
import { fileURLToPath, URL } from 'node:url'
import { defineConfig } from 'vite'
import vue from '@vitejs/plugin-vue'
import Components from 'unplugin-vue-components/vite'
import { ElementPlusResolver } from 'unplugin-vue-components/resolvers'

const backend = process.env.YUNGUAN_URL ?? 'http://127.0.0.1:8080'

export default defineConfig({
  plugins: [
    vue(),
    Components({ resolvers: [ElementPlusResolver({ importStyle: 'css' })], dts: 'src/components.d.ts' }),
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
      },
    },
  },
  // `npm run dev` against a running yunguan (YUNGUAN_URL, default http://127.0.0.1:8080).
  server: { proxy: { '/api': { target: backend, ws: true } } },
  preview: { proxy: { '/api': { target: backend, ws: true } } },
})
