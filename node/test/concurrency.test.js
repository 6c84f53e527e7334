'use strict'
// Many concurrent calls on one client, the event loop staying free while they run, and
// the process exiting on its own after waitForBulkRegister (its progress callback must
// not keep the loop alive).
const { describe, it, before, after } = require('node:test')
const assert = require('node:assert/strict')
const { execFile } = require('node:child_process')
const fs = require('node:fs')
const path = require('node:path')

const { Client } = require('..')
const { startEmulator, optionsFor, face, FACES } = require('./helpers')

let emu
let client
let gallery

before(async () => {
  emu = await startEmulator()
  const admin = new Client(optionsFor(emu))
  gallery = await admin.createGallery({ name: 'node-concurrency' })
  client = new Client(optionsFor(emu, gallery.apiKey))
})

after(async () => {
  if (emu) await emu.stop()
})

describe('concurrency', () => {
  it('100 concurrent calls on one client all succeed with the right results', async () => {
    const obama = face('obama.jpg')
    const subject = await client.registerSubject(obama)
    let turns = 0
    let spinning = true
    const spin = () => {
      turns++
      if (spinning) setImmediate(spin)
    }
    setImmediate(spin)

    const calls = Array.from({ length: 100 }, (_, i) => {
      switch (i % 5) {
        case 0:
          return client.search(obama).then((r) => ['search', r])
        case 1:
          return client.verifySubject(subject.subjectId, obama).then((r) => ['verify', r])
        case 2:
          return client.listEvents(subject.subjectId).then((r) => ['events', r])
        case 3:
          return client.health().then((r) => ['health', r])
        default:
          return client.createTag(`t${i}`).then(() => ['tag', `t${i}`])
      }
    })
    const results = await Promise.all(calls)
    spinning = false
    assert.equal(results.length, 100)
    for (const [kind, r] of results) {
      if (kind === 'search') assert.equal(r.candidates[0].subjectId, subject.subjectId)
      else if (kind === 'verify') assert.equal(r.verified, true)
      else if (kind === 'events') assert.equal(r.events[0].eventId, subject.eventId)
      else if (kind === 'health') assert.equal(r.ok, true)
    }
    const tags = (await client.listTags()).map((t) => t.name)
    for (const [kind, name] of results) if (kind === 'tag') assert.ok(tags.includes(name), name)
    // the event loop kept turning while the calls were in flight
    assert.ok(turns > 1, `event loop turned ${turns} times`)
  })

  it('a call returns a pending Promise at once; the loop runs before it settles', async () => {
    let settled = false
    const p = client.search(face('biden.jpg')).then((r) => {
      settled = true
      return r
    })
    assert.ok(p instanceof Promise)
    await new Promise((r) => setImmediate(r))
    // a search runs the face engine: it cannot be done within one immediate turn
    // unless the event loop had been blocked on it
    const wasSettled = settled
    await p
    assert.equal(wasSettled, false)
  })
})

describe('worker threads', () => {
  it('each worker gets typed errors; terminating workers with calls in flight is safe', async () => {
    const { Worker } = require('node:worker_threads')
    const net = require('node:net')
    // Fault injection: a server that accepts connections and never answers.
    const sockets = new Set()
    const silent = net.createServer((s) => {
      sockets.add(s)
      s.on('error', () => {})
    })
    await new Promise((r) => silent.listen(0, '127.0.0.1', r))
    const { port } = silent.address()
    const pkg = JSON.stringify(path.resolve(__dirname, '..'))
    try {
      const code = `
        const { parentPort } = require('node:worker_threads')
        const { Client, NetworkError } = require(${pkg})
        const refused = new Client({ endpoint: 'http://127.0.0.1:1', maxAttempts: 1 })
        const hung = new Client({ endpoint: 'http://127.0.0.1:${port}', maxAttempts: 1, requestTimeoutMs: 300 })
        hung.health().catch(() => {})
        refused.health().catch((e) => parentPort.postMessage([e instanceof NetworkError, e.code]))
      `
      for (let i = 0; i < 3; i++) {
        const w = new Worker(code, { eval: true })
        const [isTyped, errCode] = await new Promise((resolve, reject) => {
          w.once('message', resolve)
          w.once('error', reject)
        })
        assert.equal(isTyped, true)
        assert.equal(errCode, 'NETWORK')
        await w.terminate() // the hung call is still in flight
      }
      // the main thread's addon keeps working after the workers are gone
      const c = new Client({ endpoint: `http://127.0.0.1:${port}`, maxAttempts: 1, requestTimeoutMs: 1000 })
      await assert.rejects(c.health(), (e) => e.code === 'TIMED_OUT')
      assert.equal((await client.health()).ok, true)
    } finally {
      for (const s of sockets) s.destroy()
      await new Promise((r) => silent.close(r))
    }
  })
})

describe('process lifetime', () => {
  it('exits by itself after waitForBulkRegister with onProgress (no dangling handle)', async () => {
    const dir = path.join(emu.bucketDir, gallery.id)
    fs.mkdirSync(dir, { recursive: true })
    fs.copyFileSync(path.join(FACES, 'obama2.jpg'), path.join(dir, 'life.jpg'))
    const script = `
      const { Client } = require(${JSON.stringify(path.resolve(__dirname, '..'))})
      const c = new Client(JSON.parse(process.env.OPTS))
      c.bulkRegister([{ filename: 'life.jpg' }])
        .then((id) => c.waitForBulkRegister(id, { pollIntervalMs: 20, onProgress: (p) => console.log('progress', p.processed, p.total) }))
        .then((p) => console.log('done', p.succeeded))
      // no process.exit: the process must end when the work is done
    `
    const out = await new Promise((resolve, reject) => {
      execFile(
        process.execPath,
        ['-e', script],
        { env: { ...process.env, OPTS: JSON.stringify(optionsFor(emu, gallery.apiKey)) }, timeout: 120_000 },
        (err, stdout, stderr) => (err ? reject(new Error(`${err.message}\n${stderr}`)) : resolve(stdout)),
      )
    })
    const lines = out.trim().split('\n')
    assert.equal(lines[lines.length - 1], 'done 1')
    assert.ok(lines.includes('progress 1 1'), out)
  })
})
