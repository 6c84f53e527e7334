'use strict'
// necid/testing: test your own code offline against the emulator (`necid serve`).
//
//   const { startEmulator } = require('necid/testing')
//   await using emu = await startEmulator()          // or: try { … } finally { await emu.stop() }
//   await emu.client.registerSubject(face)
//
// The emulator runs on a free port, in memory (or a temporary SQLite file), with
// `--stop-on-stdin-eof` and a pipe as its stdin: it stops by itself when this process
// ends in any way (killed, or with SIGTERM blocked), on top of stop() and process exit.
const { spawn } = require('node:child_process')
const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')
const { platformId } = require('./loader.js')

const EXE = process.platform === 'win32' ? 'necid.exe' : 'necid'
/** The face engines of the emulator. */
const ENGINES = ['deterministic', 'real']

/** Where a packaged `necid` lives: beside this file (bin/), or in the platform package
 * `necid-<platform>` that also carries the addon (see loader.js). */
function packagedBinaries() {
  const found = [path.join(__dirname, 'bin', EXE)]
  const id = platformId()
  try {
    found.push(path.join(path.dirname(require.resolve(`necid-${id}/package.json`)), 'bin', EXE))
  } catch {
    found.push(`the platform package necid-${id}/bin/${EXE} (not installed)`)
  }
  return found
}

/** A clear error (`code` 'NECID_EMULATOR') about starting the emulator. */
class EmulatorError extends Error {
  /** @param {string} message @param {string} [code] */
  constructor(message, code = 'NECID_EMULATOR') {
    super(message)
    this.name = 'EmulatorError'
    this.code = code
  }
}

/**
 * The `necid` executable: `binary`, else `$NECID_BIN`, else the packaged one (`bin/necid`
 * in this package or its platform package `necid-<platform>`), else `necid` on PATH.
 * Throws an EmulatorError (code 'NECID_BIN_NOT_FOUND') naming all four.
 * @param {string} [binary]
 * @returns {string}
 */
function findBinary(binary) {
  if (binary) {
    if (!fs.existsSync(binary)) {
      throw new EmulatorError(`the necid executable given (${binary}) does not exist`, 'NECID_BIN_NOT_FOUND')
    }
    return binary
  }
  const env = process.env.NECID_BIN
  if (env) {
    if (!fs.existsSync(env)) {
      throw new EmulatorError(
        `NECID_BIN is set to ${env}, which does not exist (unset it to use the packaged necid or the one on PATH)`,
        'NECID_BIN_NOT_FOUND',
      )
    }
    return env
  }
  const packaged = packagedBinaries()
  for (const p of packaged) if (fs.existsSync(p)) return p
  for (const dir of (process.env.PATH || '').split(path.delimiter)) {
    if (dir && fs.existsSync(path.join(dir, EXE))) return path.join(dir, EXE)
  }
  throw new EmulatorError(
    'no necid executable found; looked at, in order: (1) the binary option (not given), ' +
      '(2) the NECID_BIN environment variable (not set), (3) the packaged one (' +
      packaged.join(', ') +
      ': absent), (4) necid on PATH (none). Install the necid CLI (cargo install necid-cli, ' +
      'or a release archive) and put it on PATH or set NECID_BIN.',
    'NECID_BIN_NOT_FOUND',
  )
}

/** @type {Set<{ kill(): void }>} emulators still running: killed when Node exits */
const live = new Set()
process.once('exit', () => {
  for (const c of live) c.kill()
})

/**
 * Start a throwaway emulator and wait until it is ready. See testing.d.ts.
 * @param {import('./testing').EmulatorOptions} [options]
 * @returns {Promise<import('./testing').Emulator>}
 */
