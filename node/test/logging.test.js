'use strict'
// The SDK's log events reach the setLogger callback at the level asked for, never with a
// secret; against the emulator (a fault rule gives a retry).
const { test, before, after, afterEach } = require('node:test')
const assert = require('node:assert/strict')

const necid = require('..')
const { Client } = necid
const { startEmulator, optionsFor } = require('./helpers')

let emu

before(async () => {
  emu = await startEmulator()
})

afterEach(async () => {
  necid.setLogger(null)
  await emu.emulator.reset()
})

after(async () => {
  if (emu) await emu.stop()
})

/** Let queued log callbacks run (they are delivered on later turns of the loop). */
const settle = () => new Promise((r) => setTimeout(r, 50))

test('events reach the callback with the request id and without secrets', async () => {
  await emu.emulator.addFault({ method: 'GET', path: '/v1.1/tags', fault: 'error', status: 503, count: 1 })
  const events = []
  necid.setLogger((e) => events.push(e), 'debug')
  const opts = { ...optionsFor(emu), maxAttempts: 3, retryBaseDelayMs: 10 }
  const tags = await new Client(opts).listTags()
  await settle()
  const text = events.map((e) => e.message).join('\n')
  assert.ok(events.some((e) => e.level === 'info' && e.message.includes('retrying')), text)
  assert.ok(events.some((e) => e.level === 'debug'), text)
  assert.ok(text.includes(tags.$metadata.requestId), text)
  assert.ok(events.every((e) => typeof e.target === 'string' && e.target.length > 0))
  for (const secret of [opts.secretAccessKey, opts.apiKey]) assert.ok(!text.includes(secret))
})

test('the level is respected, null turns it off, a bad level is refused', async () => {
  await emu.emulator.addFault({ method: 'GET', path: '/v1.1/tags', fault: 'error', status: 503, count: 1 })
  const events = []
  necid.setLogger((e) => events.push(e), 'info')
  const c = new Client({ ...optionsFor(emu), maxAttempts: 3, retryBaseDelayMs: 10 })
  await c.listTags()
  await settle()
  assert.ok(events.length > 0)
  assert.ok(events.every((e) => e.level === 'info' || e.level === 'warn' || e.level === 'error'))
  necid.setLogger(null)
  const before = events.length
  await c.health()
  await settle()
  assert.equal(events.length, before)
  assert.throws(() => necid.setLogger(() => {}, 'loud'), (e) => e instanceof necid.InvalidInputError)
})
