'use strict'
// The shared SigV4 vectors (tests/vectors/*.json): signRequest at each vector's fixed time
// must return exactly the expected headers. Each vector's signature is also recomputed
// here from its canonical request with node:crypto, so a vector and the addon cannot
// agree on a wrong value by accident.
const { describe, it } = require('node:test')
const assert = require('node:assert/strict')
const crypto = require('node:crypto')
const fs = require('node:fs')
const path = require('node:path')

const { Client } = require('..')
const { ROOT } = require('./helpers')

const DIR = path.join(ROOT, 'tests', 'vectors')
const files = fs
  .readdirSync(DIR)
  .filter((f) => f.endsWith('.json'))
  .sort()

const hmac = (key, data) => crypto.createHmac('sha256', key).update(data, 'utf8').digest()
const sha256 = (data) => crypto.createHash('sha256').update(data, 'utf8').digest('hex')

function clientFor(v) {
  return new Client({
    region: v.region,
    service: v.service,
    accessKeyId: v.credentials.access_key_id,
    secretAccessKey: v.credentials.secret_access_key,
    sessionToken: v.credentials.session_token ?? undefined,
    apiKey: v.api_key ?? undefined,
  })
}

describe('shared signing vectors', () => {
  it('there are vectors to check', () => {
    assert.ok(files.length >= 5, `only ${files.length} vectors in ${DIR}`)
  })

  for (const file of files) {
    const v = JSON.parse(fs.readFileSync(path.join(DIR, file), 'utf8'))
    it(`${v.name}: ${v.description}`, () => {
      const headers = clientFor(v).signRequest({
        method: v.request.method,
        url: v.request.url,
        headers: v.request.headers,
        body: v.request.body,
        time: new Date(v.time),
      })
      const lower = Object.fromEntries(Object.entries(headers).map(([k, val]) => [k.toLowerCase(), val]))
      assert.deepEqual(lower, v.expected.headers)
      assert.equal(lower.authorization, v.expected.authorization)

      // independent recomputation of the expected signature
      const amzDate = v.expected.headers['x-amz-date']
      const day = amzDate.slice(0, 8)
      const scope = `${day}/${v.region}/${v.service}/aws4_request`
      const sts = ['AWS4-HMAC-SHA256', amzDate, scope, sha256(v.expected.canonical_request)].join('\n')
      assert.equal(sts, v.expected.string_to_sign)
      let key = hmac(`AWS4${v.credentials.secret_access_key}`, day)
      for (const part of [v.region, v.service, 'aws4_request']) key = hmac(key, part)
      assert.equal(hmac(key, sts).toString('hex'), v.expected.signature)
    })
  }

  it('an object of headers signs like the same pairs; a Date and epoch ms agree', () => {
    const v = JSON.parse(fs.readFileSync(path.join(DIR, 'post-register-subject-body.json'), 'utf8'))
    const c = clientFor(v)
    const base = { method: v.request.method, url: v.request.url, body: Buffer.from(v.request.body) }
    const a = c.signRequest({ ...base, headers: Object.fromEntries(v.request.headers), time: Date.parse(v.time) })
    const b = c.signRequest({ ...base, headers: v.request.headers, time: new Date(v.time) })
    assert.deepEqual(a, b)
    assert.equal(a.authorization, v.expected.authorization)
  })

  it('rejects a malformed header pair', () => {
    const v = JSON.parse(fs.readFileSync(path.join(DIR, files[0]), 'utf8'))
    assert.throws(
      () => clientFor(v).signRequest({ method: 'GET', url: v.request.url, headers: [['only-a-name']] }),
      (e) => e.code === 'INVALID_INPUT' && e.field === 'headers[0]',
    )
  })
})
