// Node side of bench/run: necid vs @smithy/signature-v4 and aws4, end to end, memory.
// Prints one JSON object on stdout.
//
//   node bench.mjs sign [--secs S] [--quick]
//   node bench.mjs e2e  --ready F --probe P [--secs S] [--inflight 1,8,64]
//   node bench.mjs rss  --ready F --image P --inflight K
//
// NECID_NODE_PKG names the directory holding the necid package (index.js + necid.node);
// bench/run stages a release build of node/ there.
import { createHash } from 'node:crypto'
import { readFileSync, writeFileSync } from 'node:fs'
import http from 'node:http'
import { createRequire } from 'node:module'
import { performance } from 'node:perf_hooks'
import { parseArgs } from 'node:util'

import { Hash } from '@smithy/hash-node'
import { SignatureV4 } from '@smithy/signature-v4'
import aws4 from 'aws4'
import { Agent, request as undiciRequest } from 'undici'

const require = createRequire(import.meta.url)
const necid = require(process.env.NECID_NODE_PKG ?? '../../node')

const REGION = 'ap-southeast-2'
const SERVICE = 'execute-api'
const AKID = 'AKIDNECIDEMULATOR0001'
const SECRET = 'necid-emulator-secret-key'
const API_KEY = 'necid-emulator-api-key'
const SIGN_URL = 'http://127.0.0.1:8080/v1.1/face/extract'
const SIZES = [0, 1024, 100 * 1024, 2 * 1024 * 1024]

const { positionals, values: opt } = parseArgs({
  allowPositionals: true,
  options: {
    secs: { type: 'string', default: '1' },
    quick: { type: 'boolean', default: false },
    ready: { type: 'string' },
    probe: { type: 'string' },
    image: { type: 'string' },
    inflight: { type: 'string', default: '1,8,64' },
    clients: { type: 'string', default: '' },
  },
})

const now = () => performance.now() / 1e3

function bodyOf(size) {
  const b = Buffer.alloc(size)
  for (let i = 0; i < size; i++) b[i] = 65 + (i % 26)
  return b
}

/** Calls per second of (possibly async) `f` over at least `budget` s, after one warm-up. */
async function rate(budget, f, isAsync) {
  if (isAsync) await f()
  else f()
  const start = now()
  let n = 0
  let batch = 1
  for (;;) {
    if (isAsync) for (let i = 0; i < batch; i++) await f()
    else for (let i = 0; i < batch; i++) f()
    n += batch
    const el = now() - start
    if (el >= budget) return n / el
    if (el < budget / 8) batch *= 2
  }
}

function smithySigner(akid, secret, region) {
  return new SignatureV4({
    credentials: { accessKeyId: akid, secretAccessKey: secret },
    region,
    service: SERVICE,
    sha256: Hash.bind(null, 'sha256'),
    applyChecksum: false,
  })
}

function smithyRequest(url, headers, body) {
  const u = new URL(url)
  return {
    method: 'POST',
    protocol: u.protocol,
    hostname: u.hostname,
    port: Number(u.port),
    path: u.pathname,
    query: {},
    headers: { host: u.host, ...headers },
    body,
  }
}

async function signBench() {
  const secs = Number(opt.secs)
  const rounds = opt.quick ? 1 : 3
  const budget = secs / rounds
  const client = new necid.Client({
    endpoint: 'http://127.0.0.1:8080',
    region: REGION,
    accessKeyId: AKID,
    secretAccessKey: SECRET,
    apiKey: API_KEY,
  })
  const smithy = smithySigner(AKID, SECRET, REGION)
  const rows = []
  for (const size of SIZES) {
    const body = bodyOf(size)
    const impls = {
      necid: [
        () => client.signRequest({ method: 'POST', url: SIGN_URL, headers: { 'content-type': 'application/json' }, body }),
        false,
      ],
      '@smithy/signature-v4': [
        () =>
          smithy.sign(
            smithyRequest(SIGN_URL, { 'content-type': 'application/json', 'x-api-key': API_KEY }, body),
          ),
        true,
      ],
      aws4: [
        () =>
          aws4.sign(
            {
              host: '127.0.0.1:8080',
              method: 'POST',
              path: '/v1.1/face/extract',
              service: SERVICE,
              region: REGION,
              headers: { 'content-type': 'application/json', 'x-api-key': API_KEY },
              body,
            },
            { accessKeyId: AKID, secretAccessKey: SECRET },
          ),
        false,
      ],
      sha256: [() => createHash('sha256').update(body).digest('hex'), false],
      'sha256+base64': [
        () => {
          createHash('sha256').update(body).digest('base64')
          body.toString('base64')
        },
        false,
      ],
    }
    const best = Object.fromEntries(Object.keys(impls).map((k) => [k, 0]))
    for (let r = 0; r < rounds; r++) {
      for (const [name, [f, isAsync]] of Object.entries(impls)) {
        best[name] = Math.max(best[name], await rate(budget, f, isAsync))
      }
    }
    rows.push({ size, ...best })
  }
  return { lang: 'node', sign: rows }
}

function summary(inflight, lat, errors, elapsed, cpuMicros) {
  lat.sort((a, b) => a - b)
  const pct = (p) => {
    if (lat.length === 0) return 0
    const i = Math.min(Math.max(Math.ceil(lat.length * p), 1), lat.length) - 1
    return lat[i] * 1e3
  }
  // This process's CPU time (JS thread, libuv and the addon's runtime threads) per
  // completed request: the client's own cost, whatever the server's latency.
  const cpu_us_per_req = lat.length ? cpuMicros / lat.length : 0
  return { inflight, requests: lat.length, errors, rps: lat.length / elapsed, p50_ms: pct(0.5), p99_ms: pct(0.99), cpu_us_per_req }
}

