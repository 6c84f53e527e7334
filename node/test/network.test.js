'use strict'
// Network settings through a real forward proxy on loopback (`necid-test-proxy`, built by
// the suite from tests/e2e): `proxy` for http:// (absolute-form requests) and https:// (a
// CONNECT tunnel with the emulator's generated CA), proxy credentials that never show, and
// the connection pool seen from the proxy (one SEEN line per connection it accepted).
const { describe, it, before, after } = require('node:test')
const assert = require('node:assert/strict')
const { spawn } = require('node:child_process')
const net = require('node:net')
const path = require('node:path')
const readline = require('node:readline')

const { Client } = require('..')
const { ROOT, startEmulator, optionsFor } = require('./helpers')

const PROXY_BIN =
  process.env.NECID_TEST_PROXY ||
  path.join(ROOT, 'target', 'x86_64-unknown-linux-gnu', 'debug', 'necid-test-proxy')

/** Start the proxy process; resolves to { url, seen, waitSeen(n), stop() }. */
function startProxy(args = []) {
  const proc = spawn(PROXY_BIN, args, { stdio: ['pipe', 'pipe', 'inherit'] })
  const seen = []
  return new Promise((resolve, reject) => {
    proc.once('error', reject)
    const lines = readline.createInterface({ input: proc.stdout })
    lines.on('line', (line) => {
      if (line.startsWith('READY ')) {
        resolve({
          url: line.slice(6),
          seen,
          async waitSeen(n) {
            // The proxy prints before it forwards; give a late line 100 ms to show up.
            const deadline = Date.now() + 10000
            while (seen.length < n && Date.now() < deadline) await sleep(20)
            await sleep(100)
            return [...seen]
          },
          stop() {
            // The proxy exits when its stdin closes.
            return new Promise((done) => {
              if (proc.exitCode !== null) return done()
              const timer = setTimeout(() => proc.kill('SIGKILL'), 10000)
              proc.once('exit', () => {
                clearTimeout(timer)
                done()
              })
              proc.stdin.end()
            })
          },
        })
      } else if (line.startsWith('SEEN ')) {
        seen.push(line.slice(5))
      }
    })
  })
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms))

function closedPort() {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address()
      s.close(() => resolve(`127.0.0.1:${port}`))
    })
  })
}

let plain
let tls
const proxies = []
async function proxy(args) {
  const p = await startProxy(args)
  proxies.push(p)
  return p
}

before(async () => {
  plain = await startEmulator()
  tls = await startEmulator(undefined, ['--tls'])
})

after(async () => {
  for (const p of proxies) await p.stop()
  if (plain) await plain.stop()
  if (tls) await tls.stop()
})

describe('network settings', () => {
  it('sends http calls through the explicit proxy', async () => {
    const p = await proxy()
    const c = new Client({ ...optionsFor(plain), proxy: p.url })
    assert.equal((await c.health()).ok, true)
    await c.listTags()
    const seen = await p.waitSeen(1)
    assert.ok(seen.length > 0 && seen.every((l) => l.includes(` ${plain.endpoint}/`)), seen)
    // Without the option the client goes direct.
    await new Client(optionsFor(plain)).health()
    assert.deepEqual(await p.waitSeen(seen.length), seen)
  })

  it('tunnels https calls through the proxy with CONNECT', async () => {
    const p = await proxy()
    const c = new Client({ ...optionsFor(tls), proxy: p.url, caBundle: tls.caFile })
    assert.equal((await c.health()).ok, true)
    const hostPort = tls.endpoint.split('://')[1]
    assert.deepEqual(await p.waitSeen(1), [`CONNECT ${hostPort} HTTP/1.1`])
  })

  it('never shows the proxy password', async () => {
    const p = await proxy(['--auth', 'necid:pr0xy-pa55word'])
    const authority = p.url.split('://')[1]
    const good = new Client({
      ...optionsFor(plain),
      maxAttempts: 1,
      proxy: `http://necid:pr0xy-pa55word@${authority}`,
    })
    assert.equal((await good.health()).ok, true)
    const bad = new Client({
      ...optionsFor(plain),
      maxAttempts: 1,
      proxy: `http://necid:wr0ng-pa55word@${authority}`,
    })
    await assert.rejects(bad.listTags(), (e) => {
      assert.equal(e.status, 407)
      assert.ok(!`${e.message} ${e.stack}`.includes('wr0ng-pa55word'))
      return true
    })
    const closed = new Client({
      ...optionsFor(plain),
      maxAttempts: 1,
      proxy: `http://necid:wr0ng-pa55word@${await closedPort()}`,
    })
    await assert.rejects(closed.health(), (e) => {
      assert.equal(e.kind, 'Network')
      assert.ok(!e.message.includes('wr0ng-pa55word'))
      return true
    })
  })

  it('rejects a bad proxy URL naming the option', () => {
    assert.throws(
      () => new Client({ proxy: 'ftp://user:s3cret-value@host:21' }),
      (e) => {
        assert.equal(e.kind, 'InvalidInput')
        assert.equal(e.field, 'proxy')
        assert.ok(!e.message.includes('s3cret-value'))
        return true
      },
    )
  })

  it('reuses connections as the pool options say', async () => {
    // Waits for `expected` connections (a late extra one still shows in the last 100 ms).
    const connections = async (calls, gapMs, expected, extra) => {
      const p = await proxy()
      const c = new Client({ ...optionsFor(plain), proxy: p.url, ...extra })
      for (let i = 0; i < calls; i++) {
        await c.health()
        await sleep(gapMs)
      }
      return (await p.waitSeen(expected)).length
    }
    assert.equal(await connections(3, 50, 1, {}), 1)
    assert.equal(await connections(3, 50, 3, { poolMaxIdlePerHost: 0 }), 3)
    assert.equal(await connections(3, 400, 3, { poolIdleTimeoutMs: 100 }), 3)
  })
})
