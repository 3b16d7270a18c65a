// The real server for browser tests: `yunguan demo --no-chaos` (its simulated network, no
// random faults) on a free port and a fresh database: PostgreSQL with Redis when
// TEST_DATABASE_URL and TEST_REDIS_URL are set (as in CI), else SQLite in a temporary
// folder. Faults are injected through the demo's standard input (`link down NAME IF`).
import { spawn, execFileSync, type ChildProcessWithoutNullStreams } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { randomBytes } from 'node:crypto'
import { afterAll, beforeAll } from 'vitest'

export const PASSWORD = 'e2e-password-1'

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))))
    })
  })
}

function binary(): string {
  const path = process.env.YUNGUAN_BIN
  if (!path) throw new Error('YUNGUAN_BIN must name the yunguan binary (scripts/test sets it)')
  return path
}

export interface Backend {
  databaseUrl?: string
  redisUrl?: string
  redisPrefix?: string
  dataDir: string
  cleanup(): void
}

/** A fresh database: a new PostgreSQL database (and Redis prefix) or a temporary SQLite folder. */
export function freshBackend(options: { embedded?: boolean } = {}): Backend {
  const dataDir = mkdtempSync(join(tmpdir(), 'yunguan-e2e-'))
  const adminUrl = process.env.TEST_DATABASE_URL
  if (options.embedded || !adminUrl) return { dataDir, cleanup: () => rmSync(dataDir, { recursive: true, force: true }) }
  const name = `e2e_${randomBytes(6).toString('hex')}`
  execFileSync('psql', [adminUrl, '-q', '-c', `CREATE DATABASE ${name}`])
  const url = new URL(adminUrl)
  url.pathname = `/${name}`
  return {
    dataDir,
    databaseUrl: url.toString(),
    redisUrl: process.env.TEST_REDIS_URL,
    redisPrefix: `yunguan-${name}`,
    cleanup: () => {
      rmSync(dataDir, { recursive: true, force: true })
      try {
        execFileSync('psql', [adminUrl, '-q', '-c', `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`])
      } catch {
        // A database left behind is harmless; the next run makes its own.
      }
    },
  }
}

export class DemoServer {
  private child: ChildProcessWithoutNullStreams | null = null
  private output = ''
  private answers: ((line: string) => void)[] = []
  port = 0

  /** `extraArgs` go after the demo's own (`--config FILE`, say). */
  constructor(
    readonly backend: Backend,
    readonly extraArgs: string[] = [],
  ) {}

  get url(): string {
    return `http://127.0.0.1:${this.port}`
  }

  /** Starts the demo and resolves when it says `demo ready`. */
  async start(): Promise<void> {
    if (!this.port) this.port = await freePort()
    const args = ['demo', '--no-chaos', '--listen', `127.0.0.1:${this.port}`, '--data-dir', this.backend.dataDir]
    if (this.backend.databaseUrl) args.push('--database-url', this.backend.databaseUrl)
    if (this.backend.redisUrl) args.push('--redis-url', this.backend.redisUrl)
    args.push(...this.extraArgs)
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      YUNGUAN_DEMO_PASSWORD: PASSWORD,
      RUST_LOG: process.env.RUST_LOG ?? 'warn',
      // VMs polled every few seconds, so that pages see their figures move within a test.
      YUNGUAN_MONITORING__VM_POLL_SECS: '3',
    }
    if (this.backend.redisPrefix) env.YUNGUAN_REDIS__KEY_PREFIX = this.backend.redisPrefix
    const child = spawn(binary(), args, { env })
    this.child = child
    this.output = ''
    let buffered = ''
    child.stdout.setEncoding('utf8')
    child.stdout.on('data', (chunk: string) => {
      this.output += chunk
      buffered += chunk
      let newline: number
      while ((newline = buffered.indexOf('\n')) >= 0) {
        const line = buffered.slice(0, newline)
        buffered = buffered.slice(newline + 1)
        if (/^(ok|error:)/.test(line)) this.answers.shift()?.(line)
      }
    })
    child.stderr.setEncoding('utf8')
    child.stderr.on('data', (chunk: string) => {
      this.output += chunk
      if (process.env.E2E_SERVER_LOG) process.stderr.write(chunk)
    })
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`the demo did not get ready:\n${this.output}`)), 120_000)
      const check = () => {
        if (this.output.includes('demo ready')) {
          clearTimeout(timer)
          child.stdout.off('data', check)
          resolve()
        }
      }
      child.stdout.on('data', check)
      child.once('exit', (code) => {
        clearTimeout(timer)
        reject(new Error(`the demo exited with ${code}:\n${this.output}`))
      })
    })
  }

  /** One demo command (`link down switch-00010 25`); resolves with its `ok …` answer. */
  async command(line: string): Promise<string> {
    const child = this.child
    if (!child) throw new Error('the demo is not running')
    const answer = new Promise<string>((resolve) => this.answers.push(resolve))
    child.stdin.write(`${line}\n`)
    const reply = await answer
    if (!reply.startsWith('ok')) throw new Error(`demo command ${line}: ${reply}`)
    return reply
  }

  /** Stops the demo (SIGTERM, as an operator would) and waits for it to exit. */
  async stop(): Promise<void> {
    const child = this.child
    if (!child || child.exitCode !== null) return
    this.child = null
    await new Promise<void>((resolve) => {
      child.once('exit', () => resolve())
      child.kill('SIGTERM')
      setTimeout(() => child.kill('SIGKILL'), 15_000).unref()
    })
  }
}

/** A demo server and a browser for one test file: started before its tests, stopped after. */
export function withDemo(options: { embedded?: boolean; webgl?: boolean } = {}): { server: DemoServer; browser: import('playwright-core').Browser } {
  const state = {} as { backend: Backend; server: DemoServer; browser: import('playwright-core').Browser }
  beforeAll(async () => {
    state.backend = freshBackend(options)
    state.server = new DemoServer(state.backend)
    await state.server.start()
    const { launch } = await import('./browser')
    state.browser = await launch({ webgl: options.webgl })
  })
  afterAll(async () => {
    await state.browser?.close()
    await state.server?.stop()
    state.backend?.cleanup()
  })
  return state
}
