'use strict'
// Every error kind, with its fields. Service errors come from the real emulator; the
// network-level kinds and the response shapes the emulator never produces (429, 5xx,
// unreadable bodies, PoorQuality, the service's own Timeout, MultipleFaces) come from
// FAULT-INJECTION servers defined below: a closed port, a server that accepts
// connections and never answers, and a server that returns one canned response.
// The panic tests print Rust's panic message; keep it to one line rather than a backtrace.
process.env.RUST_BACKTRACE = '0'
const { describe, it, before, after } = require('node:test')
const assert = require('node:assert/strict')
const http = require('node:http')
const net = require('node:net')
const util = require('node:util')

const necid = require('..')
const { Client } = necid
const { startEmulator, optionsFor, face, blankBmp } = require('./helpers')

let emu
let client

before(async () => {
  emu = await startEmulator()
  const admin = new Client(optionsFor(emu))
  const g = await admin.createGallery({ name: 'node-errors' })
  client = new Client(optionsFor(emu, g.apiKey))
})

after(async () => {
  if (emu) await emu.stop()
})

/** Assert `promise` rejects with an instance of `cls` whose fields match `fields`. */
async function rejectsWith(promise, cls, fields) {
  let caught
  try {
    await promise
  } catch (e) {
    caught = e
  }
  assert.ok(caught, `expected a rejection with ${cls.name}`)
  assert.ok(caught instanceof cls, `expected ${cls.name}, got ${caught && caught.constructor.name}: ${caught}`)
  assert.ok(caught instanceof necid.NecIdError)
  assert.ok(caught instanceof Error)
  assert.equal(caught.name, cls.name)
  assert.equal(typeof caught.message, 'string')
  assert.equal(typeof caught.stack, 'string')
  for (const [k, v] of Object.entries(fields)) {
    if (v instanceof RegExp) assert.match(String(caught[k]), v, `field ${k}`)
    else assert.deepEqual(caught[k], v, `field ${k}`)
  }
  return caught
}

/** A server answering every request with one canned response (fault injection). */
async function cannedServer(status, body, headers = { 'content-type': 'application/json' }) {
  const server = http.createServer((req, res) => {
    req.resume()
    req.on('end', () => {
      res.writeHead(status, { 'x-amzn-requestid': 'canned-request-id', ...headers })
      res.end(body)
    })
  })
  await new Promise((r) => server.listen(0, '127.0.0.1', r))
  return server
}

function clientFor(server, extra = {}) {
  const { port } = server.address()
  return new Client({
    ...optionsFor(emu),
    endpoint: `http://127.0.0.1:${port}`,
    tenantEndpoint: `http://127.0.0.1:${port}`,
    maxAttempts: 1,
    ...extra,
  })
}

function close(server) {
  if (typeof server.closeAllConnections === 'function') server.closeAllConnections()
  return new Promise((r) => server.close(r))
}

describe('InvalidInputError (caught before sending)', () => {
  it('from validation of arguments', async () => {
    const e = await rejectsWith(client.listSubjects(0, 0), necid.InvalidInputError, {
      code: 'INVALID_INPUT',
      kind: 'InvalidInput',
      field: 'length',
      status: undefined,
      errorCode: undefined,
      errorType: undefined,
      requestId: undefined,
    })
    assert.match(e.message, /length/)
    await rejectsWith(client.registerSubject(Buffer.alloc(0)), necid.InvalidInputError, { field: 'face' })
    await rejectsWith(client.search(Buffer.from('not an image')), necid.InvalidInputError, { field: 'probe' })
    await rejectsWith(client.createTag(''), necid.InvalidInputError, { code: 'INVALID_INPUT' })
    await rejectsWith(client.bulkRegister([]), necid.InvalidInputError, { field: 'registrations' })
    // numbers that are not whole, or negative, are not silently wrapped or truncated
    await rejectsWith(client.listSubjects(-1), necid.InvalidInputError, { field: 'start' })
    await rejectsWith(client.listSubjects(0, 1.5), necid.InvalidInputError, { field: 'length' })
    await rejectsWith(client.search(face('obama.jpg'), { limit: -3 }), necid.InvalidInputError, { field: 'limit' })
    assert.throws(
      () => client.subjects(-5),
      (e) => e instanceof necid.InvalidInputError && e.field === 'length',
    )
  })

  it('from an unreadable image path', async () => {
    await rejectsWith(client.registerSubject('/no/such/file.jpg'), necid.InvalidInputError, {
      code: 'INVALID_INPUT',
      message: /no\/such\/file\.jpg/,
    })
  })

  it('thrown synchronously by the constructor for a bad setting', () => {
    assert.throws(
      () => new Client({ endpoint: 'ftp://example.invalid' }),
      (e) => e instanceof necid.InvalidInputError && e.code === 'INVALID_INPUT' && e.field === 'endpoint',
    )
    assert.throws(() => new Client({ requestTimeoutMs: -1 }), necid.InvalidInputError)
  })

  it('for JS values of the wrong type: InvalidInputError, thrown synchronously', () => {
    const wrongType = (/** @type {() => unknown} */ f) =>
      assert.throws(f, (e) => e instanceof necid.InvalidInputError && e.code === 'INVALID_INPUT' && e.cause instanceof Error)
    // @ts-ignore -- deliberately wrong types
    wrongType(() => client.createTag(5))
    // @ts-ignore
    wrongType(() => client.search({}))
    // @ts-ignore
    wrongType(() => client.signRequest({ method: 'GET' }))
    // @ts-ignore
    wrongType(() => new Client({ endpoint: 5 }))
    // the class is still the class
    assert.ok(new Client(optionsFor(emu)) instanceof Client)
    assert.ok(Client.fromEnv() instanceof Client)
  })

  it('thrown synchronously by signRequest', () => {
    assert.throws(
      () => client.signRequest({ method: 'GET', url: 'not a url' }),
      (e) => e instanceof necid.InvalidInputError && e.field === 'url',
    )
    const anonymous = new Client({ endpoint: emu.endpoint })
    assert.throws(
      () => anonymous.signRequest({ method: 'GET', url: `${emu.endpoint}/v1.1/tags` }),
      (e) => e instanceof necid.InvalidInputError && e.field === 'credentials',
    )
  })
})

