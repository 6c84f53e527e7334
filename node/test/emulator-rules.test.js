'use strict'
// The SDK's retry rules through the emulator's own fault rules (its admin API), not a
// mock: Retry-After honoured, a POST that may have been processed never resent, typed
// errors. The emulator's recording counts the attempts that reached it.
const { describe, it, before, after, afterEach } = require('node:test')
const assert = require('node:assert/strict')

const necid = require('..')
const { Client } = necid
const { startEmulator, optionsFor, face } = require('./helpers')

let emu
let apiKey

/** An admin-API call; resolves to the JSON answer (rejects on a non-2xx status). */
async function admin(method, path, body) {
  const r = await fetch(emu.adminEndpoint + path, {
    method,
    body: body === undefined ? undefined : JSON.stringify(body),
    headers: { authorization: `Bearer ${emu.adminToken}`, 'content-type': 'application/json' },
  })
  const json = await r.json()
  if (!r.ok) throw new Error(`${method} ${path}: ${r.status} ${JSON.stringify(json)}`)
  return json
}

const rule = (r) => admin('PUT', '/faults', { seed: 1, rules: [r] })
const sent = async (method, path) =>
  (await admin('GET', `/requests?method=${method}&path=${path}`)).requests.map((r) => r.status)
const client = (extra) =>
  new Client({ ...optionsFor(emu, apiKey), retryBaseDelayMs: 10, retryMaxDelayMs: 50, ...extra })

before(async () => {
  emu = await startEmulator()
  const g = await new Client(optionsFor(emu)).createGallery({ name: 'node-rules' })
  apiKey = g.apiKey
  await admin('PUT', '/recording', { enabled: true })
})

afterEach(async () => {
  await admin('DELETE', '/faults')
  await admin('DELETE', '/requests')
})

after(async () => {
  if (emu) await emu.stop()
})

describe('retries through the emulator fault rules', () => {
  it('the admin API refuses a request without its token', async () => {
    const r = await fetch(emu.adminEndpoint + '/faults')
    assert.equal(r.status, 401)
  })

  it('honours Retry-After', async () => {
    await rule({ method: 'GET', path: '/v1.1/tags', fault: 'error', status: 429, retryAfter: 1, count: 1 })
    const t = Date.now()
    await client({ maxAttempts: 3, maxRetryAfterMs: 5000 }).listTags()
    // A lower bound (the client sleeps at least what it was told): never flaky.
    assert.ok(Date.now() - t >= 1000, 'Retry-After: 1 was not honoured')
    assert.deepEqual(await sent('GET', '/v1.1/tags'), [429, 200])
  })

  it('does not resend a POST the service may have processed', async () => {
    await rule({ method: 'POST', path: '/v1.1/subjects', fault: 'error', status: 500, phase: 'after', count: 1 })
    await assert.rejects(client({ maxAttempts: 4 }).registerSubject(face('obama.jpg')), (e) => {
      assert.ok(e instanceof necid.ServerError, String(e))
      assert.equal(e.status, 500)
      return true
    })
    assert.deepEqual(await sent('POST', '/v1.1/subjects'), [500])
  })

  it('resends a POST the service says it did not process (503)', async () => {
    await rule({ method: 'POST', path: '/v1.1/subjects', fault: 'error', status: 503, retryAfter: 0, count: 1 })
    const r = await client({ maxAttempts: 4 }).registerSubject(face('obama.jpg'))
    assert.ok(r.subjectId)
    assert.deepEqual(await sent('POST', '/v1.1/subjects'), [503, 201])
  })

  it('surfaces typed errors when retries run out', async () => {
    const c = client({ maxAttempts: 2 })
    await rule({ path: '/v1.1/tags', fault: 'error', status: 429, retryAfter: 0 })
    await assert.rejects(c.listTags(), (e) => e instanceof necid.ThrottledError && e.status === 429)
    await rule({ path: '/v1.1/tags', fault: 'timeout' })
    await assert.rejects(
      c.listTags(),
      (e) => e instanceof necid.ServiceTimeoutError && e.errorCode === 1003 && e.code === 'TIMEOUT',
    )
    await rule({ path: '/v1.1/tags', fault: 'reset' })
    await assert.rejects(c.listTags(), (e) => e instanceof necid.NetworkError && e.status === undefined)
    assert.deepEqual(await sent('GET', '/v1.1/tags'), [429, 429, 500, 500, null, null])
  })
})
