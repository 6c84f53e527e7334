'use strict'
// Memory stays bounded over 10k calls through the addon (reliability: leaks). Each round
// mixes what crosses the boundary: a network call returning objects, one rejecting with a
// typed error, a health call, and a no-network signing call with a 64 KiB body; every
// 100th call sends an image through the whole path. Resident memory is read after a
// warm-up and after 10k more calls, with a GC before each reading; a leak of ~1 KiB per
// call would exceed the bound. Only memory is checked, never time.
const { describe, it, before, after } = require('node:test')
const assert = require('node:assert/strict')
const v8 = require('node:v8')
const vm = require('node:vm')

const { Client, InvalidInputError } = require('..')
const { startEmulator, optionsFor, face } = require('./helpers')

const CALLS = 10_000
const WARM_UP = 1_000
const MAX_GROWTH = 10 * 1024 * 1024

v8.setFlagsFromString('--expose-gc')
const gc = vm.runInNewContext('gc')

let emu
let client

before(async () => {
  emu = await startEmulator()
  const admin = new Client(optionsFor(emu))
  const gallery = await admin.createGallery({ name: 'node-leaks' })
  client = new Client(optionsFor(emu, gallery.apiKey))
})

after(async () => {
  if (emu) await emu.stop()
})

async function settle() {
  for (let i = 0; i < 3; i++) {
    gc()
    await new Promise((resolve) => setImmediate(resolve))
  }
  return process.memoryUsage().rss
}

describe('leaks', () => {
  it('10k calls keep resident memory bounded', { timeout: 600_000 }, async () => {
    const body = Buffer.alloc(64 * 1024, 120)
    const image = face('obama.jpg')
    const one = async (i) => {
      switch (i % 4) {
        case 0:
          assert.ok(Array.isArray(await client.listTags()))
          break
        case 1:
          await assert.rejects(client.createTag(''), InvalidInputError)
          break
        case 2:
          assert.equal((await client.health()).status, 'OK')
          break
        default: {
          const headers = client.signRequest({ method: 'POST', url: 'http://127.0.0.1:1/v1.1/face/extract', body })
          assert.ok(Object.keys(headers).some((k) => k.toLowerCase() === 'authorization'))
        }
      }
      if (i % 100 === 0) assert.equal((await client.verifyFaces(image, image)).verified, true)
    }
    for (let i = 0; i < WARM_UP; i++) await one(i)
    const before = await settle()
    for (let i = 0; i < CALLS; i++) await one(i)
    const growth = (await settle()) - before
    console.log(`rss growth over ${CALLS} calls: ${Math.round(growth / 1024)} KiB`)
    assert.ok(growth < MAX_GROWTH, `resident memory grew ${growth} bytes over ${CALLS} calls`)
  })
})