describe('service errors from the emulator', () => {
  it('AuthError: wrong secret key', async () => {
    const bad = new Client({ ...optionsFor(emu), secretAccessKey: 'definitely-wrong-secret' })
    const e = await rejectsWith(bad.listTags(), necid.AuthError, {
      code: 'AUTH',
      kind: 'Auth',
      status: 403,
      requestId: /.+/,
    })
    // secrets never leak into errors
    assert.ok(!e.message.includes('definitely-wrong-secret'))
    assert.ok(!util.inspect(e).includes('definitely-wrong-secret'))
    assert.ok(!util.inspect(bad).includes('definitely-wrong-secret'))
  })

  it('AuthError: wrong API key', async () => {
    const bad = new Client(optionsFor(emu, 'no-such-api-key'))
    await rejectsWith(bad.listTags(), necid.AuthError, { status: 403 })
  })

  it('NotFoundError', async () => {
    const e = await rejectsWith(client.unregisterSubject('no-such-subject'), necid.NotFoundError, {
      code: 'NOT_FOUND',
      kind: 'NotFound',
      status: 404,
      requestId: /.+/,
    })
    assert.match(e.message, /no-such-subject/)
  })

  it('DuplicateError', async () => {
    await client.createTag('dup')
    await rejectsWith(client.createTag('dup'), necid.DuplicateError, {
      code: 'DUPLICATE',
      kind: 'Duplicate',
      status: 400,
      errorCode: 1002,
      errorType: 'Duplicate',
      requestId: /.+/,
    })
  })

  it('InvalidRequestError (a tag that does not exist)', async () => {
    await rejectsWith(client.registerSubject(face('obama.jpg'), ['never-created']), necid.InvalidRequestError, {
      code: 'INVALID_REQUEST',
      kind: 'InvalidRequest',
      status: 400,
      errorCode: 1001,
      errorType: 'InvalidRequest',
    })
  })

  it('NoFaceError (a blank picture)', async () => {
    await rejectsWith(client.registerSubject(blankBmp()), necid.NoFaceError, {
      code: 'NO_FACE',
      kind: 'NoFace',
      status: 400,
      errorCode: 2001,
      errorType: 'NoFace',
    })
  })
})

describe('network-level errors (fault injection)', () => {
  it('NetworkError: connection refused on a closed port', async () => {
    const probe = net.createServer()
    await new Promise((r) => probe.listen(0, '127.0.0.1', r))
    const { port } = probe.address()
    await new Promise((r) => probe.close(r))
    const c = new Client({ ...optionsFor(emu), endpoint: `http://127.0.0.1:${port}`, maxAttempts: 1 })
    await rejectsWith(c.health(), necid.NetworkError, {
      code: 'NETWORK',
      kind: 'Network',
      status: undefined,
    })
  })

  it('TimedOutError: a server that accepts and never answers', async () => {
    // Fault injection: the socket is accepted and then left silent.
    const sockets = new Set()
    const silent = net.createServer((s) => {
      sockets.add(s)
      s.on('error', () => {})
    })
    await new Promise((r) => silent.listen(0, '127.0.0.1', r))
    try {
      const c = clientFor(silent, { requestTimeoutMs: 300 })
      await rejectsWith(c.listTags(), necid.TimedOutError, {
        code: 'TIMED_OUT',
        kind: 'TimedOut',
        status: undefined,
      })
    } finally {
      for (const s of sockets) s.destroy()
      await new Promise((r) => silent.close(r))
    }
  })
})