async function closedLoop(inflight, secs, one) {
  await Promise.all(Array.from({ length: inflight }, () => one()))
  const lat = []
  let errors = 0
  let firstError = null
  const cpu0 = process.cpuUsage()
  const start = now()
  const deadline = start + secs
  const loop = async () => {
    while (now() < deadline) {
      const t = now()
      try {
        await one()
        lat.push(now() - t)
      } catch (e) {
        errors++
        firstError ??= e
      }
    }
  }
  await Promise.all(Array.from({ length: inflight }, loop))
  if (errors && !lat.length) throw firstError
  const elapsed = now() - start
  const cpu = process.cpuUsage(cpu0)
  return summary(inflight, lat, errors, elapsed, cpu.user + cpu.system)
}

async function e2e() {
  const ready = JSON.parse(readFileSync(opt.ready, 'utf8'))
  const probe = readFileSync(opt.probe)
  const secs = Number(opt.secs)
  const levels = opt.inflight.split(',').map(Number)
  const client = new necid.Client({
    endpoint: ready.endpoint,
    region: ready.region,
    accessKeyId: ready.accessKeyId,
    secretAccessKey: ready.secretAccessKey,
    apiKey: ready.apiKey,
  })
  const url = `${ready.endpoint.replace(/\/$/, '')}/v1.1/face/extract`
  const body = Buffer.from(JSON.stringify({ faces: probe.toString('base64') }))
  const smithy = smithySigner(ready.accessKeyId, ready.secretAccessKey, ready.region)
  const baseHeaders = { 'content-type': 'application/json', 'x-api-key': ready.apiKey }
  const sign = async () => (await smithy.sign(smithyRequest(url, baseHeaders, body))).headers
  const u = new URL(url)

  const only = new Set(opt.clients.split(',').map((c) => c.trim()).filter(Boolean))
  const want = (name) => only.size === 0 || only.has(name)
  const out = Object.fromEntries(
    ['necid Client', 'undici.request+@smithy', 'fetch+@smithy', 'node:http+@smithy'].filter(want).map((k) => [k, []]),
  )
  for (const n of levels) {
    if (want('necid Client')) out['necid Client'].push(
      await closedLoop(n, secs, async () => {
        const faces = await client.extractFaces(probe)
        if (!faces.length) throw new Error('no face')
      }),
    )
    if (only.size && !want('node:http+@smithy')) continue
    const dispatcher = new Agent({ connections: n, pipelining: 1 })
    out['undici.request+@smithy']?.push(
      await closedLoop(n, secs, async () => {
        const headers = await sign()
        const r = await undiciRequest(url, { method: 'POST', headers, body, dispatcher })
        const text = await r.body.text()
        if (r.statusCode !== 200) throw new Error(`${r.statusCode} ${text}`)
      }),
    )
    await dispatcher.close()
    out['fetch+@smithy']?.push(
      await closedLoop(n, secs, async () => {
        const headers = await sign()
        delete headers.host
        const r = await fetch(url, { method: 'POST', headers, body })
        const text = await r.text()
        if (r.status !== 200) throw new Error(`${r.status} ${text}`)
      }),
    )
    const agent = new http.Agent({ keepAlive: true, maxSockets: n })
    out['node:http+@smithy']?.push(
      await closedLoop(n, secs, async () => {
        const headers = await sign()
        await new Promise((resolve, reject) => {
          const req = http.request(
            { host: u.hostname, port: u.port, path: u.pathname, method: 'POST', headers, agent },
            (res) => {
              const chunks = []
              res.on('data', (c) => chunks.push(c))
              res.on('end', () =>
                res.statusCode === 200 ? resolve() : reject(new Error(`${res.statusCode} ${Buffer.concat(chunks)}`)),
              )
              res.on('error', reject)
            },
          )
          req.on('error', reject)
          req.end(body)
        })
      }),
    )
    agent.destroy()
  }
  return { lang: 'node', body_bytes: body.length, e2e: out }
}

function statusKiB(field) {
  const line = readFileSync('/proc/self/status', 'utf8')
    .split('\n')
    .find((l) => l.startsWith(field))
  if (!line) throw new Error(`no ${field}`)
  return Number(line.split(/\s+/)[1])
}

async function rss() {
  const ready = JSON.parse(readFileSync(opt.ready, 'utf8'))
  const image = readFileSync(opt.image)
  const k = Number(opt.inflight)
  const client = new necid.Client({
    endpoint: ready.endpoint,
    region: ready.region,
    accessKeyId: ready.accessKeyId,
    secretAccessKey: ready.secretAccessKey,
    apiKey: ready.apiKey,
  })
  await client.health()
  globalThis.gc?.()
  const base = statusKiB('VmRSS:')
  let reset = true
  try {
    writeFileSync('/proc/self/clear_refs', '5')
  } catch {
    reset = false
  }
  await Promise.all(Array.from({ length: k }, () => client.registerSubject(image)))
  const peak = statusKiB('VmHWM:')
  const per = ((peak - base) * 1024) / k
  return {
    lang: 'node',
    rss: {
      client: 'necid Client',
      inflight: k,
      image_bytes: image.length,
      baseline_rss: base * 1024,
      peak_rss: peak * 1024,
      peak_reset: reset,
      bytes_per_inflight: per,
      ratio_to_image: per / image.length,
    },
  }
}

const cmd = positionals[0]
const result = cmd === 'sign' ? await signBench() : cmd === 'e2e' ? await e2e() : cmd === 'rss' ? await rss() : null
if (!result) {
  console.error('usage: node bench.mjs sign|e2e|rss [options]')
  process.exit(2)
}
console.log(JSON.stringify(result))
