'use strict'
// Refreshable credentials: `credentialsProvider` (sync or async) asked before a request
// when the client holds none or they expire within 10 s; a rotation in the middle of a bulk
// wait (the emulator accepts the old and the new key: --extra-access-key; its first
// progress poll answers 503 once, so the wait is retrying when the provider rotates); the
// new key being what signs afterwards; a provider that throws or rejects.
const { describe, it, after } = require('node:test')
const assert = require('node:assert/strict')
const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')

const { Client } = require('..')
const { startEmulator, FACES } = require('./helpers')

const ROTATED = ['AKIDROTATEDEXAMPLE', 'rotated-secret-value-0123456789']
const FIRST_POLL_FAILS = {
  rules: [
    {
      method: 'GET',
      path: '/v1.1/jobs/bulkregister/**',
      fault: 'error',
      status: 503,
      retryAfter: 0,
      count: 1,
    },
  ],
}

const emulators = []
after(async () => {
  for (const e of emulators) await e.stop()
})

async function emulator(faults) {
  const args = ['--extra-access-key', ROTATED.join(':')]
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'necid-node-faults-'))
  if (faults) {
    const file = path.join(dir, 'faults.json')
    fs.writeFileSync(file, JSON.stringify(faults))
    args.push('--faults', file)
  }
  try {
    const emu = await startEmulator(undefined, args)
    emulators.push(emu)
    return emu
  } finally {
    fs.rmSync(dir, { recursive: true, force: true }) // read at start
  }
}

/** The dev key for the first `rotateAfter` answers, then `then`. */
function rotating(emu, then, rotateAfter, validForMs, { async = false } = {}) {
  const state = { calls: 0, rotated: 0 }
  state.fn = () => {
    state.calls++
    let key = [emu.accessKeyId, emu.secretAccessKey]
    if (state.calls > rotateAfter) {
      state.rotated++
      key = then
    }
    const c = { accessKeyId: key[0], secretAccessKey: key[1], sessionToken: 'session-token-value' }
    if (validForMs !== null) c.expiration = Date.now() + validForMs
    return async ? Promise.resolve(c) : c
  }
  return state
}

const clientFor = (emu, provider, extra = {}) =>
  new Client({
    endpoint: emu.endpoint,
    tenantEndpoint: emu.tenantEndpoint,
    apiKey: emu.apiKey,
    credentialsProvider: provider,
    ...extra,
  })

describe('credentials provider', () => {
  it('caches credentials until shortly before they expire', async () => {
    const emu = await emulator()
    const hour = rotating(emu, ROTATED, 1e9, 3600e3)
    const c = clientFor(emu, hour.fn, { maxAttempts: 1 })
    for (let i = 0; i < 3; i++) await c.listTags()
    assert.equal(hour.calls, 1)
    const soon = rotating(emu, ROTATED, 1e9, 5000, { async: true })
    const s = clientFor(emu, soon.fn, { maxAttempts: 1 })
    for (let i = 0; i < 3; i++) await s.listTags()
    assert.equal(soon.calls, 3)
  })

  async function bulkWait(then) {
    const emu = await emulator(FIRST_POLL_FAILS)
    const folder = path.join(emu.bucketDir, 'default')
    fs.mkdirSync(folder, { recursive: true })
    for (const f of ['obama.jpg', 'biden.jpg']) fs.copyFileSync(path.join(FACES, f), path.join(folder, f))
    const provider = rotating(emu, then, 2, 0, { async: true })
    const c = clientFor(emu, provider.fn, { maxAttempts: 3, retryBaseDelayMs: 5 })
    const batch = await c.bulkRegister([{ filename: 'obama.jpg' }, { filename: 'biden.jpg' }])
    const wait = c.waitForBulkRegister(batch, { pollIntervalMs: 20 })
    return { wait, provider }
  }

  it('rotates in the middle of a bulk wait', async () => {
    const { wait, provider } = await bulkWait(ROTATED)
    const done = await wait
    assert.equal(done.done, true)
    assert.equal(done.succeeded, 2)
    assert.ok(provider.rotated >= 1)
  })

  it('signs with the new key after the rotation', async () => {
    const { wait, provider } = await bulkWait(['AKIDUNKNOWN', 'unknown-secret'])
    await assert.rejects(wait, (e) => {
      assert.equal(e.kind, 'Auth')
      assert.ok(!e.message.includes('unknown-secret'))
      return true
    })
    assert.equal(provider.rotated, 1)
  })

  it('fails the call when the provider throws or rejects', async () => {
    const emu = await emulator()
    let calls = 0
    const c = clientFor(emu, () => {
      calls++
      throw new Error('token service unavailable')
    })
    await assert.rejects(c.listTags(), (e) => e.kind === 'Auth' && /token service unavailable/.test(e.message))
    await assert.rejects(c.listTags(), (e) => e.kind === 'Auth')
    assert.equal(calls, 2)
    const r = clientFor(emu, () => Promise.reject(new Error('rejected on purpose')))
    await assert.rejects(r.listTags(), (e) => e.kind === 'Auth' && /rejected on purpose/.test(e.message))
    assert.throws(
      () => new Client({ accessKeyId: 'a', secretAccessKey: 'b', credentialsProvider: () => ({}) }),
      (e) => e.kind === 'InvalidInput' && e.field === 'credentials_provider',
    )
  })
})