describe('response kinds the emulator never sends (canned responses: fault injection)', () => {
  const cases = [
    ['ThrottledError', 429, '{"message":"Too Many Requests"}', { code: 'THROTTLED', status: 429 }],
    ['ServerError', 502, '{"message":"bad gateway"}', { code: 'SERVER', status: 502 }],
    [
      'PoorQualityError',
      400,
      '{"message":"poor","errorCode":2002,"errorType":"PoorQuality"}',
      { code: 'POOR_QUALITY', status: 400, errorCode: 2002, errorType: 'PoorQuality' },
    ],
    [
      'MultipleFacesError',
      400,
      '{"message":"many","errorCode":"2003","errorType":"MultipleFaces"}',
      { code: 'MULTIPLE_FACES', status: 400, errorCode: 2003, errorType: 'MultipleFaces' },
    ],
    [
      'ServiceTimeoutError',
      400,
      '{"message":"took too long","errorCode":1003,"errorType":"Timeout"}',
      { code: 'TIMEOUT', kind: 'Timeout', status: 400, errorCode: 1003, errorType: 'Timeout' },
    ],
    ['DecodeError', 200, '{"faces": "not a list"', { code: 'DECODE', status: 200 }],
  ]
  for (const [name, status, body, fields] of cases) {
    it(name, async () => {
      const server = await cannedServer(status, body)
      try {
        const c = clientFor(server)
        await rejectsWith(c.extractFaces(face('obama.jpg')), necid[name], {
          ...fields,
          requestId: 'canned-request-id',
        })
      } finally {
        await close(server)
      }
    })
  }
})

describe('retry settings reach the core (fault injection: a server that always answers 503)', () => {
  it('maxAttempts requests are made, then ServerError', async () => {
    let hits = 0
    const server = http.createServer((req, res) => {
      hits++
      req.resume()
      res.writeHead(503, { 'content-type': 'application/json' })
      res.end('{"message":"unavailable"}')
    })
    await new Promise((r) => server.listen(0, '127.0.0.1', r))
    try {
      const c = clientFor(server, { maxAttempts: 4, retryBaseDelayMs: 1, retryMaxDelayMs: 5, maxRetryAfterMs: 5 })
      await rejectsWith(c.listTags(), necid.ServerError, { code: 'SERVER', status: 503 })
      assert.equal(hits, 4)
    } finally {
      await close(server)
    }
  })
})

describe('panics', () => {
  const native = require('../necid.node')

  it('a panic in an async operation rejects the Promise; the process lives on', async () => {
    await rejectsWith(native.__panicForTest(), necid.NecIdError, {
      code: 'INTERNAL',
      message: /panicked.*deliberate test panic \(async\)/,
    })
    // the runtime still serves calls afterwards
    assert.equal((await client.health()).ok, true)
  })

  it('a panic in synchronous binding code throws instead of aborting', () => {
    assert.throws(
      () => native.__panicSyncForTest(),
      (e) => e instanceof necid.NecIdError && e.code === 'INTERNAL' && /deliberate test panic \(sync\)/.test(e.message),
    )
  })
})

describe('the raw addon without index.js', () => {
  it('still rejects with an Error carrying code and the other fields', async () => {
    // A fresh process, so no error factory has been registered.
    const { execFile } = require('node:child_process')
    const path = require('node:path')
    const script = `
      const native = require(${JSON.stringify(path.resolve(__dirname, '..', 'necid.node'))})
      new native.Client({ endpoint: 'http://127.0.0.1:1', maxAttempts: 1 }).health().catch((e) => {
        console.log(JSON.stringify({ isError: e instanceof Error, code: e.code, kind: e.kind, status: e.status ?? null }))
      })
    `
    const out = await new Promise((resolve, reject) =>
      execFile(process.execPath, ['-e', script], (err, stdout, stderr) =>
        err ? reject(new Error(`${err.message}\n${stderr}`)) : resolve(stdout),
      ),
    )
    assert.deepEqual(JSON.parse(out), { isError: true, code: 'NETWORK', kind: 'Network', status: null })
  })
})

describe('paginators end after an error', () => {
  it('subjects() rejects, then is finished', async () => {
    const bad = new Client({ ...optionsFor(emu), secretAccessKey: 'wrong' })
    const pages = bad.subjects(10)
    await rejectsWith(pages.nextPage(), necid.AuthError, { status: 403 })
    assert.equal(await pages.nextPage(), null)
    let iterations = 0
    await assert.rejects(async () => {
      for await (const _ of bad.subjects(10)) iterations++
    }, necid.AuthError)
    assert.equal(iterations, 0)
  })
})

describe('a kind this version does not know', () => {
  // FAULT INJECTION: the core's kinds all have a class here (tests/e2e/tests/surfaces.rs
  // checks it), so the addon never sends an unknown kind; call the hook it uses directly.
  it('is Internal, as in every binding, with the kind name kept in the message', () => {
    const { makeError } = require('../errors.js')
    const e = makeError('Brand', 'BRAND', 'something new', 418, undefined, undefined, 'rid-1')
    assert.equal(e.constructor, necid.NecIdError)
    assert.equal(e.kind, 'Internal')
    assert.equal(e.code, 'INTERNAL')
    assert.equal(e.message, 'Brand: something new')
    assert.equal(e.status, 418)
    assert.equal(e.requestId, 'rid-1')
  })
})
