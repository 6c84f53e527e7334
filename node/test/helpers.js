'use strict'
// Test setup shared by the suites: starts a throwaway emulator (`necid serve --memory
// --port 0 --ready-file F --bucket-dir D`), waits for its ready file, and stops it at
// teardown. The binary is NECID_BIN or the workspace's debug build (built here if missing).
const { spawn, execFileSync } = require('node:child_process')
const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')

const ROOT = path.resolve(__dirname, '..', '..')
const FACES = path.join(ROOT, 'cli', 'assets', 'faces')

function necidBin() {
  if (process.env.NECID_BIN) return process.env.NECID_BIN
  const target = process.env.CARGO_TARGET_DIR
    ? path.resolve(ROOT, process.env.CARGO_TARGET_DIR)
    : path.join(ROOT, 'target')
  const bin = path.join(target, 'x86_64-unknown-linux-gnu', 'debug', 'necid')
  if (!fs.existsSync(bin)) {
    execFileSync('cargo', ['build', '-q', '-p', 'necid-cli'], { cwd: ROOT, stdio: 'inherit' })
  }
  return bin
}

/**
 * Start an emulator; resolves to its ready-file info plus `stop()`. `config` (optional)
 * is written as the emulator's JSON config file (e.g. `{ limits: { bulkPageSize: 1 } }`).
 * `extraArgs` are added to `necid serve` (e.g. `['--tls']`: HTTPS, CA in `caFile`).
 * @param {object} [config]
 * @param {string[]} [extraArgs]
 */
async function startEmulator(config, extraArgs = []) {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'necid-node-'))
  const ready = path.join(work, 'ready.json')
  const buckets = path.join(work, 'buckets')
  fs.mkdirSync(buckets)
  const log = fs.openSync(path.join(work, 'serve.log'), 'w')
  const args = ['serve', '--engine', 'deterministic', '--memory', '--port', '0', '--ready-file', ready, '--bucket-dir', buckets]
  if (config) {
    const file = path.join(work, 'config.json')
    fs.writeFileSync(file, JSON.stringify(config))
    args.push('--config', file)
  }
  args.push(...extraArgs)
  const child = spawn(necidBin(), args, { stdio: ['ignore', log, log] })
  /** @type {{ code: number | null, signal: NodeJS.Signals | null } | null} */
  let exited = null
  child.on('exit', (code, signal) => {
    exited = { code, signal }
  })
  for (let i = 0; i < 600; i++) {
    if (fs.existsSync(ready) && fs.statSync(ready).size > 0) break
    if (exited) break
    await new Promise((r) => setTimeout(r, 50))
  }
  if (!fs.existsSync(ready)) {
    child.kill('SIGKILL')
    throw new Error(
      `emulator did not become ready (${JSON.stringify(exited)}):\n` +
        fs.readFileSync(path.join(work, 'serve.log'), 'utf8'),
    )
  }
  const info = JSON.parse(fs.readFileSync(ready, 'utf8'))
  return {
    ...info,
    work,
    async stop() {
      if (!exited) {
        const gone = new Promise((r) => child.once('exit', r))
        child.kill('SIGTERM')
        await gone
      }
      fs.closeSync(log)
      fs.rmSync(work, { recursive: true, force: true })
    },
  }
}

/**
 * Client options for an emulator (optionally with another API key).
 * @param {{ endpoint: string, tenantEndpoint: string, region: string, accessKeyId: string, secretAccessKey: string, apiKey: string }} emu
 * @param {string} [apiKey]
 */
function optionsFor(emu, apiKey = emu.apiKey) {
  return {
    endpoint: emu.endpoint,
    tenantEndpoint: emu.tenantEndpoint,
    region: emu.region,
    accessKeyId: emu.accessKeyId,
    secretAccessKey: emu.secretAccessKey,
    apiKey,
  }
}

/**
 * Bytes of a sample face photo.
 * @param {string} name
 */
function face(name) {
  return fs.readFileSync(path.join(FACES, name))
}

/** A uniform grey 64×64 24-bit BMP: a valid image with no face in it. */
function blankBmp(w = 64, h = 64) {
  const row = Math.ceil((w * 3) / 4) * 4
  const size = 54 + row * h
  const b = Buffer.alloc(size, 0x80)
  b.write('BM', 0, 'latin1')
  b.writeUInt32LE(size, 2)
  b.writeUInt32LE(0, 6)
  b.writeUInt32LE(54, 10)
  b.writeUInt32LE(40, 14)
  b.writeInt32LE(w, 18)
  b.writeInt32LE(h, 22)
  b.writeUInt16LE(1, 26)
  b.writeUInt16LE(24, 28)
  b.writeUInt32LE(0, 30)
  b.writeUInt32LE(row * h, 34)
  b.writeInt32LE(2835, 38)
  b.writeInt32LE(2835, 42)
  b.writeUInt32LE(0, 46)
  b.writeUInt32LE(0, 50)
  return b
}

module.exports = { ROOT, FACES, startEmulator, optionsFor, face, blankBmp }
