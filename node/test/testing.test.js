'use strict'
// necid/testing as users run it: the README's example as a user's test file in a separate
// `node --test` process, failing and killed runners (the process table must hold no
// emulator afterwards), bad options, the binary lookup.
const { test } = require('node:test')
const assert = require('node:assert')
const fs = require('node:fs')
const net = require('node:net')
const os = require('node:os')
const path = require('node:path')
const { spawnSync } = require('node:child_process')
const { FACES, necidBin } = require('./helpers')
const { startEmulator, findBinary, EmulatorError } = require('../testing.js')

const PKG = path.resolve(__dirname, '..')

/** The environment of a user's separate test process (not a child of this runner). */
function userEnv() {
  const env = { ...process.env, NECID_BIN: necidBin() }
  delete env.NODE_TEST_CONTEXT
  return env
}

/** @param {number} pid */
function alive(pid) {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8')
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3)
    return state !== 'Z' && state !== 'X'
  } catch {
    return false
  }
}

/** A user's project folder: node_modules/necid is this package, face.jpg beside the test. */
function project() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'necid-user-'))
  fs.mkdirSync(path.join(dir, 'node_modules'))
  fs.symlinkSync(PKG, path.join(dir, 'node_modules', 'necid'))
  fs.copyFileSync(path.join(FACES, 'obama.jpg'), path.join(dir, 'face.jpg'))
  return dir
}

/** @param {string} dir @param {string} file */
function runNodeTest(dir, file) {
  return spawnSync(process.execPath, ['--test', file], {
    cwd: dir,
    encoding: 'utf8',
    env: userEnv(),
    timeout: 300000,
  })
}

