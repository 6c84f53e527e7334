'use strict'
// Per-call options (the last argument of every operation), AbortSignal cancellation and
// `$metadata`, against the emulator. Latency and errors come from its fault rules; a TCP
// forwarder in front of it (wireWatch) shows that an aborted call closes its connection
// while the emulator still holds the answer back: the request stops on the wire.
const { describe, it, before, after, afterEach } = require('node:test')
const assert = require('node:assert/strict')
const net = require('node:net')

const necid = require('..')
const { Client } = necid
const { startEmulator, optionsFor } = require('./helpers')

let emu

before(async () => {
  emu = await startEmulator()
  await emu.emulator.setRecording(true)
})

afterEach(async () => {
  await emu.emulator.reset()
})

after(async () => {
  if (emu) await emu.stop()
})

/** A forwarder to the emulator counting opened and client-closed connections. */
async function wireWatch() {
  const upstream = new URL(emu.endpoint)
  const state = { opened: 0, closed: 0 }
  const sockets = new Set()
  const server = net.createServer((client) => {
    state.opened++
    sockets.add(client)
    const up = net.connect(Number(upstream.port), upstream.hostname)
    client.pipe(up)
    up.pipe(client)
    const closed = () => {
      if (client.closedSeen) return
      client.closedSeen = true
      state.closed++
      up.destroy()
    }
    client.on('end', closed)
    client.on('close', closed)
    client.on('error', closed)
    up.on('error', () => client.destroy())
  })
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve))
  return {
    state,
    endpoint: `http://127.0.0.1:${server.address().port}`,
    async waitClosed(n, ms) {
      const until = Date.now() + ms
      while (Date.now() < until) {
        if (state.closed >= n) return true
        await new Promise((r) => setTimeout(r, 10))
      }
      return state.closed >= n
    },
    close() {
      for (const s of sockets) s.destroy()
      server.close()
    },
  }
}

const client = (extra) =>
  new Client({ ...optionsFor(emu), retryBaseDelayMs: 10, retryMaxDelayMs: 50, ...extra })

describe('$metadata', () => {
  it('objects and arrays carry the call metadata, non-enumerable', async () => {
    await emu.emulator.addFault({ method: 'GET', path: '/v1.1/tags', fault: 'error', status: 503, count: 1 })
    const c = client({ maxAttempts: 3 })
    const tags = await c.listTags()
    assert.deepEqual(tags, [])
    const m = tags.$metadata
    assert.equal(m.status, 200)
    assert.equal(m.attempts, 2)
    assert.equal(m.clockSkewMs, 0)
    assert.match(m.requestId, /^[0-9a-f-]{36}$/)
    const recorded = (await emu.emulator.requests()).map((r) => r.requestId)
    assert.ok(recorded.includes(m.requestId))

    const health = await c.health()
    assert.equal(health.$metadata.attempts, 1)
    assert.notEqual(health.$metadata.requestId, m.requestId)
    assert.deepEqual(Object.keys(health).sort(), ['ok', 'status'])
    assert.equal(JSON.stringify(health).includes('metadata'), false)
    // A 404 read as an empty page keeps its status.
    const page = await c.listSubjects()
    assert.equal(page.$metadata.status, 404)
    // Operations resolving to undefined have none.
    assert.equal(await c.createTag('meta'), undefined)
  })

  it('withMetadata gives it for calls resolving to undefined, retries counted', async () => {
    const c = client({ maxAttempts: 3, retryBaseDelayMs: 10 })
    await c.createTag('staff')
    await emu.emulator.clearRequests()
    await emu.emulator.addFault({ method: 'DELETE', path: '/v1.1/tags/staff', fault: 'error', status: 503, count: 1 })
    const { result, $metadata: m } = await c.withMetadata((v) => v.deleteTag('staff'))
    assert.equal(result, undefined)
    assert.equal(m.status, 200)
    assert.equal(m.attempts, 2)
    assert.equal(m.clockSkewMs, 0)
    // The request id is the one the emulator answered with (its x-amzn-RequestId,
    // recorded as requestId): the second request's, not the 503's.
    const sent = await emu.emulator.requests({ method: 'DELETE', path: '/v1.1/tags/staff' })
    assert.deepEqual(sent.map((r) => r.status), [503, 200])
    assert.equal(m.requestId, sent[1].requestId)
    assert.notEqual(m.requestId, sent[0].requestId)

    // Concurrent withMetadata calls keep their metadata apart; the last call of a view wins.
    await c.createTag('a')
    await c.createTag('b')
    await emu.emulator.clearRequests()
    await emu.emulator.addFault({ method: 'DELETE', path: '/v1.1/tags/a', fault: 'error', status: 503, count: 1 })
    const [a, b] = await Promise.all([
      c.withMetadata((v) => v.deleteTag('a')),
      c.withMetadata(async (v) => {
        await v.health()
        return v.deleteTag('b')
      }),
    ])
    assert.deepEqual([a.$metadata.attempts, b.$metadata.attempts], [2, 1])
    const ids = Object.fromEntries((await emu.emulator.requests({ method: 'DELETE' })).map((r) => [r.path, r.requestId]))
    assert.equal(a.$metadata.requestId, ids['/v1.1/tags/a'])
    assert.equal(b.$metadata.requestId, ids['/v1.1/tags/b'])

    // Nothing sent: nothing to describe. A rejection propagates.
    const none = await c.withMetadata(() => 'no call')
    assert.deepEqual([none.result, none.$metadata.status, none.$metadata.attempts], ['no call', 0, 0])
    await assert.rejects(c.withMetadata((v) => v.deleteTag('ghost')), (e) => e instanceof necid.NotFoundError && !!e.requestId)
    await assert.rejects(c.withMetadata('nope'), necid.InvalidInputError)
  })
})

