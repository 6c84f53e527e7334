'use strict'
// Test setup shared by the suites: emulators come from the package's own helper,
// necid/testing (the one users get), so every suite exercises it. The binary is
// NECID_BIN or the workspace's debug build (built here if missing).
const { execFileSync } = require('node:child_process')
const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')
const testing = require('../testing.js')

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
 * Start an emulator (necid/testing); resolves to its ready-file info, a scratch folder
 * `work`, the helper's `emulator` and `stop()`. `config` (optional) is the emulator's
 * JSON config (e.g. `{ limits: { bulkPageSize: 1 } }`); `extraArgs` are added to `necid
 * serve` (`'--tls'`: HTTPS, CA in `caFile`).
 * @param {Record<string, unknown>} [config]
 * @param {string[]} [extraArgs]
 */
async function startEmulator(config, extraArgs = []) {
  const emulator = await testing.startEmulator({
    binary: necidBin(),
    config,
    tls: extraArgs.includes('--tls'),
    extraArgs: extraArgs.filter((a) => a !== '--tls'),
  })
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'necid-node-'))
  return {
    ...emulator.info,
    work,
    emulator,
    async stop() {
      await emulator.stop()
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

module.exports = { ROOT, FACES, necidBin, startEmulator, optionsFor, face, blankBmp }
