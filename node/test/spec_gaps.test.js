'use strict'
// Issue 16's spec gaps against the emulator: listSubjects' default length (1000, the
// reference's), tags changed and cleared without a new face (undefined/null = not sent,
// [] = cleared), renameTag in both reference forms (`renameTagForm`; the default falls back
// on a v1.1 deployment, --rename-tag-routes), and a bulk record's raw `attributesJson` kept
// when it does not decode (a `rewrite` fault rule).
const { describe, it, before, after } = require('node:test')
const assert = require('node:assert/strict')
const fs = require('node:fs')
const path = require('node:path')

const { Client, InvalidInputError, AuthError, NotFoundError } = require('..')
const testing = require('../testing.js')
const { necidBin, face } = require('./helpers')

const start = (options = {}) => testing.startEmulator({ binary: necidBin(), ...options })

describe('spec gaps', () => {
  let emu
  before(async () => {
    emu = await start({ record: true })
  })
  after(async () => {
    await emu?.stop()
  })

  const found = async (c, tags) =>
    (await c.search(face('obama.jpg'), tags.length ? { tags } : undefined)).candidates.map(
      (x) => x.subjectId,
    )

  it('listSubjects and subjects() ask for the reference default length', async () => {
    const g = await emu.newGallery()
    try {
      await g.client.registerSubject(face('obama.jpg'))
      await emu.clearRequests()
      assert.equal((await g.client.listSubjects()).subjects.length, 1)
      let rows = 0
      for await (const page of g.client.subjects()) rows += page.subjects.length
      assert.equal(rows, 1)
    } finally {
      await g.delete()
    }
    const queries = (await emu.requests({ method: 'GET', path: '/v1.1/subjects' })).map((r) => r.query)
    assert.equal(queries.length, 2)
    for (const q of queries) assert.match(q, /length=1000/)
  })

  it('changes and clears tags without a new face', async () => {
    const g = await emu.newGallery()
    try {
      const c = g.client
      await c.createTag('staff')
      await c.createTag('visitor')
      const reg = await c.registerSubject(face('obama.jpg'), ['staff'])
      const sid = reg.subjectId
      await emu.clearRequests()

      const up = await c.updateSubject(sid, null, ['visitor'])
      assert.equal(up.eventId, reg.eventId)
      assert.deepEqual(await found(c, ['visitor']), [sid])
      assert.deepEqual(await found(c, ['staff']), [])
      await c.updateSubject(sid, face('obama.jpg')) // tags undefined: not sent, kept
      assert.deepEqual(await found(c, ['visitor']), [sid])
      await c.updateSubject(sid, undefined, []) // cleared
      assert.deepEqual(await found(c, ['visitor']), [])
      assert.deepEqual(await found(c, []), [sid])

      const event = (await c.listEvents(sid)).events[0].eventId
      await c.updateEvent(sid, event, null, ['staff'])
      assert.deepEqual(await found(c, ['staff']), [sid])
      await c.updateEvent(sid, event, null, [])
      assert.deepEqual(await found(c, ['staff']), [])

      await assert.rejects(c.updateSubject(sid), (e) => e instanceof InvalidInputError && e.field === 'face')
    } finally {
      await g.delete()
    }
    const bodies = (await emu.requests({ method: 'PUT' })).map((r) => r.requestBody)
    assert.deepEqual(bodies[0], { tags: ['visitor'] })
    assert.ok('face' in bodies[1] && !('tags' in bodies[1]))
    assert.deepEqual(bodies[2], { tags: [] })
    assert.deepEqual(bodies[4], { tags: [] })
  })

  for (const routes of ['both', 'body', 'path']) {
    it(`renames tags against a deployment serving ${routes}`, async () => {
      const e = await start({ extraArgs: ['--rename-tag-routes', routes] })
      try {
        const c = e.newClient()
        await c.createTag('staff')
        await c.renameTag('staff', 'employees') // renameTagForm 'auto', the default
        await c.renameTag('employees', 'team a')
        assert.deepEqual((await c.listTags()).map((t) => t.name), ['team a'])
        for (const [form, served] of [
          ['body', routes !== 'path'],
          ['path', routes !== 'body'],
        ]) {
          const fixed = e.newClient({ renameTagForm: form })
          if (served) {
            await fixed.renameTag('team a', 'team b')
            await fixed.renameTag('team b', 'team a')
          } else {
            await assert.rejects(fixed.renameTag('team a', 'team b'), (err) => err instanceof AuthError && err.status === 403)
          }
        }
        assert.deepEqual((await c.listTags()).map((t) => t.name), ['team a'])
        await assert.rejects(c.renameTag('ghost', 'spirit'), NotFoundError)
      } finally {
        await e.stop()
      }
      assert.throws(
        () => new Client({ renameTagForm: 'sideways' }),
        (err) => err instanceof InvalidInputError && err.field === 'rename_tag_form',
      )
    })
  }

  it('keeps the raw attributesJson of a bulk record that does not decode', async () => {
    const dir = path.join(emu.info.bucketDir, 'default')
    fs.mkdirSync(dir, { recursive: true })
    const name = `raw-${Math.random().toString(16).slice(2, 10)}.jpg`
    fs.writeFileSync(path.join(dir, name), face('obama.jpg'))
    await emu.setFaults([
      {
        method: 'GET',
        path: '/v1.1/jobs/bulkregister/**',
        fault: 'rewrite',
        set: { '/processed/*/attributesJson': '...' },
      },
    ])
    try {
      const c = emu.newClient()
      const batch = await c.bulkRegister([{ filename: name }])
      const done = await c.waitForBulkRegister(batch, { pollIntervalMs: 20 })
      const rec = done.records[0]
      assert.ok(rec.succeeded)
      assert.equal(rec.attributes ?? null, null)
      assert.equal(rec.attributesJson, '...')
      await emu.clearFaults()
      const page = await c.bulkRegisterProgress(batch)
      assert.ok(page.processed[0].attributes)
      assert.equal(page.processed[0].attributesJson ?? null, null)
    } finally {
      await emu.clearFaults()
    }
  })
})