describe('call options', () => {
  it('maxAttempts overrides the client for one call', async () => {
    await emu.emulator.addFault({ method: 'GET', path: '/v1.1/tags', fault: 'error', status: 503, count: 2 })
    const c = client({ maxAttempts: 1 })
    await assert.rejects(c.listTags({ maxAttempts: 1 }), (e) => e.code === 'SERVER')
    const tags = await c.listTags({ maxAttempts: 3 })
    assert.equal(tags.$metadata.attempts, 2)
    await assert.rejects(c.listTags({ maxAttempts: 0 }), (e) => e.code === 'INVALID_INPUT' && e.field === 'max_attempts')
  })

  it('extra headers are sent and signed; the SDK-owned ones are refused', async () => {
    const c = client()
    await c.createTag('traced', { headers: { 'X-Correlation-Id': 'node-4711' } })
    const rec = (await emu.emulator.requests({ method: 'POST', path: '/v1.1/tags' })).at(-1)
    assert.equal(rec.headers['x-correlation-id'], 'node-4711')
    assert.match(rec.headers.authorization, /SignedHeaders=[^,]*x-correlation-id/)
    const before = (await emu.emulator.requests()).length
    for (const name of ['Authorization', 'host', 'x-api-key', 'X-Amz-Date']) {
      await assert.rejects(c.listTags({ headers: [[name, 'evil']] }), (e) => e instanceof necid.InvalidInputError && e.field === 'headers')
    }
    assert.equal((await emu.emulator.requests()).length, before, 'refused calls send nothing')
    // The search and bulk wait take them after their own options.
    const found = await c.search(require('./helpers').face('obama.jpg'), {}, { headers: { 'x-trace': '1' } })
    assert.ok(Array.isArray(found.candidates))
  })

  it('a deadline bounds the whole call and closes the connection', async () => {
    await emu.emulator.addFault({ path: '/v1.1/tags', fault: 'latency', delay: { ms: 2000 } })
    const wire = await wireWatch()
    try {
      const c = client({ endpoint: wire.endpoint, maxAttempts: 3 })
      const t = Date.now()
      await assert.rejects(c.listTags({ deadlineMs: 300 }), (e) => e instanceof necid.TimedOutError && /deadline/.test(e.message))
      assert.ok(Date.now() - t < 1500)
      assert.ok(await wire.waitClosed(1, 1000), 'the connection was closed before the answer')
      assert.equal(wire.state.opened, 1)
    } finally {
      wire.close()
    }
  })
})

describe('AbortSignal', () => {
  it('aborting stops the request on the wire and rejects with CancelledError', async () => {
    await emu.emulator.addFault({ path: '/v1.1/tags', fault: 'latency', delay: { ms: 3000 } })
    const wire = await wireWatch()
    try {
      const c = client({ endpoint: wire.endpoint, maxAttempts: 3 })
      const ac = new AbortController()
      setTimeout(() => ac.abort(), 200)
      const t = Date.now()
      await assert.rejects(c.listTags({ signal: ac.signal }), (e) => e instanceof necid.CancelledError && e.code === 'CANCELLED')
      assert.ok(Date.now() - t < 1500)
      assert.ok(await wire.waitClosed(1, 1000), 'aborting closed the connection (not left for 3 s)')
      assert.equal(wire.state.opened, 1, 'no retry after aborting')
      // An aborted signal sends nothing.
      await assert.rejects(c.health({ signal: ac.signal }), (e) => e.code === 'CANCELLED')
      assert.equal(wire.state.opened, 1)
    } finally {
      wire.close()
    }
  })

  it('a long-lived signal keeps no listener per settled call', async () => {
    const ac = new AbortController()
    const c = client()
    const { getEventListeners } = require('node:events')
    for (let i = 0; i < 20; i++) await c.health({ signal: ac.signal })
    assert.equal(getEventListeners(ac.signal, 'abort').length, 0)
  })

  it('waitForBulkRegister takes a signal too', async () => {
    await emu.emulator.addFault({ path: '/v1.1/jobs/bulkregister/**', fault: 'latency', delay: { ms: 3000 } })
    const wire = await wireWatch()
    try {
      const c = client({ endpoint: wire.endpoint })
      const ac = new AbortController()
      setTimeout(() => ac.abort(), 200)
      await assert.rejects(c.waitForBulkRegister('batch-1', {}, { signal: ac.signal }), (e) => e.code === 'CANCELLED')
      assert.ok(await wire.waitClosed(1, 1000))
    } finally {
      wire.close()
    }
  })
})