test("the README's example passes as a user's test file", () => {
  const readme = fs.readFileSync(path.join(PKG, 'README.md'), 'utf8')
  const section = readme.split('## Testing your code offline')[1]
  const code = /```js\n([\s\S]*?)```/.exec(section)
  assert.ok(code, "no js block in the README's 'Testing your code offline'")
  const dir = project()
  fs.writeFileSync(path.join(dir, 'example.test.js'), code[1])
  const got = runNodeTest(dir, 'example.test.js')
  assert.strictEqual(got.status, 0, got.stdout + got.stderr)
  assert.match(got.stdout, /# pass 2/)
  fs.rmSync(dir, { recursive: true, force: true })
})

test('a test that fails on purpose leaves no emulator running', { skip: !fs.existsSync('/proc/self/stat') && 'reads /proc (Linux)' }, () => {
  const dir = project()
  fs.writeFileSync(
    path.join(dir, 'fail.test.js'),
    `const { test } = require('node:test')
const fs = require('node:fs')
const { startEmulator } = require('necid/testing')
test('fails', async (t) => {
  const emu = await startEmulator()
  t.after(() => emu.stop())
  fs.writeFileSync('pid', String(emu.pid))
  await emu.client.health()
  throw new Error('failing on purpose')
})
`,
  )
  const got = runNodeTest(dir, 'fail.test.js')
  assert.strictEqual(got.status, 1, got.stdout + got.stderr)
  assert.match(got.stdout, /failing on purpose/)
  const pid = Number(fs.readFileSync(path.join(dir, 'pid'), 'utf8'))
  assert.ok(!alive(pid), `emulator ${pid} still running`)
  fs.rmSync(dir, { recursive: true, force: true })
})

test('a killed test process leaves no emulator running', { skip: !fs.existsSync('/proc/self/stat') && 'reads /proc (Linux)' }, async () => {
  const dir = project()
  fs.writeFileSync(
    path.join(dir, 'killed.test.js'),
    `const { test } = require('node:test')
const fs = require('node:fs')
const { startEmulator } = require('necid/testing')
test('killed', async () => {
  const emu = await startEmulator()
  await emu.client.health()
  fs.writeFileSync('pid', String(emu.pid))
  process.kill(process.pid, 'SIGKILL')
})
`,
  )
  const got = spawnSync(process.execPath, ['killed.test.js'], {
    cwd: dir,
    encoding: 'utf8',
    env: userEnv(),
  })
  assert.strictEqual(got.signal, 'SIGKILL', got.stdout + got.stderr)
  const pid = Number(fs.readFileSync(path.join(dir, 'pid'), 'utf8'))
  // Nobody stops it: it sees its stdin close. A deadline so a regression fails, not a speed check.
  const deadline = Date.now() + 60000
  while (alive(pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50))
  assert.ok(!alive(pid), `emulator ${pid} outlived its killed parent`)
  fs.rmSync(dir, { recursive: true, force: true })
})

test('bad options fail at once with a clear error', async () => {
  await assert.rejects(startEmulator({ binary: necidBin(), engine: /** @type {any} */ ('fast') }), /unknown engine 'fast'/)
  await assert.rejects(startEmulator({ binary: necidBin(), seed: '/nonexistent/faces' }), /seed folder \/nonexistent\/faces does not exist/)
  const server = net.createServer()
  await new Promise((r) => server.listen(0, '127.0.0.1', () => r(undefined)))
  const port = /** @type {net.AddressInfo} */ (server.address()).port
  try {
    await assert.rejects(
      startEmulator({ binary: necidBin(), port }),
      (e) => e instanceof EmulatorError && /exited .* before it was ready/.test(e.message) && /in use/.test(e.message),
    )
  } finally {
    server.close()
  }
  await assert.rejects(
    startEmulator({ binary: necidBin(), faults: [{ fault: 'error', status: 418 }] }),
    /status 418 is not one of/,
  )
})

test('the binary lookup names the four places', () => {
  const bin = necidBin()
  const saved = { bin: process.env.NECID_BIN, path: process.env.PATH }
  try {
    delete process.env.NECID_BIN
    process.env.PATH = ''
    // An installed prebuilt package carries necid in its platform package (95-dist runs this
    // file against one): then that one is found, before PATH; a checkout has none.
    let packaged = null
    try {
      packaged = findBinary()
    } catch (e) {
      assert.ok(
        e instanceof EmulatorError &&
          e.code === 'NECID_BIN_NOT_FOUND' &&
          ['binary option', 'NECID_BIN', 'packaged', 'PATH'].every((w) => e.message.includes(w)),
        String(e),
      )
    }
    if (packaged !== null) assert.match(packaged, /[\\/]necid-[a-z0-9-]+[\\/]bin[\\/]necid(\.exe)?$/)
    process.env.PATH = path.dirname(bin)
    assert.strictEqual(findBinary(), packaged ?? path.join(path.dirname(bin), 'necid'))
    process.env.NECID_BIN = '/nonexistent/necid'
    assert.throws(() => findBinary(), /NECID_BIN is set to \/nonexistent\/necid/)
    assert.strictEqual(findBinary(bin), bin)
  } finally {
    if (saved.bin === undefined) delete process.env.NECID_BIN
    else process.env.NECID_BIN = saved.bin
    process.env.PATH = saved.path
  }
})

test('recording, fault rules, a fresh gallery and asyncDispose', async () => {
  const emu = await startEmulator({ binary: necidBin(), record: true, storage: 'sqlite' })
  try {
    await emu.addFault({ method: 'GET', path: '/v1.1/tags', fault: 'error', status: 503 })
    const c = emu.newClient({ maxAttempts: 2 })
    await assert.rejects(c.listTags(), (e) => /** @type {any} */ (e).status === 503)
    assert.deepStrictEqual((await emu.requests({ path: '/v1.1/tags' })).map((r) => r.status), [503, 503])
    await emu.clearFaults()
    const g = await emu.newGallery()
    assert.deepStrictEqual((await g.client.search(fs.readFileSync(path.join(FACES, 'obama.jpg')))).candidates, [])
    await g.delete()
  } finally {
    await emu[Symbol.asyncDispose || Symbol.for('nodejs.asyncDispose')]()
  }
  assert.ok(!emu.running)
  assert.ok(!alive(emu.pid))
})
