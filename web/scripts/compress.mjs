// Writes a Brotli (.br) and a gzip (.gz) copy beside every compressible file of the build,
// so that the server sends precompressed bytes and spends no CPU compressing per request.
import { readdir, readFile, writeFile, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { brotliCompressSync, gzipSync, constants } from 'node:zlib'

const root = new URL('../dist/', import.meta.url).pathname
const compressible = /\.(js|mjs|css|html|svg|json|txt|map)$/
let files = 0
let plain = 0
let brotli = 0

async function walk(dir) {
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name)
    if (entry.isDirectory()) await walk(path)
    else if (compressible.test(entry.name) && (await stat(path)).size >= 512) {
      const bytes = await readFile(path)
      const br = brotliCompressSync(bytes, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } })
      await writeFile(`${path}.br`, br)
      await writeFile(`${path}.gz`, gzipSync(bytes, { level: 9 }))
      files += 1
      plain += bytes.length
      brotli += br.length
    }
  }
}
await walk(root)
console.log(`compressed ${files} files: ${(plain / 1024).toFixed(0)} KiB → ${(brotli / 1024).toFixed(0)} KiB brotli`)