async function startEmulator(options = {}) {
  const engine = options.engine || 'deterministic'
  if (!ENGINES.includes(engine)) {
    throw new EmulatorError(
      `unknown engine '${engine}': choose 'deterministic' (fast, the same picture matches) or 'real' (the offline face engine)`,
    )
  }
  const storage = options.storage || 'memory'
  if (storage !== 'memory' && storage !== 'sqlite') {
    throw new EmulatorError(`unknown storage '${storage}': choose 'memory' or 'sqlite'`)
  }
  if (options.seed !== undefined && !(fs.existsSync(options.seed) && fs.statSync(options.seed).isDirectory())) {
    throw new EmulatorError(`the seed folder ${options.seed} does not exist or is not a folder`)
  }
  const port = options.port ?? 0
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new EmulatorError(`port ${port} is out of range (0-65535; 0 picks a free port)`)
  }
  const exe = findBinary(options.binary)
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'necid-emulator-'))
  const ready = path.join(work, 'ready.json')
  const buckets = path.join(work, 'buckets')
  const args = ['serve', '--engine', engine, '--port', String(port), '--ready-file', ready]
  args.push('--bucket-dir', buckets, '--stop-on-stdin-eof')
  if (storage === 'memory') args.push('--memory')
  else args.push('--db', path.join(work, 'emulator.db'))
  if (options.seed !== undefined) args.push('--seed', options.seed)
  if (options.faults) {
    const plan = Array.isArray(options.faults) ? { rules: options.faults } : options.faults
    const file = path.join(work, 'faults.json')
    fs.writeFileSync(file, JSON.stringify(plan))
    args.push('--faults', file)
  }
  if (options.config) {
    const file = path.join(work, 'config.json')
    fs.writeFileSync(file, JSON.stringify(options.config))
    args.push('--config', file)
  }
  if (options.record) args.push('--record', path.join(work, 'record'))
  if (options.lenient) args.push('--lenient')
  if (options.tls) args.push('--tls', '--tls-ca-file', path.join(work, 'ca.pem'))
  args.push(...(options.extraArgs || []))
  const logFile = path.join(work, 'serve.log')
  const log = fs.openSync(logFile, 'w')
  const output = () => {
    try {
      return fs.readFileSync(logFile, 'utf8')
    } catch {
      return ''
    }
  }
  const child = spawn(exe, args, { stdio: ['pipe', log, log] })
  fs.closeSync(log)
  // Neither the process nor its pipe keeps Node alive: when Node exits, the pipe
  // closes and the emulator stops.
  child.unref()
  const stdin = /** @type {any} */ (child.stdin)
  if (stdin && typeof stdin.unref === 'function') stdin.unref()
  live.add(child)
  /** @type {{ code: number | null, signal: string | null } | null} */
  let exited = null
  const gone = new Promise((resolve) => {
    child.once('exit', (code, signal) => {
      exited = { code, signal }
      live.delete(child)
      resolve(undefined)
    })
  })
  /** @type {Error | null} */
  let spawnError = null
  child.once('error', (e) => {
    spawnError = e
    live.delete(child)
  })
  let stopped = false
  const stop = async () => {
    if (stopped) return
    stopped = true
    if (!exited && !spawnError) {
      child.stdin?.end()
      child.kill('SIGTERM')
      const timer = setTimeout(() => child.kill('SIGKILL'), 10000)
      await gone
      clearTimeout(timer)
    }
    live.delete(child)
    fs.rmSync(work, { recursive: true, force: true })
  }

  const timeoutMs = options.startupTimeoutMs ?? 120000
  const deadline = Date.now() + timeoutMs
  for (;;) {
    if (fs.existsSync(ready) && fs.statSync(ready).size > 0) break
    if (spawnError) {
      await stop()
      throw new EmulatorError(`could not run ${exe}: ${/** @type {Error} */ (spawnError).message}`)
    }
    if (exited) {
      const why = /** @type {{ code: number | null, signal: string | null }} */ (exited)
      const text = output()
      await stop()
      throw new EmulatorError(
        `the emulator exited (status ${why.code ?? why.signal}) before it was ready:\n${text}`,
      )
    }
    if (Date.now() > deadline) {
      const text = output()
      await stop()
      throw new EmulatorError(`the emulator was not ready after ${timeoutMs} ms:\n${text}`)
    }
    await new Promise((r) => setTimeout(r, 20))
  }
  const info = JSON.parse(fs.readFileSync(ready, 'utf8'))
  info.bucketDir = info.bucketDir || buckets

  /** @param {Record<string, unknown>} [overrides] */
  const clientOptions = (overrides = {}) => ({
    endpoint: info.endpoint,
    tenantEndpoint: info.tenantEndpoint,
    region: info.region,
    accessKeyId: info.accessKeyId,
    secretAccessKey: info.secretAccessKey,
    apiKey: info.apiKey,
    ...(info.caFile ? { caBundle: info.caFile } : {}),
    ...overrides,
  })
  const { Client } = require('./index.js')
  /** @param {Record<string, unknown>} [overrides] */
  const newClient = (overrides) => new Client(clientOptions(overrides))

  /**
   * @param {string} method
   * @param {string} p
   * @param {unknown} [body]
   * @returns {Promise<any>}
   */
  const admin = async (method, p, body) => {
    const r = await fetch(info.adminEndpoint + p, {
      method,
      body: body === undefined ? undefined : JSON.stringify(body),
      headers: { authorization: `Bearer ${info.adminToken}`, 'content-type': 'application/json' },
    })
    const text = await r.text()
    if (!r.ok) throw new EmulatorError(`admin ${method} ${p}: ${r.status} ${text}`)
    return JSON.parse(text)
  }

  const emu = {
    info,
    endpoint: /** @type {string} */ (info.endpoint),
    pid: /** @type {number} */ (child.pid),
    client: newClient(),
    clientOptions,
    newClient,
    output,
    stop,
    get running() {
      return !exited && !stopped
    },
    admin,
    /** @param {Record<string, unknown>} rule */
    addFault: (rule) => admin('POST', '/faults', rule),
    /** @param {Record<string, unknown>[]} rules @param {number} [seed] */
    setFaults: async (rules, seed) => {
      await admin('PUT', '/faults', seed === undefined ? { rules } : { rules, seed })
    },
    clearFaults: async () => {
      await admin('DELETE', '/faults')
    },
    /** @param {boolean} enabled */
    setRecording: async (enabled) => {
      await admin('PUT', '/recording', { enabled })
    },
    /** @param {{ method?: string, path?: string }} [filter] */
    requests: async (filter = {}) => {
      const q = new URLSearchParams()
      if (filter.method) q.set('method', filter.method)
      if (filter.path) q.set('path', filter.path)
      const s = q.toString()
      return (await admin('GET', '/requests' + (s ? `?${s}` : ''))).requests
    },
    clearRequests: async () => {
      await admin('DELETE', '/requests')
    },
    /** @param {string} [galleryId] */
    reset: async (galleryId) => {
      await admin('POST', galleryId ? `/galleries/${encodeURIComponent(galleryId)}/reset` : '/reset')
    },
    seeded: async () => (await admin('GET', '/seed')).seeded,
    /** @param {number} [size] */
    newGallery: async (size = 1000) => {
      const tenant = newClient()
      const gallery = await tenant.createGallery({ name: `test-${Math.random().toString(16).slice(2, 14)}`, size })
      return {
        gallery,
        client: newClient({ apiKey: gallery.apiKey }),
        delete: () => tenant.deleteGallery(gallery.id),
      }
    },
    [Symbol.asyncDispose || Symbol.for('nodejs.asyncDispose')]: stop,
  }
  return emu
}

module.exports = { startEmulator, findBinary, EmulatorError, ENGINES }
